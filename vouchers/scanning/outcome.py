"""What a scan action decided, before the scan call records it and answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

OK = "ok"


@dataclass
class Outcome:
    """What an action decided; the scan call turns it into a record and an answer."""

    result: str = OK
    reason: str | None = None
    message: str = ""
    class_id: int | None = None
    lesson_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Rows this scan created (enrolment, attendance): they get the scan's id, for annulment.
    links: list[Any] = field(default_factory=list)


# An action runs its own writes in `conn` and returns the outcome; the scan record joins them.
Write = Callable[[Any], Awaitable[Outcome]]


@dataclass(frozen=True)
class Const:
    """An outcome decided without writing anything but the scan record."""

    outcome: Outcome

    async def __call__(self, conn: Any) -> Outcome:
        return self.outcome
