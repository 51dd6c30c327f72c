"""Answering callers that wait on their own futures (coalesced reads, group writes, the gate).

Each caller awaits a future of its own, so one that goes away cancels only that future; whoever
does the shared work answers every future still waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any


def answer(future: asyncio.Future[Any], outcome: Any) -> None:
    """Gives the caller its outcome: a value, or an exception it will raise. A caller that went
    away (its future done) is skipped."""
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
        future.exception()  # retrieved: a caller that left must not be reported as lost
    else:
        future.set_result(outcome)


async def answer_group(group: Sequence[tuple[Any, asyncio.Future[Any]]], work: Awaitable[Sequence[Any]]) -> bool:
    """Answers each waiter of the group with its outcome from `work`, in order, or every one of
    them with what `work` raised; False then (the group failed as a whole). Cancellation is
    raised again once the waiters have heard it."""
    try:
        outcomes = await work
    except BaseException as exc:
        for _, future in group:
            answer(future, exc)
        if not isinstance(exc, Exception):
            raise
        return False
    for (_, future), outcome in zip(group, outcomes, strict=True):
        answer(future, outcome)
    return True
