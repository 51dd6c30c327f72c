"""Request and response models of the JSON API (the OpenAPI document is built from them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from models import Batch, BatchStatus, DistributionMode, Voucher, VoucherHistory, VoucherStatus
from vouchers.batches.import_report import PROBLEMS_SHOWN, ImportReport
from vouchers.batches.spec import NoNul
from vouchers.claiming.wallet import effective_status, remaining_days


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


class LoginRequest(Strict):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64), NoNul]  # NoNul: else a PG 500
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class LoginResponse(BaseModel):
    token: str
    expires_in: int
    region: str
    notices: list[str] = Field(
        default_factory=list, description="Things to tell the user now, e.g. their account was locked since"
    )


class LiftRequest(Strict):
    kind: Literal["bureau", "staff"]
    username: Annotated[str, StringConstraints(min_length=1, max_length=64), NoNul]


class Lifted(BaseModel):
    was_locked: bool


class Page(Strict):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class BatchListQuery(Page):
    status: BatchStatus | None = None


class BatchOut(BaseModel):
    id: int
    title: str
    region: str
    value_mode: str
    face_value_fen: int | None
    distribution: str
    voucher_type: str
    project_types: list[str]
    occupation: str | None
    usable_regions: list[str]
    eligible_groups: list[str]
    requires_eligibility_list: bool
    claim_start: datetime | None
    claim_end: datetime | None
    validity_mode: str
    valid_until_date: date | None
    valid_days: int | None
    quantity: int
    remaining: int
    status: str
    fund_source: str
    allow_reclaim_after_return: bool
    region_name: str

    @classmethod
    def of(cls, b: Batch) -> BatchOut:
        return cls(
            id=b.id,
            title=b.title,
            region=b.region_id,
            value_mode=b.value_mode,
            face_value_fen=b.face_value_fen,
            distribution=b.distribution,
            voucher_type=b.voucher_type,
            project_types=b.project_types,
            occupation=b.occupation,
            usable_regions=b.usable_regions,
            eligible_groups=b.eligible_groups,
            requires_eligibility_list=b.requires_eligibility_list,
            claim_start=b.claim_start,
            claim_end=b.claim_end,
            validity_mode=b.validity_mode,
            valid_until_date=b.valid_until_date,
            valid_days=b.valid_days,
            quantity=b.quantity,
            remaining=b.remaining,
            status=b.status,
            fund_source=b.fund_source,
            allow_reclaim_after_return=b.allow_reclaim_after_return,
            region_name=getattr(b.region, "name", ""),  # "" where the region was not fetched (card center)
        )


class BatchList(BaseModel):
    items: list[BatchOut]


class RowProblemOut(BaseModel):
    line: int
    code: str
    message: str


class ImportReportOut(BaseModel):
    total: int
    created: int
    unchanged: int
    rejected: int  # every refused row
    problems: list[RowProblemOut] = Field(description=f"the first {PROBLEMS_SHOWN} refused rows, by line")
    problems_not_shown: int = Field(description="refused rows beyond those listed")

    @classmethod
    def of(cls, r: ImportReport) -> ImportReportOut:
        return cls(
            total=r.total,
            created=r.created,
            unchanged=r.unchanged,
            rejected=r.rejected,
            problems=[RowProblemOut(line=p.line, code=p.code, message=p.message) for p in r.problems],
            problems_not_shown=r.problems_not_shown,
        )


class RevokeRequest(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200), NoNul]


class ClaimRequest(Strict):
    batch_id: int = Field(ge=1, le=2_000_000_000)
    group: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32), NoNul] | None = Field(
        None,
        description="The group the trainee declares (one of the batch's eligible groups). Leave it out where the batch "
        "has requires_eligibility_list: the bureau's list decides (else group_not_declarable). A group other than the "
        "one declared earlier this year needs the bureau's list (else group_conflict).",
    )


class CardCenterItem(BaseModel):
    batch: BatchOut
    claimable: bool
    reason: str | None = Field(description="Why it cannot be claimed: not_eligible, already_claimed, ...")
    message: str | None


class CardCenter(BaseModel):
    items: list[CardCenterItem]


class HistoryOut(BaseModel):
    at: datetime
    action: str
    actor_kind: str
    from_status: str | None
    to_status: str
    automatic: bool

    @classmethod
    def of(cls, h: VoucherHistory) -> HistoryOut:
        return cls(
            at=h.at,
            action=h.action,
            actor_kind=h.actor_kind,
            from_status=h.from_status,
            to_status=h.to_status,
            automatic=h.automatic,
        )


class VoucherOut(BaseModel):
    code: str
    status: VoucherStatus
    batch_id: int
    title: str
    value_mode: str
    face_value_fen: int | None
    project_types: list[str]
    occupation: str | None
    usable_regions: list[str]
    eligible_group: str | None
    automatic: bool
    claimed_at: datetime
    valid_until: datetime = Field(description="Exclusive end of validity (24:00 local time of the last day)")
    days_left: int
    returnable: bool = Field(description="May be given back now (退券): a general voucher, claimed and not used")

    @classmethod
    def of(cls, v: Voucher, now: datetime) -> VoucherOut:
        b = v.batch
        status = effective_status(v, now)
        return cls(
            code=v.code,
            status=status,
            batch_id=b.id,
            title=b.title,
            value_mode=b.value_mode,
            face_value_fen=b.face_value_fen,
            project_types=b.project_types,
            occupation=b.occupation,
            usable_regions=b.usable_regions,
            eligible_group=v.eligible_group,
            automatic=v.automatic,
            claimed_at=v.claimed_at,
            valid_until=v.valid_until,
            days_left=remaining_days(v, now),
            returnable=(
                status == VoucherStatus.CLAIMED and b.distribution == DistributionMode.GENERAL and not v.automatic
            ),
        )


class VoucherList(BaseModel):
    items: list[VoucherOut]


class VoucherDetail(VoucherOut):
    history: list[HistoryOut]


class RevokedOut(BaseModel):
    code: str
    status: VoucherStatus


class Health(BaseModel):
    status: str
    database: str
    redis: str
    # The answering process: with `serve --processes N` each child answers for itself.
    pid: int
    # With [database] read_url: the standby - ok, lagging (replay paused or more than 5 s behind),
    # unreachable, or not_standby (promoted, or not a standby at all). Its trouble never makes
    # /healthz 503: reports then read from the primary. Absent without a standby.
    replica: str | None = None
    replica_lag_s: float | None = None


class LoggedOut(BaseModel):
    ok: bool = True
