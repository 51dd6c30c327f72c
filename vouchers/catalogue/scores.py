"""The evaluation score the catalogue shows (培训评价): the one place the catalogue reads a score."""

from __future__ import annotations

from vouchers.evaluation import scores


async def institution_score(institution_id: int) -> float | None:
    """The institution's average evaluation (1 to 5), None while it has none."""
    return await scores.institution_score(institution_id)
