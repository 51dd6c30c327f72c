"""The score a catalogue shows for an institution or a class: the mean of the three dimensions
over its evaluations, one decimal; None without any evaluation. The plural forms read many at
once (a catalogue page)."""

from __future__ import annotations

from models import Evaluation
from vouchers.evaluation.aggregates import Summary, summaries


async def institution_ratings(institution_ids: list[int]) -> dict[int, Summary]:
    return await summaries(Evaluation.filter(institution_id__in=institution_ids), "institution_id")


async def class_ratings(class_ids: list[int]) -> dict[int, Summary]:
    return await summaries(Evaluation.filter(training_class_id__in=class_ids), "training_class_id")


async def institution_scores(institution_ids: list[int]) -> dict[int, float]:
    return {i: s.score for i, s in (await institution_ratings(institution_ids)).items() if s.score is not None}


async def class_scores(class_ids: list[int]) -> dict[int, float]:
    return {i: s.score for i, s in (await class_ratings(class_ids)).items() if s.score is not None}


async def institution_score(institution_id: int) -> float | None:
    return (await institution_scores([institution_id])).get(institution_id)


async def class_score(class_id: int) -> float | None:
    return (await class_scores([class_id])).get(class_id)
