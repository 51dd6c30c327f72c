"""The row-by-row report of an import: good rows go in, bad rows say why.

The report lists the first `PROBLEMS_SHOWN` problem rows (by line) and counts the rest: a file of
100,000 bad rows would otherwise make an answer of megabytes that no page can show and no person
reads. The first rows show what is wrong with the file; fix those and import it again.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass, field

from vouchers.common import errors

PROBLEMS_SHOWN = 100


@dataclass
class RowProblem:
    line: int
    code: str
    message: str


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    unchanged: int = 0  # already there: importing the same file twice creates nothing new
    rejected: int = 0  # every refused row, listed or not
    problems: list[RowProblem] = field(default_factory=list)  # the first PROBLEMS_SHOWN, by line

    def reject(self, line: int, error: errors.DomainError) -> None:
        self.rejected += 1
        insort(self.problems, RowProblem(line, error.code, error.text), key=lambda p: p.line)
        if len(self.problems) > PROBLEMS_SHOWN:
            self.problems.pop()

    @property
    def problems_not_shown(self) -> int:
        return self.rejected - len(self.problems)
