"""What a trainee is told about a voucher, whatever the channel: `templates/notices/trainee/<kind>.txt`,
first line what happened (a short phrase, it fills a template field), second line what to do."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader

KINDS = (
    "voucher_claimed",
    "voucher_issued",
    "voucher_enrolled",
    "voucher_enrolled_online",
    "voucher_revoked",
    "voucher_expiring",
    "voucher_expired",
    "voucher_voided",
    "voucher_completed",
    "voucher_settled",
)

_texts = Environment(loader=FileSystemLoader(Path(__file__).resolve().parents[2] / "templates" / "notices" / "trainee"))


def trainee_notice_text(kind: str) -> tuple[str, str]:
    what, _, hint = _texts.get_template(f"{kind}.txt").render().strip().partition("\n")
    return what.strip(), hint.strip()


# The platforms' template fields are short and fixed: read once.
WHAT_HAPPENED = {kind: trainee_notice_text(kind)[0] for kind in KINDS}
HINTS = {kind: trainee_notice_text(kind)[1] for kind in KINDS}
