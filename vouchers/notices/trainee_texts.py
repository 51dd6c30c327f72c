"""What a trainee is told about a voucher, whatever the channel: `templates/notices/trainee/<kind>.txt`,
first line what happened (a short phrase of at most 5 Chinese characters: it fills a template's
`phrase` field), second line what to do (at most 20 characters: a `thing` field).

The same rendering feeds every push (WeChat subscribe message, Official Account template message,
Alipay) and the trainee's notices center, so the list shows what the trainee was sent. A template
may use the notice's context: `days_left` (the days of use left when the notice was written, today
and the last valid day included), `last_day`, `reclaim` (the batch may be claimed again after a
return) and the outbox payload as `payload` (also as `p`: a sign-up's decline names its reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from models import OutboxMessage, Voucher
from vouchers.common.clock import days_left, local_date, utcnow

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
    "voucher_returned",
)

_texts = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parents[2] / "templates" / "notices" / "trainee"),
    keep_trailing_newline=False,
)


@dataclass(frozen=True)
class TraineeText:
    what: str  # what happened: 领取成功, 即将过期 ...
    hint: str  # what to do now


HINT_LENGTH = 20  # the hint fills a `thing` field: a longer one is cut


def trainee_notice_text(kind: str, **context: Any) -> tuple[str, str]:
    what, _, hint = _texts.get_template(f"{kind}.txt").render(**context).strip().partition("\n")
    hint = " ".join(hint.split())
    return what.strip(), hint if len(hint) <= HINT_LENGTH else hint[: HINT_LENGTH - 1] + "…"


def notice_context(message: OutboxMessage, voucher: Voucher | None) -> dict[str, Any]:
    """What a template may say about this notice, as of when it was written (a reminder says the
    days that were left that day, in the push and in the list alike)."""
    payload = message.payload or {}
    context: dict[str, Any] = {"payload": payload, "p": payload}
    if voucher is not None:
        written = message.created_at or utcnow()
        # A reminder carries the validity it was scheduled for: the days it said stay what they were.
        until = datetime.fromisoformat(payload["valid_until"]) if "valid_until" in payload else voucher.valid_until
        context["days_left"] = days_left(until, written)
        context["last_day"] = local_date(voucher.valid_until - timedelta(seconds=1))
        context["reclaim"] = voucher.batch.allow_reclaim_after_return
    return context


def render_notice(message: OutboxMessage, voucher: Voucher | None) -> TraineeText:
    """The texts of one trainee notice; `voucher` with its batch fetched."""
    what, hint = trainee_notice_text(message.kind, **notice_context(message, voucher))
    return TraineeText(what, hint)


# Context-free texts, for a caller that has no notice at hand.
WHAT_HAPPENED = {kind: trainee_notice_text(kind, p={}, payload={})[0] for kind in KINDS}
HINTS = {kind: trainee_notice_text(kind, p={}, payload={})[1] for kind in KINDS}
