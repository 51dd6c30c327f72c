"""Counts, averages and tag counts of evaluations, grouped in the database (one scan per view):
the averages per dimension, and each tag's count as the sum of its bit of `tag_mask`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import RawSQL
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from models import Evaluation
from vouchers.evaluation.tags import TAGS

DIMENSIONS = ("teaching", "organisation", "usefulness")


@dataclass(frozen=True)
class Summary:
    count: int = 0
    teaching: float | None = None
    organisation: float | None = None
    usefulness: float | None = None
    score: float | None = None  # the mean of the three, what a catalogue shows
    tags: dict[str, int] = field(default_factory=dict)  # the tags chosen at least once, in TAGS order


def _dimension_sums() -> dict[str, Any]:
    """Sums, divided here: Tortoise reads AVG() back through the field, an integer (3.5 -> 3)."""
    return {f"sum_{d}": Sum(d) for d in DIMENSIONS}


def _tag_sums() -> dict[str, Any]:
    return {f"tag{bit}": Sum(RawSQL(f'("evaluation"."tag_mask" >> {bit}) & 1')) for bit in range(len(TAGS))}


def _one_decimal(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _summary(row: dict[str, Any]) -> Summary:
    count = int(row["n"] or 0)
    if not count:
        return Summary()
    means = [int(row[f"sum_{d}"]) / count for d in DIMENSIONS]
    return Summary(
        count=count,
        teaching=_one_decimal(means[0]),
        organisation=_one_decimal(means[1]),
        usefulness=_one_decimal(means[2]),
        score=_one_decimal(sum(means) / len(means)),
        tags={tag: int(row[f"tag{bit}"]) for bit, tag in enumerate(TAGS) if row[f"tag{bit}"]},
    )


async def summaries(query: QuerySet[Evaluation], by: str) -> dict[int, Summary]:
    """Per value of `by` (`training_class_id`, `institution_id`, ...)."""
    rows = (
        await query.group_by(by)
        .annotate(n=Count("id"), **_dimension_sums(), **_tag_sums())
        .values(by, "n", *(f"sum_{d}" for d in DIMENSIONS), *(f"tag{bit}" for bit in range(len(TAGS))))
    )
    return {int(row[by]): _summary(row) for row in rows}


async def summary(query: QuerySet[Evaluation]) -> Summary:
    """Over the whole of `query`, which must filter without joins (Tortoise groups an aggregate
    over a joined query by every column, one row per evaluation)."""
    rows = await query.annotate(n=Count("id"), **_dimension_sums(), **_tag_sums()).values(
        "n", *(f"sum_{d}" for d in DIMENSIONS), *(f"tag{bit}" for bit in range(len(TAGS)))
    )
    return _summary(rows[0]) if rows else Summary()
