"""Training evaluation (培训评价): trainees rate their training (/api/v1/evaluations), institutions
read their aggregates (/api/v1/institution/evaluations), bureaus read them per institution and
class with the comments (/api/v1/admin/evaluations). No answer names who wrote an evaluation."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, Field

from miniapp_api.endpoint import endpoint, path_int
from miniapp_api.schemas import Page
from models import BureauUser, ChannelAccount, Staff
from vouchers.common.clock import utcnow
from vouchers.common.labels import status_label
from vouchers.evaluation.aggregates import Summary
from vouchers.evaluation.bureau_view import BureauEvaluations, bureau_evaluations
from vouchers.evaluation.eligibility import pending
from vouchers.evaluation.give import EDIT_WINDOW, Given, edit_evaluation, give_evaluation, my_evaluations
from vouchers.evaluation.institution_view import COMMENTS_FROM, institution_evaluations
from vouchers.evaluation.spec import COMMENT_MAX, EvaluationSpec, NewEvaluation
from vouchers.evaluation.tags import NEGATIVE, POSITIVE, tags_of

TAG = "evaluation"
ID = r"{evaluation_id:\d{1,9}}"


class TagsOut(BaseModel):
    positive: list[str]
    negative: list[str]
    comment_max: int = Field(description="Longest comment, in characters")
    edit_days: int = Field(description="Days after it was first given that an evaluation can be changed")


class PendingItem(BaseModel):
    voucher_code: str
    title: str  # the batch's
    status: str
    status_label: str
    class_id: int
    class_name: str
    institution_id: int
    institution_name: str
    ended_at: datetime | None = Field(description="When the class's last lesson ended")


class PendingList(BaseModel):
    items: list[PendingItem]


class EvaluationOut(BaseModel):
    id: int
    voucher_code: str
    title: str
    class_id: int
    class_name: str
    institution_id: int
    institution_name: str
    teaching: int
    organisation: int
    usefulness: int
    tags: list[str]
    comment: str
    given_at: datetime
    updated_at: datetime
    editable_until: datetime
    editable: bool

    @classmethod
    def of(cls, given: Given, now: datetime) -> EvaluationOut:
        e = given.evaluation
        return cls(
            id=e.id,
            voucher_code=e.voucher.code,
            title=e.voucher.batch.title,
            class_id=e.training_class_id,
            class_name=e.training_class.name,
            institution_id=e.institution_id,
            institution_name=e.institution.name,
            teaching=e.teaching,
            organisation=e.organisation,
            usefulness=e.usefulness,
            tags=tags_of(e.tag_mask),
            comment=e.comment,
            given_at=e.given_at,
            updated_at=e.updated_at,
            editable_until=given.editable_until(),
            editable=given.editable(now),
        )


class EvaluationList(BaseModel):
    items: list[EvaluationOut]


class SummaryOut(BaseModel):
    count: int
    teaching: float | None
    organisation: float | None
    usefulness: float | None
    score: float | None = Field(description="Mean of the three dimensions, 1-5; null without evaluations")
    tags: dict[str, int] = Field(description="How often each tag was chosen (tags never chosen left out)")

    @classmethod
    def of(cls, s: Summary) -> SummaryOut:
        return cls(**asdict(s))


class InstitutionClassOut(BaseModel):
    class_id: int
    class_name: str
    start_date: str
    end_date: str
    summary: SummaryOut
    comments: list[str] = Field(description="Without names, sorted by text; empty while hidden")
    comments_hidden: bool = Field(description="Fewer evaluations than comments_from: comments are not shown")


class InstitutionEvaluationsOut(BaseModel):
    overall: SummaryOut
    classes: list[InstitutionClassOut]
    comments_from: int


class BureauQuery(Page):
    institution_id: int | None = Field(None, ge=1, le=999_999_999)
    class_id: int | None = Field(None, ge=1, le=999_999_999)


class GroupOut(BaseModel):
    id: int
    name: str
    institution_id: int
    institution_name: str
    summary: SummaryOut


class CommentOut(BaseModel):
    institution_id: int
    institution_name: str
    class_id: int
    class_name: str
    teaching: int
    organisation: int
    usefulness: int
    tags: list[str]
    comment: str
    given_at: datetime


class BureauEvaluationsOut(BaseModel):
    overall: SummaryOut
    institutions: list[GroupOut] = Field(description="Per institution, when no institution or class is chosen")
    classes: list[GroupOut] = Field(description="Per class, when an institution or a class is chosen")
    comments: list[CommentOut] = Field(description="Newest first, a page (limit, offset) at a time")

    @classmethod
    def of(cls, found: BureauEvaluations) -> BureauEvaluationsOut:
        def group(g) -> GroupOut:
            return GroupOut(
                id=g.id,
                name=g.name,
                institution_id=g.institution_id,
                institution_name=g.institution_name,
                summary=SummaryOut.of(g.summary),
            )

        return cls(
            overall=SummaryOut.of(found.overall),
            institutions=[group(g) for g in found.institutions],
            classes=[group(g) for g in found.classes],
            comments=[CommentOut(**asdict(c)) for c in found.comments],
        )


# --- the trainee ---------------------------------------------------------------------------------


@endpoint(
    "GET",
    "/api/v1/evaluations/tags",
    summary="The tags an evaluation may carry, and its limits",
    tag=TAG,
    response=TagsOut,
)
async def get_tags(request: web.Request) -> TagsOut:
    return TagsOut(
        positive=list(POSITIVE), negative=list(NEGATIVE), comment_max=COMMENT_MAX, edit_days=EDIT_WINDOW.days
    )


@endpoint(
    "GET",
    "/api/v1/evaluations/pending",
    summary="My vouchers whose training can be evaluated now",
    tag=TAG,
    auth="trainee",
    response=PendingList,
)
async def get_pending(request: web.Request, account: ChannelAccount) -> PendingList:
    found = await pending(account, utcnow())
    return PendingList(
        items=[
            PendingItem(
                voucher_code=s.voucher.code,
                title=s.voucher.batch.title,
                status=s.voucher.status,
                status_label=status_label(s.voucher.status) or "",
                class_id=s.training_class.id,
                class_name=s.training_class.name,
                institution_id=s.training_class.institution_id,
                institution_name=s.training_class.institution.name,
                ended_at=s.ended_at,
            )
            for s in found
        ]
    )


@endpoint(
    "GET", "/api/v1/evaluations", summary="My evaluations", tag=TAG, auth="trainee", query=Page, response=EvaluationList
)
async def list_mine(request: web.Request, account: ChannelAccount, query: Page) -> EvaluationList:
    now = utcnow()
    found = await my_evaluations(account, query.limit, query.offset)
    return EvaluationList(items=[EvaluationOut.of(g, now) for g in found])


@endpoint(
    "POST",
    "/api/v1/evaluations",
    summary="Evaluate the training a voucher paid for (once per voucher)",
    tag=TAG,
    auth="trainee",
    body=NewEvaluation,
    response=EvaluationOut,
    status=201,
)
async def give(request: web.Request, account: ChannelAccount, body: NewEvaluation) -> EvaluationOut:
    now = utcnow()
    return EvaluationOut.of(await give_evaluation(account, body, now), now)


@endpoint(
    "PUT",
    "/api/v1/evaluations/" + ID,
    summary="Change my evaluation, within 7 days of first giving it",
    tag=TAG,
    auth="trainee",
    body=EvaluationSpec,
    response=EvaluationOut,
)
async def edit(request: web.Request, account: ChannelAccount, body: EvaluationSpec) -> EvaluationOut:
    now = utcnow()
    given = await edit_evaluation(account, path_int(request, "evaluation_id"), body, now)
    return EvaluationOut.of(given, now)


# --- the institution -----------------------------------------------------------------------------


@endpoint(
    "GET",
    "/api/v1/institution/evaluations",
    summary="Our evaluations: aggregates overall and per class, comments only from 3 evaluations of a class",
    tag=TAG,
    auth="staff",
    query=Page,
    response=InstitutionEvaluationsOut,
)
async def for_institution(request: web.Request, staff: Staff, query: Page) -> InstitutionEvaluationsOut:
    found = await institution_evaluations(staff, query.limit, query.offset)
    return InstitutionEvaluationsOut(
        overall=SummaryOut.of(found.overall),
        classes=[
            InstitutionClassOut(
                class_id=c.class_id,
                class_name=c.class_name,
                start_date=c.start_date,
                end_date=c.end_date,
                summary=SummaryOut.of(c.summary),
                comments=c.comments or [],
                comments_hidden=c.comments is None,
            )
            for c in found.classes
        ],
        comments_from=COMMENTS_FROM,
    )


# --- the bureau ----------------------------------------------------------------------------------


@endpoint(
    "GET",
    "/api/v1/admin/evaluations",
    summary="Evaluations in my region: per institution, or per class of one, with the comments (no names)",
    tag=TAG,
    auth="bureau",
    query=BureauQuery,
    response=BureauEvaluationsOut,
)
async def for_bureau(request: web.Request, user: BureauUser, query: BureauQuery) -> BureauEvaluationsOut:
    found = await bureau_evaluations(user, query.institution_id, query.class_id, query.limit, query.offset)
    return BureauEvaluationsOut.of(found)
