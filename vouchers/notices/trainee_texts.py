"""What a trainee is told about a voucher, whatever the channel: `templates/notices/trainee/<kind>.txt`,
first line what happened (a short phrase, it fills a template field), second line what to do.
A text may use the notice's payload as `p` (a sign-up's decline names its reason); the hint fills
a 20-character field, so a longer one is cut."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    "signup_confirmed",  # vouchers/catalogue: the registration scan confirmed a sign-up
    "signup_declined",  # the institution declined it, with a reason
)

_texts = Environment(loader=FileSystemLoader(Path(__file__).resolve().parents[2] / "templates" / "notices" / "trainee"))


HINT_LENGTH = 20


def trainee_notice_text(kind: str, payload: dict[str, Any] | None = None) -> tuple[str, str]:
    what, _, hint = _texts.get_template(f"{kind}.txt").render(p=payload or {}).strip().partition("\n")
    hint = " ".join(hint.split())
    return what.strip(), hint if len(hint) <= HINT_LENGTH else hint[: HINT_LENGTH - 1] + "…"


# Each kind's texts without a payload, read once: which kinds there are, and their fixed words.
WHAT_HAPPENED = {kind: trainee_notice_text(kind)[0] for kind in KINDS}
HINTS = {kind: trainee_notice_text(kind)[1] for kind in KINDS}
