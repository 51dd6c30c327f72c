"""The row-by-row report of an import: good rows go in, bad rows say why."""

from __future__ import annotations

from dataclasses import dataclass, field

from vouchers.common import errors


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
    problems: list[RowProblem] = field(default_factory=list)

    def reject(self, line: int, error: errors.DomainError) -> None:
        self.problems.append(RowProblem(line, error.code, error.text))
