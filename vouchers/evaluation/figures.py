"""Evaluations in the bureau's statistics: how many were given in the period, and the points
they gave (the three scores summed), per batch, so a region's score is points / (3 x count)
whatever the regions rolled up."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import RawSQL
from tortoise.functions import Count, Sum

from models import Evaluation

POINTS = RawSQL('"evaluation"."teaching" + "evaluation"."organisation" + "evaluation"."usefulness"')


async def evaluation_figures(batch_ids: list[int], start: datetime, end: datetime) -> dict[int, dict[str, int]]:
    rows = (
        await Evaluation.filter(voucher__batch_id__in=batch_ids, given_at__gte=start, given_at__lt=end)
        .group_by("voucher__batch_id")
        .annotate(n=Count("id"), points=Sum(POINTS))
        .values_list("voucher__batch_id", "n", "points")
    )
    return {batch_id: {"evaluations": int(n), "evaluation_points": int(p or 0)} for batch_id, n, p in rows}


def score(evaluations: int, points: int) -> float | None:
    return round(points / (3 * evaluations), 1) if evaluations else None
