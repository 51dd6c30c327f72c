"""What each bureau role may do. Reading (lists, statistics) is open to every bureau user of the
region; each action below names the permission it needs, checked at the API's edge
(`endpoint(permission=...)`) and, where the level depends on the record, in the use case.

Separation of duties follows the provincial systems: whoever makes batches does not review, the
first reviewer is not the second, and only the administrator manages accounts and standards."""

from __future__ import annotations

from enum import StrEnum

from models import BureauRole, BureauUser
from vouchers.common import errors


class Permission(StrEnum):
    ACCOUNTS = "accounts"  # bureau users of the region
    REGISTRY = "registry"  # register, edit, suspend institutions
    STANDARDS = "standards"  # subsidy standards, ratios, targets, review levels
    BATCHES = "batches"  # make, publish, close batches; rosters and eligibility lists
    VOUCHERS = "vouchers"  # revoke a voucher
    ARCHIVE = "archive"  # look up a person's archive by ID number
    REVIEW_FIRST = "review_first"
    REVIEW_SECOND = "review_second"
    PAYMENTS = "payments"  # payment lists: gather, mark paid
    EXPORT = "export"  # voucher exports with personal data


ROLE_TEXT = {
    BureauRole.ADMIN: "管理员",
    BureauRole.BATCH_MANAGER: "批次管理员",
    BureauRole.FIRST_REVIEWER: "初审员",
    BureauRole.SECOND_REVIEWER: "复审员",
    BureauRole.VIEWER: "统计查询员",
}

PERMISSION_TEXT = {
    Permission.ACCOUNTS: "管理账号",
    Permission.REGISTRY: "管理培训机构",
    Permission.STANDARDS: "维护补贴标准、比例与目标",
    Permission.BATCHES: "管理批次与名单",
    Permission.VOUCHERS: "作废培训券",
    Permission.ARCHIVE: "查询培训档案",
    Permission.REVIEW_FIRST: "结算初审",
    Permission.REVIEW_SECOND: "结算复审",
    Permission.PAYMENTS: "管理拨付清单",
    Permission.EXPORT: "导出培训券明细",
}

ROLE_PERMISSIONS: dict[BureauRole, frozenset[Permission]] = {
    BureauRole.ADMIN: frozenset(Permission),
    BureauRole.BATCH_MANAGER: frozenset(
        {Permission.REGISTRY, Permission.BATCHES, Permission.VOUCHERS, Permission.ARCHIVE, Permission.EXPORT}
    ),
    BureauRole.FIRST_REVIEWER: frozenset({Permission.REVIEW_FIRST, Permission.ARCHIVE}),
    BureauRole.SECOND_REVIEWER: frozenset({Permission.REVIEW_SECOND, Permission.PAYMENTS, Permission.ARCHIVE}),
    BureauRole.VIEWER: frozenset({Permission.EXPORT}),
}


def permissions_of(user: BureauUser) -> frozenset[Permission]:
    return ROLE_PERMISSIONS.get(BureauRole(user.role), frozenset())


def may(user: BureauUser, *any_of: Permission) -> bool:
    return bool(permissions_of(user) & set(any_of))


def ensure_may(user: BureauUser, *any_of: Permission) -> None:
    """Refuses with the role and what it cannot do, in the clerk's words."""
    if not may(user, *any_of):
        role = ROLE_TEXT.get(BureauRole(user.role), str(user.role))
        wanted = "或".join(PERMISSION_TEXT[p] for p in any_of)
        raise errors.RoleNotAllowed(f"您的角色（{role}）无权{wanted}，请联系本地区的管理员")
