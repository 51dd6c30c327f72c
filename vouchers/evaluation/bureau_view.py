"""What a bureau sees of the evaluations in its region (by the institution's region): aggregates
per institution, per class of an institution, and the comments with their class, never a name.

The grouping follows the selection: the whole region lists its institutions; one institution
lists its classes; one class, itself. Comments are newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from models import BureauUser, Evaluation, Institution, TrainingClass
from vouchers.common import errors
from vouchers.evaluation.aggregates import Summary, summaries, summary
from vouchers.evaluation.tags import tags_of
from vouchers.institutions.registry import get_institution


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    institution_id: int
    institution_name: str
    summary: Summary


@dataclass(frozen=True)
class Comment:
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


@dataclass(frozen=True)
class BureauEvaluations:
    overall: Summary
    institutions: list[Group]
    classes: list[Group]
    comments: list[Comment]


def in_region(user: BureauUser) -> QuerySet[Evaluation]:
    """By a subquery, not a join: an aggregate over a joined query is grouped per row by Tortoise."""
    path = user.region.path
    institutions = Institution.filter(Q(region__path=path) | Q(region__path__startswith=path + "/"))
    return Evaluation.filter(institution_id__in=Subquery(institutions.values("id")))


async def _class_in_scope(user: BureauUser, class_id: int) -> TrainingClass:
    klass = await TrainingClass.get_or_none(id=class_id)
    if klass is None:
        raise errors.NotFound("找不到该培训班")
    try:
        await get_institution(user, klass.institution_id)
    except errors.NotFound:
        raise errors.NotFound("找不到该培训班") from None
    return klass


async def bureau_evaluations(
    user: BureauUser,
    institution_id: int | None = None,
    class_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> BureauEvaluations:
    selection = in_region(user)
    if institution_id is not None:
        await get_institution(user, institution_id)  # out of the region: not found
        selection = selection.filter(institution_id=institution_id)
    if class_id is not None:
        klass = await _class_in_scope(user, class_id)
        if institution_id is not None and klass.institution_id != institution_id:
            raise errors.NotFound("找不到该培训班")
        selection = selection.filter(training_class_id=class_id)
    institutions: list[Group] = []
    classes: list[Group] = []
    if institution_id is None and class_id is None:
        per_institution = await summaries(selection, "institution_id")
        names = dict(await Institution.filter(id__in=list(per_institution)).values_list("id", "name"))
        institutions = [Group(i, names[i], i, names[i], s) for i, s in per_institution.items()]
        institutions.sort(key=lambda g: (-g.summary.count, g.id))
    else:
        per_class = await summaries(selection, "training_class_id")
        found = await TrainingClass.filter(id__in=list(per_class)).prefetch_related("institution")
        classes = [Group(c.id, c.name, c.institution_id, c.institution.name, per_class[c.id]) for c in found]
        classes.sort(key=lambda g: (-g.summary.count, g.id))
    rows = (
        await selection.exclude(comment="")
        .order_by("-given_at", "-id")
        .offset(offset)
        .limit(limit)
        .prefetch_related("training_class", "institution")
    )
    return BureauEvaluations(
        overall=await summary(selection),
        institutions=institutions,
        classes=classes,
        comments=[
            Comment(
                e.institution_id,
                e.institution.name,
                e.training_class_id,
                e.training_class.name,
                e.teaching,
                e.organisation,
                e.usefulness,
                tags_of(e.tag_mask),
                e.comment,
                e.given_at,
            )
            for e in rows
        ],
    )
