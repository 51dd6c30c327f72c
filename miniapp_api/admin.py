"""HR bureau API (/api/v1/admin/...): login, batches, rosters, eligibility lists, revocation."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web
from pydantic import BaseModel, Field

from miniapp_api.endpoint import endpoint, path_int
from miniapp_api.schemas import (
    BatchList,
    BatchListQuery,
    BatchOut,
    ImportReportOut,
    Lifted,
    LiftRequest,
    LoggedOut,
    LoginRequest,
    LoginResponse,
    RevokedOut,
    RevokeRequest,
)
from models import BureauUser
from peixunquan.appkeys import SERVICES
from vouchers.batches import manage as manage_batches
from vouchers.batches.counts import batch_counts
from vouchers.batches.eligibility import import_eligibility
from vouchers.batches.revoke import revoke_voucher
from vouchers.batches.roster_file import parse_roster
from vouchers.batches.spec import BatchSpec
from vouchers.claiming.roster_import import import_roster
from vouchers.identity.bureau_auth import bureau_logout, login
from vouchers.identity.bureau_roles import Permission
from vouchers.identity.lockouts import BUREAU, lift_in_scope, unseen_lockouts

TAG = "bureau"
BATCH = "/api/v1/admin/batches/{batch_id:\\d{1,9}}"
ROSTER_TYPES = ("text/csv", "application/json")


@endpoint(
    "POST", "/api/v1/admin/login", summary="Bureau user login", tag=TAG, body=LoginRequest, response=LoginResponse
)
async def admin_login(request: web.Request, body: LoginRequest) -> LoginResponse:
    svc = request.app[SERVICES]
    user, token = await login(svc, body.username, body.password, request.remote or "")
    notices = await unseen_lockouts(BUREAU, user.id)  # told at the next login after a lockout
    return LoginResponse(token=token, expires_in=svc.bureau_token_ttl_s, region=user.region_id, notices=notices)


@endpoint(
    "POST",
    "/api/v1/admin/login-lockouts/lift",
    summary="Lift a login lockout of a bureau user or staff member of my regions",
    tag=TAG,
    auth="bureau",
    permission=Permission.ACCOUNTS,
    body=LiftRequest,
    response=Lifted,
)
async def lift_login_lockout(request: web.Request, user: BureauUser, body: LiftRequest) -> Lifted:
    throttle = request.app[SERVICES].login_throttle
    return Lifted(was_locked=await lift_in_scope(throttle, user, body.kind, body.username))


@endpoint(
    "POST",
    "/api/v1/admin/logout",
    summary="Log out: every token of this bureau user stops working",
    tag=TAG,
    auth="bureau",
    response=LoggedOut,
)
async def admin_logout(request: web.Request, user: BureauUser) -> LoggedOut:
    await bureau_logout(user)
    return LoggedOut()


@endpoint(
    "GET",
    "/api/v1/admin/batches",
    summary="Batches of my region and below",
    tag=TAG,
    auth="bureau",
    query=BatchListQuery,
    response=BatchList,
)
async def list_batches(request: web.Request, user: BureauUser, query: BatchListQuery) -> BatchList:
    batches = await manage_batches.list_batches(user, query.status, query.limit, query.offset)
    return BatchList(items=[BatchOut.of(b) for b in batches])


@endpoint(
    "POST",
    "/api/v1/admin/batches",
    summary="Create a batch (draft)",
    tag=TAG,
    auth="bureau",
    permission=Permission.BATCHES,
    body=BatchSpec,
    response=BatchOut,
    status=201,
)
async def create_batch(request: web.Request, user: BureauUser, body: BatchSpec) -> BatchOut:
    batch = await manage_batches.create_batch(user, body)
    return BatchOut.of(await manage_batches.get_batch(user, batch.id))


class BatchCountsOut(BaseModel):
    quantity: int
    remaining: int
    issued: int
    claimed: int
    used: int
    written_off: int
    expired: int
    revoked: int
    returned: int = Field(description="Given back by the trainee (退券); not in issued: the unit is back in stock")


@endpoint("GET", BATCH + "/counts", summary="A batch's live counts", tag=TAG, auth="bureau", response=BatchCountsOut)
async def get_batch_counts(request: web.Request, user: BureauUser) -> BatchCountsOut:
    counts = await batch_counts(user, path_int(request, "batch_id"))
    return BatchCountsOut(**asdict(counts))


@endpoint("GET", BATCH, summary="One batch", tag=TAG, auth="bureau", response=BatchOut)
async def get_batch(request: web.Request, user: BureauUser) -> BatchOut:
    return BatchOut.of(await manage_batches.get_batch(user, path_int(request, "batch_id")))


@endpoint(
    "PUT",
    BATCH,
    summary="Edit a draft batch",
    tag=TAG,
    auth="bureau",
    permission=Permission.BATCHES,
    body=BatchSpec,
    response=BatchOut,
)
async def update_batch(request: web.Request, user: BureauUser, body: BatchSpec) -> BatchOut:
    return BatchOut.of(await manage_batches.update_batch(user, path_int(request, "batch_id"), body))


@endpoint(
    "POST",
    BATCH + "/publish",
    summary="Publish a draft batch",
    tag=TAG,
    auth="bureau",
    permission=Permission.BATCHES,
    response=BatchOut,
)
async def publish_batch(request: web.Request, user: BureauUser) -> BatchOut:
    batch = await manage_batches.publish_batch(request.app[SERVICES], user, path_int(request, "batch_id"))
    return BatchOut.of(batch)


@endpoint(
    "POST",
    BATCH + "/close",
    summary="Close a published batch",
    tag=TAG,
    auth="bureau",
    permission=Permission.BATCHES,
    response=BatchOut,
)
async def close_batch(request: web.Request, user: BureauUser) -> BatchOut:
    batch = await manage_batches.close_batch(request.app[SERVICES], user, path_int(request, "batch_id"))
    return BatchOut.of(batch)


@endpoint(
    "POST",
    BATCH + "/roster",
    summary="Import a roster (CSV or JSON) into a targeted batch",
    tag=TAG,
    auth="bureau",
    permission=Permission.BATCHES,
    upload=ROSTER_TYPES,
    response=ImportReportOut,
)
async def upload_roster(request: web.Request, user: BureauUser, upload: bytes) -> ImportReportOut:
    rows = parse_roster(upload, request.content_type)
    report = await import_roster(request.app[SERVICES], user, path_int(request, "batch_id"), rows)
    return ImportReportOut.of(report)


@endpoint(
    "POST",
    BATCH + "/eligibility",
    summary="Import the eligibility list (CSV or JSON)",
    tag=TAG,
    auth="bureau",
    permission=Permission.BATCHES,
    upload=ROSTER_TYPES,
    response=ImportReportOut,
)
async def upload_eligibility(request: web.Request, user: BureauUser, upload: bytes) -> ImportReportOut:
    rows = parse_roster(upload, request.content_type)
    report = await import_eligibility(request.app[SERVICES], user, path_int(request, "batch_id"), rows)
    return ImportReportOut.of(report)


@endpoint(
    "POST",
    "/api/v1/admin/vouchers/{code:[A-Z2-7]{16}}/revoke",
    summary="Revoke a voucher",
    tag=TAG,
    auth="bureau",
    permission=Permission.VOUCHERS,
    body=RevokeRequest,
    response=RevokedOut,
)
async def revoke(request: web.Request, user: BureauUser, body: RevokeRequest) -> RevokedOut:
    voucher = await revoke_voucher(user, request.match_info["code"], body.reason)
    return RevokedOut(code=voucher.code, status=voucher.status)
