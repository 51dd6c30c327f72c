"""WeChat in the delivery routes: voucher notices as mini-program subscribe messages, and
institution notices as Official Account template messages to each bound staff member."""

from __future__ import annotations

from typing import Any

from jobs.delivery import Attempt, Route
from jobs.institution_routes import Recipients
from jobs.routes import PersonNotifier
from models import AccountChannel, ChannelAccount, OutboxMessage, Staff, StaffBinding
from vouchers.clock import utcnow
from vouchers.institution_digest import DIGEST
from vouchers.institution_notices import ANOMALY, DAILY_SUMMARY, ENROLMENT
from vouchers.outbox import outbox_row
from vouchers.review_settlement import SETTLEMENT_NOTICE
from vouchers.send_staff_notice import send_staff_notice
from vouchers.send_subscribe_notice import send_subscribe_notice

STAFF_NOTICE = "staff_notice"


def miniapp_notifier(client: Any, template_id: str) -> PersonNotifier:
    async def notifier(message: OutboxMessage) -> Attempt | None:
        reachable = (
            message.person_id is not None
            and await ChannelAccount.filter(
                person_id=message.person_id, channel=AccountChannel.WECHAT_MINIAPP, app_id=client.app_id
            ).exists()
        )
        if not reachable:
            return None

        async def send(_key: str) -> str:
            return await send_subscribe_notice(message, client, template_id)

        return Attempt("wechat_miniapp", send, template_id)

    return notifier


def staff_notice_data(notice: OutboxMessage) -> dict[str, str]:
    """The template message a staff member reads (template fields first / keyword1-2 / remark)."""
    p = notice.payload
    if notice.kind == ENROLMENT:
        return {
            "first": "学员已用券报名",
            "keyword1": p.get("class_name", ""),
            "keyword2": f"{p.get('holder_name', '')} {p.get('voucher_code', '')}",
            "remark": p.get("title", ""),
        }
    if notice.kind == ANOMALY:
        return {
            "first": "签到异常提醒",
            "keyword1": str(p.get("anomaly", "")),
            "keyword2": str(p.get("voucher_code") or p.get("class_id") or ""),
            "remark": "请核实学员签到情况",
        }
    if notice.kind == DAILY_SUMMARY:
        return {
            "first": "培训班每日签到汇总",
            "keyword1": str(p.get("class_name", p.get("class_id", ""))),
            "keyword2": f"报名{p.get('enrolled', 0)}人",
            "remark": str(p.get("date", "")),
        }
    if notice.kind == DIGEST:
        trainees = p.get("trainees", [])
        return {
            "first": "学员培训券即将到期",
            "keyword1": f"{len(trainees)}名学员",
            "keyword2": "、".join(t["holder_name"] for t in trainees[:5]),
            "remark": "请督促学员按期完成培训",
        }
    if notice.kind == SETTLEMENT_NOTICE:
        approved = p.get("decision") == "approved"
        return {
            "first": "结算审核通过" if approved else "结算申请被驳回",
            "keyword1": str(p.get("class_name", "")),
            "keyword2": f"{p.get('voucher_code', '')} 补贴{int(p.get('subsidy_fen') or 0) / 100:.2f}元",
            "remark": "" if approved else f"原因：{p.get('reason') or ''}",
        }
    return {"first": "机构通知", "keyword1": notice.kind, "keyword2": "", "remark": ""}


def staff_recipients(app_id: str) -> Recipients:
    async def rows(notice: OutboxMessage) -> list[OutboxMessage]:
        staff_ids = await Staff.filter(
            institution_id=int(notice.payload["institution_id"]), active=True, removed_at__isnull=True
        ).values_list("id", flat=True)
        bound = await StaffBinding.filter(staff_id__in=list(staff_ids), app_id=app_id).values_list(
            "staff_id", flat=True
        )
        data = staff_notice_data(notice)
        return [
            outbox_row(
                STAFF_NOTICE,
                utcnow(),
                payload={"staff_id": staff_id, "data": data},
                dedupe_key=f"{notice.id}:staff:{staff_id}",
            )
            for staff_id in sorted(set(bound))
        ]

    return rows


def staff_notice_route(client: Any, template_id: str) -> Route:
    async def route(message: OutboxMessage) -> list[Attempt]:
        async def send(_key: str) -> str:
            return await send_staff_notice(message, client, template_id)

        return [Attempt("wechat_official", send, template_id)]

    return route
