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
    "settlement_first_approved": "结算初审通过",
    "settled": "结算",
    "written_off": "结算核销",
    "settlement_rejected": "结算驳回",
    "revoked": "作废",
    "expired": "过期",
    "voided": "失效",
    "signed_up": "线上报名",
    "returned": "退券",
    "signup_cancelled": "取消报名",
    "signup_declined": "报名被婉拒",
    "signup_lapsed": "报名失效",
}

# A sign-up's status (vouchers/catalogue), as the trainee and the institution read it.
SIGNUP_STATUS_LABELS = {
    "pending": "待确认",
    "confirmed": "已确认",
    "declined": "已婉拒",
    "lapsed": "已失效",
    "cancelled": "已取消",
}


def status_label(status: str | None) -> str | None:
    return None if status is None else STATUS_LABELS.get(status, status)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def signup_status_label(status: str) -> str:
    return SIGNUP_STATUS_LABELS.get(status, status)
