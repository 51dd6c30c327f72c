"""Scans made offline, uploaded when the network returns (POST /api/v1/scans/offline): each is
judged as a scan of its own time and answered one by one (vouchers/scanning/offline_upload.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aiohttp import web
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from miniapp_api.endpoint import endpoint
from miniapp_api.schemas import Strict
from models import Staff
from peixunquan.appkeys import SERVICES
from vouchers.batches.spec import NoNul
from vouchers.institutions.spec import QrText, ScanAction, ScanSpec
from vouchers.scanning.offline_upload import upload_offline_scans

TAG = "scans"
MAX_SCANS = 500


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("扫码时间须带时区")
    return at.astimezone(UTC)


class QueuedScan(Strict):
    payload: QrText
    action: ScanAction
    class_id: int | None = Field(None, ge=1, le=2_000_000_000)
    lesson_id: int | None = Field(None, ge=1, le=2_000_000_000)
    nonce: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
    scanned_at: Annotated[datetime, AfterValidator(_aware)] = Field(description="When the code was read, offline")


class OfflineUpload(Strict):
    device: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NoNul]
    scans: list[QueuedScan] = Field(min_length=1, max_length=MAX_SCANS)


class OfflineAnswerOut(BaseModel):
    nonce: str
    action: str
    result: str  # ok, error
    reason: str | None
    message: str
    voucher_code: str | None
    holder_name: str | None  # masked
    scanned_at: datetime
    counted: bool  # the scan changed what it was meant to (a check-in recorded, a verify passed)


class OfflineResult(BaseModel):
    items: list[OfflineAnswerOut]
    refused: int


@endpoint(
    "POST",
    "/api/v1/scans/offline",
    summary="Upload scans made offline (verify, check-in): each judged at its own time, answered one by one",
    tag=TAG,
    auth="staff",
    body=OfflineUpload,
    response=OfflineResult,
)
async def post_offline(request: web.Request, staff: Staff, body: OfflineUpload) -> OfflineResult:
    specs = [ScanSpec(**s.model_dump(), device=body.device) for s in body.scans]
    answers = await upload_offline_scans(request.app[SERVICES], staff, specs)
    items = [
        OfflineAnswerOut(
            nonce=a.nonce,
            action=a.action,
            result=a.result,
            reason=a.reason,
            message=a.message,
            voucher_code=a.voucher_code,
            holder_name=a.holder_name,
            scanned_at=a.scanned_at,
            counted=not a.refused,
        )
        for a in answers
    ]
    return OfflineResult(items=items, refused=sum(1 for a in answers if a.refused))
