"""Chinese names of voucher statuses and history actions, for pages, exports and the history API."""

from __future__ import annotations

STATUS_LABELS = {
    "claimed": "待使用",
    "enrolled": "已报名",
    "completed": "已结业",
    "settled": "已结算",
    "expired": "已过期",
    "voided": "已失效",
    "revoked": "已作废",
    "returned": "已退券",
}

ACTION_LABELS = {
    "claimed": "领取",
    "enrolled": "用券报名",
    "enrolment_annulled": "撤销报名",
    "checkin_annulled": "撤销签到",
    "manual_checkin": "补签",
    "completed": "提交结业",
    "settled": "结算",
    "written_off": "结算核销",
    "settlement_rejected": "结算驳回",
    "revoked": "作废",
    "expired": "过期",
    "voided": "失效",
    "returned": "退券",
}


def status_label(status: str | None) -> str | None:
    return None if status is None else STATUS_LABELS.get(status, status)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)
