"""The bureau's online platform registry (/api/v1/admin/platforms): register a platform, list and
read them within the region, set what each may take, add and retire its signing keys. A secret
is answered once, when its key is made, and never again."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel

from miniapp_api.endpoint import endpoint, path_int
from miniapp_api.schemas import Page
from models import BureauUser, OnlinePlatform, PlatformKey
from peixunquan.appkeys import SERVICES
from vouchers.identity.bureau_roles import Permission
from vouchers.platforms import keys as platform_keys
from vouchers.platforms import registry
from vouchers.platforms.spec import PlatformSpec, ScopeSpec

TAG = "platform-registry"
PLATFORM = r"/api/v1/admin/platforms/{platform_id:\d{1,9}}"


class KeyOut(BaseModel):
    key_id: str
    active: bool
    created_at: datetime
    retired_at: datetime | None

    @classmethod
    def of(cls, k: PlatformKey) -> KeyOut:
        return cls(key_id=k.key_id, active=k.retired_at is None, created_at=k.created_at, retired_at=k.retired_at)


class NewKeyOut(KeyOut):
    secret: str  # shown this once: the platform signs with it (docs/online-platforms.md)


class PlatformOut(BaseModel):
    id: int
    institution_id: int  # its entry in the institution registry (suspend it there)
    code: str  # the platform's X-Pxq-Platform
    name: str
    region: str
    region_name: str
    address: str
    phone: str
    project_types: list[str]
    occupations: list[str]  # empty: any occupation of the project types
    suspended: bool
    keys: list[KeyOut]

    @classmethod
    def of(cls, p: OnlinePlatform) -> PlatformOut:
        i = p.institution
        return cls(
            id=p.id,
            institution_id=i.id,
            code=i.code,
            name=i.name,
            region=i.region_id,
            region_name=i.region.name,
            address=i.address,
            phone=i.phone,
            project_types=p.project_types,
            occupations=p.occupations,
            suspended=i.suspended_at is not None,
            keys=[KeyOut.of(k) for k in sorted(p.keys, key=lambda k: k.id)],
        )


class RegisteredOut(PlatformOut):
    key: NewKeyOut  # the first key, with its secret


class PlatformList(BaseModel):
    items: list[PlatformOut]


@endpoint(
    "POST",
    "/api/v1/admin/platforms",
    summary="Register an online training platform, with its scope and first signing key",
    tag=TAG,
    auth="bureau",
    permission=Permission.REGISTRY,
    body=PlatformSpec,
    response=RegisteredOut,
    status=201,
)
async def register(request: web.Request, user: BureauUser, body: PlatformSpec) -> RegisteredOut:
    platform, secret = await registry.register_platform(request.app[SERVICES], user, body)
    [key] = platform.keys
    return RegisteredOut(
        **PlatformOut.of(platform).model_dump(), key=NewKeyOut(**KeyOut.of(key).model_dump(), secret=secret)
    )


@endpoint(
    "GET",
    "/api/v1/admin/platforms",
    summary="Online platforms of my region and below",
    tag=TAG,
    auth="bureau",
    query=Page,
    response=PlatformList,
)
async def list_platforms(request: web.Request, user: BureauUser, query: Page) -> PlatformList:
    return PlatformList(
        items=[PlatformOut.of(p) for p in await registry.list_platforms(user, query.limit, query.offset)]
    )


@endpoint("GET", PLATFORM, summary="One online platform", tag=TAG, auth="bureau", response=PlatformOut)
async def get_platform(request: web.Request, user: BureauUser) -> PlatformOut:
    return PlatformOut.of(await registry.get_platform(user, path_int(request, "platform_id")))


@endpoint(
    "PUT",
    f"{PLATFORM}/scope",
    summary="Set the project types and occupations the platform may take",
    tag=TAG,
    auth="bureau",
    permission=Permission.REGISTRY,
    body=ScopeSpec,
    response=PlatformOut,
)
async def set_scope(request: web.Request, user: BureauUser, body: ScopeSpec) -> PlatformOut:
    return PlatformOut.of(await registry.set_scope(user, path_int(request, "platform_id"), body))


@endpoint(
    "POST",
    f"{PLATFORM}/keys",
    summary="Add a signing key (at most two active): its secret is answered this once",
    tag=TAG,
    auth="bureau",
    permission=Permission.REGISTRY,
    response=NewKeyOut,
    status=201,
)
async def add_key(request: web.Request, user: BureauUser) -> NewKeyOut:
    platform = await registry.get_platform(user, path_int(request, "platform_id"))
    key, secret = await platform_keys.add_key(request.app[SERVICES], user, platform)
    return NewKeyOut(**KeyOut.of(key).model_dump(), secret=secret)


@endpoint(
    "POST",
    f"{PLATFORM}/keys/{{key_id:[A-Za-z0-9_-]{{1,32}}}}/retire",
    summary="Retire a signing key: requests signed with it are refused from now on",
    tag=TAG,
    auth="bureau",
    permission=Permission.REGISTRY,
    response=KeyOut,
)
async def retire_key(request: web.Request, user: BureauUser) -> KeyOut:
    platform = await registry.get_platform(user, path_int(request, "platform_id"))
    return KeyOut.of(await platform_keys.retire_key(user, platform, request.match_info["key_id"]))
