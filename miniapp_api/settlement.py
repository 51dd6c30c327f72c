"""Settlement API: the institution submits completion results; the bureau maintains subsidy
standards and reviews the claims (/api/v1/institution/... and /api/v1/admin/settlement/...)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints

from miniapp_api.endpoint import endpoint, path_int
from miniapp_api.schemas import RowProblemOut, Strict
from models import BureauUser, ClaimStatus, PayeeKind, SettlementClaim, Staff
from peixunquan.appkeys import SERVICES
from vouchers.batches.spec import NoNul
from vouchers.common.personal_data import PersonalDataKeys, mask_id_number
from vouchers.identity.bureau_roles import Permission
from vouchers.scanning.summary import mask_name
from vouchers.settlement.attendance import attendance_for_review
from vouchers.settlement.completion import CompletionReport, submit_completion
from vouchers.settlement.completion_file import XLSX_TYPE, parse_completion
from vouchers.settlement.queue import QueueFilter, list_claims
from vouchers.settlement.review import Decision, decide_claim, decide_class
from vouchers.settlement.review_trail import Reviewer, ReviewTrail, review_trails

TAG = "settlement"
UPLOAD_TYPES = ("text/csv", "application/json", XLSX_TYPE)
CLASS_COMPLETION = "/api/v1/institution/classes/{class_id:\\d{1,9}}/completion"
ADMIN = "/api/v1/admin/settlement"

Text32 = Annotated[str, StringConstraints(max_length=32, strip_whitespace=True), NoNul]
Text64 = Annotated[str, StringConstraints(max_length=64, strip_whitespace=True), NoNul]


class SubmittedRowOut(BaseModel):
    line: int
    voucher_code: str
    claim_id: int
    passed: bool
    subsidy_fen: int
    # Lessons within the class's dates, those attended, and the share (the region's
    # min_attendance_share refuses a row below it, with the required share in the message).
    attended_lessons: int
    lessons: int
    attendance_share: float


class CompletionReportOut(BaseModel):
    total: int
    created: int  # claims filed
    rejected: int
    rows: list[SubmittedRowOut]
    problems: list[RowProblemOut]

    @classmethod
    def of(cls, r: CompletionReport) -> CompletionReportOut:
        return cls(
            total=r.total,
            created=len(r.submitted),
            rejected=len(r.problems),
            rows=[SubmittedRowOut(**vars(s)) for s in r.submitted],
            problems=[
                RowProblemOut(line=p.line, code=p.code, message=p.message)
                for p in sorted(r.problems, key=lambda p: p.line)
            ],
        )


class ReviewerOut(BaseModel):
    id: int
    name: str

    @classmethod
    def of(cls, r: Reviewer | None) -> ReviewerOut | None:
        return cls(id=r.id, name=r.name) if r else None


class ClaimListRef(BaseModel):
    """The live payment list holding an approved claim."""

    id: int
    number: str
    status: str


class ClaimOut(BaseModel):
    id: int
    status: ClaimStatus  # pending, first_approved (初审通过, waits for a second reviewer), approved, ...
    voucher_code: str
    batch_title: str
    value_mode: str
    holder_name: str  # masked
    id_number: str  # masked
    class_id: int
    class_name: str
    institution: str
    passed: bool
    certificate_kind: str | None
    certificate_number: str | None
    certificate_level: str | None
    standard_fen: int
    ratio_permille: int
    subsidy_fen: int
    submitted_at: datetime
    decided_at: datetime | None
    reason: str | None
    # Attendance at the class's lessons, and how many of the check-ins were manual (补签).
    attended: int = 0
    lessons: int = 0
    manual_checkins: int = 0
    # Review levels the claim's region needs now (1 or 2), who approved first (初审), who made
    # the second decision (复审) of a two-level claim, the final decider, and its payment list.
    review_levels: int = 1
    first_reviewer: ReviewerOut | None = None
    first_reviewed_at: datetime | None = None
    second_reviewer: ReviewerOut | None = None
    decided_by: ReviewerOut | None = None
    payment_list: ClaimListRef | None = None

    @classmethod
    def of(cls, c: SettlementClaim, keys: PersonalDataKeys) -> ClaimOut:
        v = c.voucher
        return cls(
            id=c.id,
            status=c.status,
            voucher_code=v.code,
            batch_title=v.batch.title,
            value_mode=str(v.batch.value_mode),
            holder_name=mask_name(keys.decrypt(v.person.name_cipher, b"name")),
            id_number=mask_id_number(keys.decrypt(v.person.id_cipher, b"id")),
            class_id=c.training_class_id,
            class_name=c.training_class.name,
            institution=c.institution.name,
            passed=c.passed,
            certificate_kind=c.certificate_kind,
            certificate_number=c.certificate_number,
            certificate_level=c.certificate_level,
            standard_fen=c.standard_fen,
            ratio_permille=c.ratio_permille,
            subsidy_fen=c.subsidy_fen,
            submitted_at=c.submitted_at,
            decided_at=c.decided_at,
            reason=c.reason,
            first_reviewed_at=c.first_reviewed_at,
        )

    def with_trail(self, t: ReviewTrail) -> ClaimOut:
        listed = t.payment_list
        return self.model_copy(
            update={
                "review_levels": t.review_levels,
                "first_reviewer": ReviewerOut.of(t.first_reviewer),
                "second_reviewer": ReviewerOut.of(t.second_reviewer),
                "decided_by": ReviewerOut.of(t.decided_by),
                "payment_list": ClaimListRef(id=listed.id, number=listed.number, status=listed.status)
                if listed
                else None,
            }
        )


class ClaimList(BaseModel):
    items: list[ClaimOut]


class ClaimPage(ClaimList):
    total: int  # claims matching the filter, all pages
    total_subsidy_fen: int  # their subsidies summed
    limit: int
    offset: int


async def _reviewed(claims: list[SettlementClaim], keys: PersonalDataKeys) -> list[ClaimOut]:
    """The claims with their attendance, manual check-ins counted, and their review trail."""
    seen = await attendance_for_review([(c.voucher_id, c.training_class) for c in claims])
    trails = await review_trails(claims)
    items = []
    for c in claims:
        a = seen[(c.voucher_id, c.training_class_id)]
        extra = {"attended": a.attended, "lessons": a.lessons, "manual_checkins": a.manual}
        items.append(ClaimOut.of(c, keys).model_copy(update=extra).with_trail(trails[c.id]))
    return items


class ClaimQuery(Strict):
    status: ClaimStatus | None = None
    institution_id: int | None = Field(None, ge=1, le=999_999_999)
    class_id: int | None = Field(None, ge=1, le=999_999_999)
    batch_id: int | None = Field(None, ge=1, le=999_999_999)
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class DecisionIn(Strict):
    decision: Literal["approve", "reject"]
    reason: Annotated[str, StringConstraints(max_length=200), NoNul] | None = None
    payee: PayeeKind | None = None
    employer_name: Annotated[str, StringConstraints(max_length=100), NoNul] | None = None

    def to_decision(self) -> Decision:
        return Decision(self.decision == "approve", self.reason, self.payee, self.employer_name)


@endpoint(
    "POST",
    CLASS_COMPLETION,
    summary="Submit completion and assessment results of a class (CSV, XLSX or JSON), reported row by row",
    tag=TAG,
    auth="staff",
    upload=UPLOAD_TYPES,
    response=CompletionReportOut,
)
async def submit(request: web.Request, staff: Staff, upload: bytes) -> CompletionReportOut:
    rows = parse_completion(upload, request.content_type)
    report = await submit_completion(request.app[SERVICES], staff, path_int(request, "class_id"), rows)
    return CompletionReportOut.of(report)


@endpoint(
    "GET",
    ADMIN + "/claims",
    summary="Settlement review queue",
    tag=TAG,
    auth="bureau",
    query=ClaimQuery,
    response=ClaimPage,
)
async def get_claims(request: web.Request, user: BureauUser, query: ClaimQuery) -> ClaimPage:
    f = QueueFilter(query.status, query.institution_id, query.class_id, query.batch_id)
    page = await list_claims(user, f, query.limit, query.offset)
    items = await _reviewed(page.claims, request.app[SERVICES].keys)
    return ClaimPage(
        items=items,
        total=page.total,
        total_subsidy_fen=page.total_subsidy_fen,
        limit=query.limit,
        offset=query.offset,
    )


@endpoint(
    "POST",
    ADMIN + "/claims/{claim_id:\\d{1,12}}/decision",
    summary="Approve or reject one claim (with two review levels, a first approval makes it first_approved)",
    tag=TAG,
    auth="bureau",
    permission=(Permission.REVIEW_FIRST, Permission.REVIEW_SECOND),
    body=DecisionIn,
    response=ClaimOut,
)
async def post_claim_decision(request: web.Request, user: BureauUser, body: DecisionIn) -> ClaimOut:
    claim = await decide_claim(user, path_int(request, "claim_id"), body.to_decision())
    trails = await review_trails([claim])
    return ClaimOut.of(claim, request.app[SERVICES].keys).with_trail(trails[claim.id])


@endpoint(
    "POST",
    ADMIN + "/classes/{class_id:\\d{1,9}}/decision",
    summary="Approve or reject every claim of a class waiting for this reviewer",
    tag=TAG,
    auth="bureau",
    permission=(Permission.REVIEW_FIRST, Permission.REVIEW_SECOND),
    body=DecisionIn,
    response=ClaimList,
)
async def post_class_decision(request: web.Request, user: BureauUser, body: DecisionIn) -> ClaimList:
    claims = await decide_class(user, path_int(request, "class_id"), body.to_decision())
    return ClaimList(items=await _reviewed(claims, request.app[SERVICES].keys))
