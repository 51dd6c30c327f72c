"""What an institution sees of its evaluations: aggregates overall and per class, never who said
what. A class's comments are shown only from 3 evaluations on, so that no comment can be pinned
on the one or two trainees who evaluated; they come sorted by their text, not by time, so their
order does not tell who wrote which either."""

from __future__ import annotations

from dataclasses import dataclass

from models import Evaluation, Staff, TrainingClass
from vouchers.evaluation.aggregates import Summary, summaries, summary

COMMENTS_FROM = 3


@dataclass(frozen=True)
class ClassEvaluations:
    class_id: int
    class_name: str
    start_date: str
    end_date: str
    summary: Summary
    comments: list[str] | None  # None: hidden, fewer than COMMENTS_FROM evaluations


@dataclass(frozen=True)
class InstitutionEvaluations:
    overall: Summary
    classes: list[ClassEvaluations]


async def institution_evaluations(staff: Staff, limit: int = 50, offset: int = 0) -> InstitutionEvaluations:
    """The institution's classes with evaluations, the latest start first."""
    mine = Evaluation.filter(institution_id=staff.institution_id)
    per_class = await summaries(mine, "training_class_id")
    classes = (
        await TrainingClass.filter(id__in=list(per_class)).order_by("-start_date", "-id").offset(offset).limit(limit)
    )
    shown = [c.id for c in classes if per_class[c.id].count >= COMMENTS_FROM]
    comments: dict[int, list[str]] = {class_id: [] for class_id in shown}
    rows = mine.filter(training_class_id__in=shown).exclude(comment="")
    for class_id, text in await rows.values_list("training_class_id", "comment"):
        comments[class_id].append(text)
    return InstitutionEvaluations(
        overall=await summary(mine),
        classes=[
            ClassEvaluations(
                c.id,
                c.name,
                c.start_date.isoformat(),
                c.end_date.isoformat(),
                per_class[c.id],
                sorted(comments[c.id]) if c.id in comments else None,
            )
            for c in classes
        ],
    )
