"""The bureau's append-only log of changes that are not a voucher's (those are in its history):
accounts, the institution registry, standards, ratios, targets, review levels. Written in the
transaction of the change it records."""

from __future__ import annotations

from typing import Any

from models import AdminEvent, BureauUser
from vouchers.common.clock import utcnow

# What the log's reader sees for each action.
ACTION_TEXT = {
    "account_created": "新建账号",
    "account_updated": "修改账号",
    "account_disabled": "停用账号",
    "account_enabled": "启用账号",
    "password_reset": "重置密码",
    "password_changed": "修改本人密码",
    "account_locked": "登录锁定（连续输错密码）",
    "lockout_lifted": "解除登录锁定",
    "institution_registered": "登记培训机构",
    "institution_updated": "修改机构信息",
    "institution_suspended": "暂停培训机构",
    "institution_resumed": "恢复培训机构",
    "standard_set": "设置补贴标准",
    "ratio_set": "设置补贴比例",
    "target_set": "设置年度目标",
    "review_levels_set": "设置审核级数",
    "platform_registered": "登记线上培训平台",
    "platform_scope_set": "设置线上平台核准范围",
    "platform_key_added": "新增线上平台密钥",
    "platform_key_retired": "停用线上平台密钥",
}


async def record(
    actor: BureauUser | None,
    action: str,
    subject_kind: str,
    subject_id: Any,
    region_path: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    conn: Any = None,
    actor_name: str = "命令行",  # who acted without a bureau user: the command line, or 系统
) -> AdminEvent:
    event = AdminEvent(
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_name=(actor.display_name or actor.username) if actor is not None else actor_name,
        action=action,
        subject_kind=subject_kind,
        subject_id=str(subject_id),
        region_path=region_path,
        before=before,
        after=after,
    )
    await event.save(using_db=conn)
    return event


async def events_in_scope(
    user: BureauUser, subject_kind: str | None, subject_id: str | None, limit: int, offset: int
) -> list[AdminEvent]:
    query = AdminEvent.filter(region_path__startswith=user.region.path)
    if subject_kind:
        query = query.filter(subject_kind=subject_kind)
    if subject_id:
        query = query.filter(subject_id=subject_id)
    return await query.order_by("-id").offset(offset).limit(limit)
