"""Bureau accounts (/api/v1/admin/me, /accounts, /regions, /events): who I am and what I may do,
the administrator's account management, the region tree for choosers, and the admin log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from miniapp_api.endpoint import endpoint, path_int
from miniapp_api.schemas import Page, Strict
from models import AdminEvent, BureauUser, Region
from peixunquan.appkeys import SERVICES
from vouchers.common.admin_log import ACTION_TEXT, events_in_scope
from vouchers.identity import bureau_accounts as accounts
from vouchers.identity.bureau_accounts import AccountEdit, AccountSpec, Password
from vouchers.identity.bureau_roles import ROLE_TEXT, Permission, permissions_of

TAG = "bureau accounts"
ACCOUNT = "/api/v1/admin/accounts/{account_id:\\d{1,9}}"


class AccountOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    role_text: str
    region: str
    region_name: str
    active: bool
    locked: bool = False

    @classmethod
    def of(cls, u: BureauUser, locked: bool = False) -> AccountOut:
        return cls(
            id=u.id,
            username=u.username,
            display_name=u.display_name,
            role=str(u.role),
            role_text=ROLE_TEXT.get(u.role, str(u.role)),
            region=u.region_id,
            region_name=u.region.name,
            active=u.active,
            locked=locked,
        )


class MeOut(AccountOut):
    permissions: list[str]


class AccountList(BaseModel):
    items: list[AccountOut]
    roles: dict[str, str] = Field(description="role -> Chinese name, for choosers")


class PasswordReset(Strict):
    password: Password


class PasswordChange(Strict):
    current_password: str = Field(max_length=256)
    new_password: Password


class PasswordChanged(BaseModel):
    token: str = Field(description="A fresh token for this session: every other one ended")
    expires_in: int


class RegionOut(BaseModel):
    code: str
    name: str
    parent: str | None
    depth: int


class RegionList(BaseModel):
    items: list[RegionOut]


class EventQuery(Page):
    subject_kind: str | None = Field(None, max_length=16)
    subject_id: str | None = Field(None, max_length=64)


class EventOut(BaseModel):
    id: int
    at: datetime
    actor_name: str
    action: str
    action_text: str
    subject_kind: str
    subject_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, e: AdminEvent) -> EventOut:
        return cls(
            id=e.id,
            at=e.at,
            actor_name=e.actor_name,
            action=e.action,
            action_text=ACTION_TEXT.get(e.action, e.action),
            subject_kind=e.subject_kind,
            subject_id=e.subject_id,
            before=e.before,
            after=e.after,
        )


class EventList(BaseModel):
    items: list[EventOut]


@endpoint("GET", "/api/v1/admin/me", summary="Who I am and what I may do", tag=TAG, auth="bureau", response=MeOut)
async def me(request: web.Request, user: BureauUser) -> MeOut:
    shown = AccountOut.of(user).model_dump()
    return MeOut(**shown, permissions=sorted(permissions_of(user)))


@endpoint(
    "GET",
    "/api/v1/admin/regions",
    summary="My region and the regions below it",
    tag=TAG,
    auth="bureau",
    response=RegionList,
)
async def regions(request: web.Request, user: BureauUser) -> RegionList:
    rows = await Region.filter(path__startswith=user.region.path).order_by("path")
    top = user.region.path.count("/")
    return RegionList(
        items=[RegionOut(code=r.code, name=r.name, parent=r.parent_id, depth=r.path.count("/") - top) for r in rows]
    )


@endpoint(
    "GET",
    "/api/v1/admin/accounts",
    summary="Bureau users of my regions",
    tag=TAG,
    auth="bureau",
    permission=Permission.ACCOUNTS,
    response=AccountList,
)
async def list_accounts(request: web.Request, user: BureauUser) -> AccountList:
    users = await accounts.list_accounts(user)
    locked = await accounts.locked_usernames([u.username for u in users])
    return AccountList(
        items=[AccountOut.of(u, u.username in locked) for u in users],
        roles={str(k): v for k, v in ROLE_TEXT.items()},
    )


@endpoint(
    "POST",
    "/api/v1/admin/accounts",
    summary="Add a bureau user",
    tag=TAG,
    auth="bureau",
    permission=Permission.ACCOUNTS,
    body=AccountSpec,
    response=AccountOut,
    status=201,
)
async def create_account(request: web.Request, user: BureauUser, body: AccountSpec) -> AccountOut:
    return AccountOut.of(await accounts.create_account(user, body))


@endpoint(
    "PUT",
    ACCOUNT,
    summary="Change a bureau user's name, role or region",
    tag=TAG,
    auth="bureau",
    permission=Permission.ACCOUNTS,
    body=AccountEdit,
    response=AccountOut,
)
async def edit_account(request: web.Request, user: BureauUser, body: AccountEdit) -> AccountOut:
    return AccountOut.of(await accounts.edit_account(user, path_int(request, "account_id"), body))


@endpoint(
    "POST",
    ACCOUNT + "/disable",
    summary="Disable a bureau user",
    tag=TAG,
    auth="bureau",
    permission=Permission.ACCOUNTS,
    response=AccountOut,
)
async def disable_account(request: web.Request, user: BureauUser) -> AccountOut:
    return AccountOut.of(await accounts.set_account_active(user, path_int(request, "account_id"), False))


@endpoint(
    "POST",
    ACCOUNT + "/enable",
    summary="Enable a bureau user",
    tag=TAG,
    auth="bureau",
    permission=Permission.ACCOUNTS,
    response=AccountOut,
)
async def enable_account(request: web.Request, user: BureauUser) -> AccountOut:
    return AccountOut.of(await accounts.set_account_active(user, path_int(request, "account_id"), True))


@endpoint(
    "POST",
    ACCOUNT + "/password",
    summary="Reset a bureau user's password",
    tag=TAG,
    auth="bureau",
    permission=Permission.ACCOUNTS,
    body=PasswordReset,
    response=AccountOut,
)
async def reset_password(request: web.Request, user: BureauUser, body: PasswordReset) -> AccountOut:
    return AccountOut.of(await accounts.reset_password(user, path_int(request, "account_id"), body.password))


@endpoint(
    "POST",
    "/api/v1/admin/me/password",
    summary="Change my own password",
    tag=TAG,
    auth="bureau",
    body=PasswordChange,
    response=PasswordChanged,
)
async def change_password(request: web.Request, user: BureauUser, body: PasswordChange) -> PasswordChanged:
    svc = request.app[SERVICES]
    fresh = await accounts.change_own_password(user, body.current_password, body.new_password)
    token = svc.tokens.issue("bureau", fresh.id, svc.bureau_token_ttl_s, version=fresh.token_version)
    return PasswordChanged(token=token, expires_in=svc.bureau_token_ttl_s)


@endpoint(
    "GET",
    "/api/v1/admin/events",
    summary="The admin log of my regions, newest first",
    tag=TAG,
    auth="bureau",
    query=EventQuery,
    response=EventList,
)
async def events(request: web.Request, user: BureauUser, query: EventQuery) -> EventList:
    rows = await events_in_scope(user, query.subject_kind, query.subject_id, query.limit, query.offset)
    return EventList(items=[EventOut.of(e) for e in rows])
