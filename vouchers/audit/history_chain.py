"""Verifying the voucher history: is every sealed row as it was written, and is every link of
each voucher's chain in place? (`peixunquan verify-history`, the history API.)

A row edited in the database no longer matches its seal ("内容被修改"). A row deleted, or edited
and re-sealed, breaks the link of the row after it ("前一条记录缺失或被修改"). What a chain cannot
show on its own, a voucher's last rows deleted or its whole chain recomputed, the daily roots
kept outside the database show (see `vouchers.audit.daily_roots`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise import connections

from models import Voucher
from models.sql import history_chain as sql
from models.sql.history_chain import CheckedRow
from vouchers.common import errors

ALTERED = "内容被修改"
UNLINKED = "前一条记录缺失或被修改"
STRIPPED = "封存后写入的记录缺少校验值"

# Rows per chunk: one chunk's rows are judged in one statement, and only its broken rows come back.
CHUNK_ROWS = 20_000
# Breaks kept for the report; beyond that only counted (a restored old backup would break them all).
MAX_LISTED = 1_000


@dataclass(frozen=True)
class Break:
    history_id: int
    voucher_code: str
    problem: str


@dataclass
class Report:
    checked: int = 0  # history rows read
    unsealed: int = 0  # of those, written before sealing began: counted, not judged
    broken_rows: int = 0  # rows with at least one break
    breaks: list[Break] = field(default_factory=list)  # the first MAX_LISTED

    @property
    def intact(self) -> bool:
        return self.broken_rows == 0


def problems(row: CheckedRow) -> list[str]:
    return [text for flag, text in ((row.altered, ALTERED), (row.unlinked, UNLINKED), (row.stripped, STRIPPED)) if flag]


async def verify_history(voucher_code: str | None = None, *, chunk_rows: int = CHUNK_ROWS) -> Report:
    """Every voucher's chain, chunk by chunk (whole chains per chunk), or the one voucher's.
    Raises NotFound for an unknown code."""
    db = connections.get("default")
    sealed_from = await sql.sealed_from(db)
    report = Report()
    if voucher_code is not None:
        voucher_id = await _voucher_id(voucher_code)
        await _check(db, report, voucher_id, voucher_id + 1, sealed_from)
        return report
    start = await sql.next_voucher(db, None)
    while start is not None:
        end = await sql.chunk_end(db, start, chunk_rows)
        await _check(db, report, start, end, sealed_from)
        start = None if end is None else await sql.next_voucher(db, end)
    return report


async def judged_rows(voucher_id: int) -> list[CheckedRow]:
    """Every row of one voucher, in chain order, each judged."""
    db = connections.get("default")
    return await sql.check_rows(db, voucher_id, voucher_id + 1, await sql.sealed_from(db), broken_only=False)


async def _check(db: Any, report: Report, lo: int, hi: int | None, sealed_from: int | None) -> None:
    checked, unsealed = await sql.count_rows(db, lo, hi)
    report.checked += checked
    report.unsealed += unsealed
    for row in await sql.check_rows(db, lo, hi, sealed_from, broken_only=True):
        report.broken_rows += 1
        for problem in problems(row):
            if len(report.breaks) < MAX_LISTED:
                report.breaks.append(Break(row.id, row.voucher_code, problem))


async def _voucher_id(code: str) -> int:
    found = await Voucher.filter(code=code).values_list("id", flat=True)
    if not found:
        raise errors.NotFound("培训券不存在")
    return found[0]
