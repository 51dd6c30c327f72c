"""The notices an institution received, for its portal: every notice meant for it, in full text,
with how it reached its people - the webhook, each staff member bound to the Official Account -
or why it reached nobody. A notice is listed whether or not any channel took it: that is the
point of the page.

The outbox rows are the record (one per notice, `institution_id` indexed; one child row per
recipient, keyed `<notice key>:<recipient>`), so nothing is written twice and the list cannot
disagree with what the worker did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models import OutboxMessage, Staff
from vouchers.identity.lockouts import LOCKOUT_NOTICE
from vouchers.institutions.notices import ANOMALY, DAILY_SUMMARY, ENROLMENT, SIGNUP, notice_text
from vouchers.institutions.recipients import WEBHOOK, staff_recipient
from vouchers.notices.digests import DIGEST
from vouchers.settlement.review import SETTLEMENT_NOTICE

# Written by vouchers/scanning/offline_upload.py (a scanning module may not be imported here).
OFFLINE_REFUSED = "institution_offline_refused"
INSTITUTION_NOTICE_KINDS = (
    ENROLMENT,
    ANOMALY,
    DAILY_SUMMARY,
    DIGEST,
    SETTLEMENT_NOTICE,
    LOCKOUT_NOTICE,
    OFFLINE_REFUSED,
    SIGNUP,
)
WEBHOOK_NOTICE = "webhook_notice"
STAFF_NOTICE = "staff_notice"
KIND_TEXT = {
    ENROLMENT: "学员报名",
    ANOMALY: "异常扫码",
    DAILY_SUMMARY: "每日汇总",
    DIGEST: "到期提醒",
    SETTLEMENT_NOTICE: "补贴审核",
    LOCKOUT_NOTICE: "账号锁定",
    OFFLINE_REFUSED: "离线扫码退回",
    SIGNUP: "线上报名",
    WEBHOOK_NOTICE: "推送",
}
STATUS_TEXT = {"pending": "等待发送", "sending": "发送中", "sent": "已送达", "dead": "失败"}


@dataclass
class Delivery:
    to: str  # 推送地址, 微信（前台李四）
    status: str  # 已送达, 等待发送, 失败
    attempts: int
    error: str | None
    at: datetime | None


@dataclass
class NoticeEntry:
    id: int
    kind: str
    kind_text: str
    title: str
    body: str
    at: datetime
    deliveries: list[Delivery] = field(default_factory=list)
    pending: bool = False  # the worker has not handed it out yet


def error_text(error: str | None) -> str | None:
    """The worker's record of a failed attempt (English, for operators), as a clerk reads it."""
    if not error:
        return None
    if "answered" in error:
        code = "".join(ch for ch in error.rsplit("answered", 1)[1] if ch.isdigit())
        return f"对方回复 HTTP {code}"
    if "refused" in error:
        return "该地址不允许接收推送"
    if "unreachable" in error or "resolved" in error or "Timeout" in error:
        return "无法连接对方服务器"
    if "4300" in error or "not follow" in error:
        return "该微信已取消关注公众号"
    return "发送失败"


def _key(notice: OutboxMessage) -> str:
    return f"{notice.dedupe_key or notice.id}:"


async def institution_notices(institution_id: int, before_id: int | None = None, limit: int = 20) -> list[NoticeEntry]:
    query = OutboxMessage.filter(institution_id=institution_id, kind__in=INSTITUTION_NOTICE_KINDS)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    notices = await query.order_by("-id").limit(limit)
    if not notices:
        return []
    # Each recipient's row has the key `<notice key>:<recipient>`: asked for by exact keys, the
    # unique index on dedupe_key answers (a LIKE on the prefix would read the whole table).
    members = await Staff.filter(institution_id=institution_id).values_list("id", "display_name", "username")
    names = {sid: shown or username for sid, shown, username in members}
    recipients = [WEBHOOK, *[staff_recipient(sid) for sid in names]]
    keys = [_key(n) + r for n in notices for r in recipients]
    children = await OutboxMessage.filter(dedupe_key__in=keys) if keys else []
    entries = []
    for n in notices:
        title, body = notice_text(n.kind, n.payload)
        entry = NoticeEntry(n.id, n.kind, KIND_TEXT.get(n.kind, n.kind), title, body, n.created_at)
        entry.pending = n.status in ("pending", "sending")
        for c in children:
            if c.dedupe_key and c.dedupe_key.startswith(_key(n)):
                to = (
                    "推送地址"
                    if c.kind == WEBHOOK_NOTICE
                    else f"微信（{names.get(int(c.payload.get('staff_id', 0)), '工作人员')}）"
                )
                entry.deliveries.append(
                    Delivery(
                        to,
                        STATUS_TEXT.get(str(c.status), str(c.status)),
                        c.attempts,
                        error_text(c.last_error),
                        c.sent_at,
                    )
                )
        entries.append(entry)
    return entries


async def webhook_deliveries(institution_id: int, limit: int = 20) -> list[OutboxMessage]:
    """The latest POSTs to the institution's webhook, whatever their state."""
    return await OutboxMessage.filter(institution_id=institution_id, kind=WEBHOOK_NOTICE).order_by("-id").limit(limit)
