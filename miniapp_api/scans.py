"""Scanning API: the one scan call, its annulment, QR codes (voucher and class), the public
keys and the revocation list for offline scanners, and the trainee's location check-in."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from miniapp_api.endpoint import endpoint, path_int
from miniapp_api.metrics import SCANS
from models import ChannelAccount, Staff
from peixunquan.appkeys import SERVICES
from vouchers.claiming.voucher_code import class_code, my_voucher_code
from vouchers.common.tokens import TokenClaims
from vouchers.institutions.spec import LocationCheckinSpec, ScanSpec
from vouchers.qr import codes as qr
from vouchers.qr.codes import SignedCode
from vouchers.qr.revocations import revocations_since
from vouchers.scanning.annul import annul_scan
from vouchers.scanning.location import location_checkin
from vouchers.scanning.my_scans import my_recent_scans
from vouchers.scanning.scan import REASONS, scan

TAG = "scans"


class QrQuery(BaseModel):
    format: Literal["raw", "png", "svg"] = "raw"


class QrOut(BaseModel):
    payload: str = Field(description="Show it as a QR code; it changes every step")
    step_s: int
    expires_at: datetime = Field(description="When the next step starts: show a fresh code before then")


class PublicKeyOut(BaseModel):
    key_id: str
    algorithm: Literal["Ed25519"] = "Ed25519"
    public_key: str = Field(description="32 raw bytes, base64url without padding")
    signing: bool


class PublicKeys(BaseModel):
    keys: list[PublicKeyOut]
    step_s: int
    tolerance_steps: int


class RevocationsQuery(BaseModel):
    since: int = Field(0, ge=0, le=2**62, description="The cursor of the previous answer (0 the first time)")
    limit: int = Field(1000, ge=1, le=5000)


class RevocationOut(BaseModel):
    code: str
    status: str
    at: datetime


class Revocations(BaseModel):
    items: list[RevocationOut]
    cursor: int = Field(description="Pass as `since` next time")


class VoucherSummary(BaseModel):
    code: str
    status: str
    title: str
    value_mode: str
    face_value_fen: int | None
    project_types: list[str]
    occupation: str | None
    valid_until: datetime
    holder_name: str = Field(description="Masked: 王*明")
    holder_id_number: str = Field(description="Masked: 3202**********123X")


class ScanAnswer(BaseModel):
    result: Literal["ok", "error"]
    reason: str | None = Field(
        description="One code of a closed list, set on errors and on already_checked_in: " + ", ".join(REASONS)
    )
    message: str = Field(description="Chinese text for the scanner's screen")
    action: str
    scan_id: int
    replayed: bool = Field(description="True when this nonce was seen before: the first answer, unchanged")
    class_id: int | None
    lesson_id: int | None
    voucher: VoucherSummary | None
    checked_in_at: datetime | None = None
    at: datetime = Field(description="When the server recorded the scan")
    annulled: bool = False
    annullable: bool = Field(False, description="In the recent list: this member can still annul it")
    class_name: str | None = Field(None, description="In the recent list: the class's name")


class RecentScansQuery(BaseModel):
    limit: int = Field(20, ge=1, le=100)


class RecentScans(BaseModel):
    items: list[ScanAnswer]


class AnnulOut(BaseModel):
    scan_id: int
    annulled_at: datetime


class LocationAnswer(BaseModel):
    result: Literal["ok"] = "ok"
    reason: str | None = Field(description="already_checked_in when this lesson was checked in before")
    message: str
    lesson_id: int
    class_name: str
    site_name: str
    distance_m: float
    allowed_m: float
    checked_in_at: datetime


def _code_response(code: SignedCode, fmt: str, step_s: int) -> Any:
    # Seconds until the code's step ends, by the server's clock: a page refreshes before then
    # without trusting the phone's clock.
    refresh_in = max(0, int(code.expires_at - time.time()))
    headers = {"Cache-Control": "no-store", "X-Qr-Refresh-In": str(refresh_in), "X-Qr-Step-Seconds": str(step_s)}
    if fmt == "png":
        return web.Response(body=qr.png(code.payload), content_type="image/png", headers=headers)
    if fmt == "svg":
        return web.Response(body=qr.svg(code.payload), content_type="image/svg+xml", headers=headers)
    return QrOut(payload=code.payload, step_s=step_s, expires_at=datetime.fromtimestamp(code.expires_at, UTC))


@endpoint("GET", "/api/v1/qr/keys", summary="Public keys that sign QR codes", tag=TAG, response=PublicKeys)
async def public_keys(request: web.Request) -> PublicKeys:
    ring = request.app[SERVICES].qr
    return PublicKeys(
        keys=[
            PublicKeyOut(
                key_id=kid,
                public_key=base64.urlsafe_b64encode(raw).decode().rstrip("="),
                signing=kid == ring.signing_key_id,
            )
            for kid, raw in sorted(ring.public_keys.items())
        ],
        step_s=ring.step_s,
        tolerance_steps=ring.tolerance_steps,
    )


@endpoint(
    "GET",
    "/api/v1/qr/revocations",
    summary="Vouchers no longer usable, since a cursor (offline scanners)",
    tag=TAG,
    auth="staff",
    query=RevocationsQuery,
    response=Revocations,
)
async def revocations(request: web.Request, staff: Staff, query: RevocationsQuery) -> Revocations:
    items, cursor = await revocations_since(query.since, query.limit)
    return Revocations(items=[RevocationOut(code=r.code, status=r.status, at=r.at) for r in items], cursor=cursor)


@endpoint(
    "GET",
    "/api/v1/vouchers/{code:[A-Z2-7]{16}}/qr",
    summary="My voucher's rotating QR code (raw payload, PNG or SVG)",
    tag=TAG,
    auth="trainee",
    query=QrQuery,
    response=QrOut,
)
async def voucher_qr(request: web.Request, account: ChannelAccount, query: QrQuery) -> Any:
    svc = request.app[SERVICES]
    code = await my_voucher_code(svc, account, request.match_info["code"])
    return _code_response(code, query.format, svc.qr.step_s)


@endpoint(
    "GET",
    "/api/v1/institution/classes/{class_id:\\d{1,9}}/qr",
    summary="The rotating class code shown in the classroom for location check-in",
    tag=TAG,
    auth="staff",
    query=QrQuery,
    response=QrOut,
)
async def class_qr(request: web.Request, staff: Staff, query: QrQuery) -> Any:
    svc = request.app[SERVICES]
    _, code = await class_code(svc, staff, path_int(request, "class_id"))
    return _code_response(code, query.format, svc.qr.step_s)


@endpoint(
    "POST",
    "/api/v1/scans",
    summary="Scan a voucher QR: verify (验券), enrol (用券) or check in (签到)",
    tag=TAG,
    auth="staff_claims",
    body=ScanSpec,
    response=ScanAnswer,
)
async def post_scan(request: web.Request, claims: TokenClaims, body: ScanSpec) -> web.Response:
    # The use case answers with the JSON body itself, in ScanAnswer's shape (the tests hold it to
    # the schema): validating and serializing it again here was a visible share of the busiest call.
    reply = await scan(request.app[SERVICES], claims, body)
    key = (str(body.action), reply.reason or reply.result)
    counter = _scan_counters.get(key)
    if counter is None:  # a closed set of actions and reasons; `labels()` takes a lock each time
        counter = _scan_counters[key] = SCANS.labels(*key)
    counter.inc()
    return web.Response(body=reply.body, content_type="application/json")


_scan_counters: dict[tuple[str, str], Any] = {}


@endpoint(
    "GET",
    "/api/v1/scans",
    summary="My most recent scans",
    tag=TAG,
    auth="staff",
    query=RecentScansQuery,
    response=RecentScans,
)
async def recent_scans(request: web.Request, staff: Staff, query: RecentScansQuery) -> RecentScans:
    return RecentScans(
        items=[
            ScanAnswer.model_validate(a)
            for a in await my_recent_scans(staff, query.limit, request.app[SERVICES].annul_window_s)
        ]
    )


@endpoint(
    "POST",
    "/api/v1/scans/{scan_id:\\d{1,12}}/annul",
    summary="Annul my own scan within the window (15 minutes)",
    tag=TAG,
    auth="staff",
    response=AnnulOut,
)
async def annul(request: web.Request, staff: Staff) -> AnnulOut:
    record = await annul_scan(request.app[SERVICES], staff, path_int(request, "scan_id"))
    assert record.annulled_at is not None
    return AnnulOut(scan_id=record.id, annulled_at=record.annulled_at)


@endpoint(
    "POST",
    "/api/v1/checkins/location",
    summary="Check in by location with the class code shown in the classroom",
    tag=TAG,
    auth="trainee",
    body=LocationCheckinSpec,
    response=LocationAnswer,
)
async def checkin_location(request: web.Request, account: ChannelAccount, body: LocationCheckinSpec) -> LocationAnswer:
    r = await location_checkin(request.app[SERVICES], account, body)
    return LocationAnswer(
        reason="already_checked_in" if r.already else None,
        message="本节课已签到" if r.already else "签到成功",
        lesson_id=r.lesson_id,
        class_name=r.class_name,
        site_name=r.site_name,
        distance_m=r.distance_m,
        allowed_m=r.allowed_m,
        checked_in_at=r.checked_in_at,
    )
