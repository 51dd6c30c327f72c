"""The trainee's notices center (消息中心): every notice the system meant for the trainee, delivered
or not, with the texts the push carried (or would have), and read/unread.

A notice is an outbox row with the person's id and a trainee kind (`trainee_texts.KINDS`). Those
that found no channel (no subscribe consent left, not a follower of the Official Account) are
dead in the outbox but shown here all the same: this list is where the trainee can always read
them. A row scheduled for later (a reminder queued at dawn for the reminder hour) shows once due.

The read state is `read_at` on the outbox row: it belongs to the notice and goes with it. The
outbox keeps its rows (nothing purges them); a retention job added one day must keep the trainee
kinds for as long as this list should show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from models import ChannelAccount, OutboxMessage, OutboxStatus
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.notices.trainee_texts import KINDS, render_notice

CHANNEL_LABELS = {
    "wechat_miniapp": "微信小程序",
    "wechat_official": "微信公众号",
    "alipay": "支付宝小程序",
}
MAX_IDS = 200


@dataclass(frozen=True)
class TraineeNotice:
    id: int
    kind: str
    title: str  # what happened, as the push said it
    text: str  # what to do, as the push said it
    batch_title: str | None
    voucher_code: str | None
    created_at: datetime
    delivery: str  # sent, pending, undelivered
    delivery_label: str
    channel: str | None
    read_at: datetime | None


def _person(account: ChannelAccount) -> int:
    if account.person_id is None:
        raise errors.IdentityRequired()
    return account.person_id


def _notices(person_id: int, now: datetime) -> QuerySet[OutboxMessage]:
    due = Q(status__not=OutboxStatus.PENDING) | Q(attempts__gt=0) | Q(next_attempt_at__lte=now)
    return OutboxMessage.filter(due, person_id=person_id, kind__in=KINDS)


def _delivery(row: OutboxMessage) -> tuple[str, str]:
    if row.status == OutboxStatus.SENT:
        return "sent", f"已通过{CHANNEL_LABELS.get(row.channel or '', '消息')}推送"
    if row.status == OutboxStatus.DEAD:
        return "undelivered", "未能推送（未开启消息订阅或未关注公众号），请在此查看"
    return "pending", "推送中"


async def my_notices(account: ChannelAccount, limit: int, offset: int) -> list[TraineeNotice]:
    rows = (
        await _notices(_person(account), utcnow())
        .order_by("-id")
        .offset(offset)
        .limit(limit)
        .prefetch_related("voucher__batch")
    )
    notices = []
    for row in rows:
        voucher = row.voucher if row.voucher_id is not None else None
        text = render_notice(row, voucher)
        delivery, label = _delivery(row)
        notices.append(
            TraineeNotice(
                id=row.id,
                kind=row.kind,
                title=text.what,
                text=text.hint,
                batch_title=voucher.batch.title if voucher else None,
                voucher_code=voucher.code if voucher else None,
                created_at=row.created_at,
                delivery=delivery,
                delivery_label=label,
                channel=row.channel if row.status == OutboxStatus.SENT else None,
                read_at=row.read_at,
            )
        )
    return notices


async def unread_count(account: ChannelAccount) -> int:
    return await _notices(_person(account), utcnow()).filter(read_at__isnull=True).count()


async def mark_read(account: ChannelAccount, ids: list[int] | None) -> int:
    """Marks the given notices (None: all of them) read; others' ids are ignored. -> how many
    were unread. Marking again changes nothing (the first read time stays)."""
    now = utcnow()
    unread = _notices(_person(account), now).filter(read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(id__in=ids)
    return await unread.update(read_at=now)
