"""The evaluation score the catalogue shows (培训评价, issue 21 item 3, built on its own branch).

A seam: None ("no evaluations yet") until the evaluation part is wired in here, the one place
the catalogue reads a score from."""

from __future__ import annotations


async def institution_score(institution_id: int) -> float | None:
    """The institution's average evaluation (1 to 5), None while it has none."""
    return None
