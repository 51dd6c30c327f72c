"""Grouped statements on held connections (infra.grouped): who shares a statement, who holds a
connection, and what each caller hears when a statement or the connection fails."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import pytest

from infra.grouped import Grouped


class Database:
    """Counts the connections taken and the statements run; a statement takes `delay_s`."""

    def __init__(self, delay_s: float = 0.01) -> None:
        self.delay_s = delay_s
        self.taken = 0
        self.held = 0
        self.groups: list[list[int]] = []
        self.fail_next: Exception | None = None
        self.refuse: Exception | None = None

    @asynccontextmanager
    async def hold(self):
        if self.refuse is not None:
            raise self.refuse
        self.taken += 1
        self.held += 1
        try:
            yield self.taken
        finally:
            self.held -= 1

    async def run(self, conn: int, items: list[int]) -> list[int | BaseException]:
        self.groups.append(items)
        await asyncio.sleep(self.delay_s)
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        return [ValueError(f"odd {i}") if i % 2 and i > 100 else i * 10 for i in items]


async def test_callers_of_one_turn_share_one_statement_and_each_gets_its_answer():
    db = Database()
    grouped: Grouped[int, int] = Grouped(db.hold, db.run, drains=1)
    assert await asyncio.gather(*(grouped.submit(i) for i in range(5))) == [0, 10, 20, 30, 40]
    assert db.groups == [[0, 1, 2, 3, 4]]
    assert (db.taken, db.held) == (1, 0)  # handed back once nobody is left


async def test_callers_arriving_during_a_statement_go_together_in_the_next_on_the_same_connection():
    db = Database()
    grouped: Grouped[int, int] = Grouped(db.hold, db.run, drains=1)
    first = asyncio.ensure_future(grouped.submit(1))
    await asyncio.sleep(0.002)  # the first statement is running
    later = [asyncio.ensure_future(grouped.submit(i)) for i in (2, 3, 4)]
    assert [await f for f in (first, *later)] == [10, 20, 30, 40]
    assert db.groups == [[1], [2, 3, 4]]
    assert db.taken == 1 and db.held == 0


async def test_a_second_drain_runs_beside_a_slow_statement():
    db = Database(delay_s=0.05)
    grouped: Grouped[int, int] = Grouped(db.hold, db.run, drains=2)
    first = asyncio.ensure_future(grouped.submit(1))
    await asyncio.sleep(0.005)
    second = asyncio.ensure_future(grouped.submit(2))
    await asyncio.sleep(0.005)
    assert db.groups == [[1], [2]] and db.held == 2  # both statements in flight, two connections
    assert (await first, await second) == (10, 20)
    assert db.held == 0


async def test_one_callers_error_is_that_callers_alone():
    db = Database()
    grouped: Grouped[int, int] = Grouped(db.hold, db.run)
    results = await asyncio.gather(grouped.submit(101), grouped.submit(102), return_exceptions=True)
    assert isinstance(results[0], ValueError) and results[1] == 1020


async def test_a_failed_statement_fails_its_group_and_the_next_group_gets_a_fresh_connection():
    db = Database()
    grouped: Grouped[int, int] = Grouped(db.hold, db.run, drains=1)
    db.fail_next = ConnectionResetError("gone")
    first = asyncio.ensure_future(grouped.submit(1))
    await asyncio.sleep(0.002)
    later = asyncio.ensure_future(grouped.submit(2))
    with pytest.raises(ConnectionResetError):
        await first
    assert await asyncio.wait_for(later, 1) == 20
    assert db.taken == 2 and db.held == 0


async def test_without_a_connection_everyone_waiting_hears_why_and_the_next_caller_tries_again():
    db = Database()
    db.refuse = OSError("no connection")
    grouped: Grouped[int, int] = Grouped(db.hold, db.run)
    results = await asyncio.gather(grouped.submit(1), grouped.submit(2), return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
    db.refuse = None
    assert await grouped.submit(3) == 30


async def test_a_caller_who_leaves_does_not_disturb_the_others():
    db = Database(delay_s=0.02)
    grouped: Grouped[int, int] = Grouped(db.hold, db.run, drains=1)
    leaving = asyncio.ensure_future(grouped.submit(1))
    staying = asyncio.ensure_future(grouped.submit(2))
    await asyncio.sleep(0.005)
    leaving.cancel()
    assert await staying == 20
    assert db.groups == [[1, 2]] and db.held == 0


async def test_callers_who_queue_while_the_connection_is_handed_back_are_served():
    # The drain hands its connection back after the queue ran dry; a caller arriving during that
    # hand-back must not be left waiting (the drain looks again once it is done).
    db = Database(delay_s=0.001)
    release_started = asyncio.Event()
    release_done = asyncio.Event()

    @asynccontextmanager
    async def slow_release_hold():
        async with db.hold() as conn:
            yield conn
            release_started.set()
            await release_done.wait()

    grouped: Grouped[int, int] = Grouped(slow_release_hold, db.run, drains=1)
    first = asyncio.ensure_future(grouped.submit(1))
    await release_started.wait()
    late = asyncio.ensure_future(grouped.submit(2))
    await asyncio.sleep(0.005)
    release_done.set()
    assert await first == 10
    assert await asyncio.wait_for(late, 1) == 20


async def test_a_group_insert_goes_in_one_order_and_answers_in_the_callers_order():
    # models/scan_statements.insert_scans: rows go in (staff, nonce) order, so two groups sharing
    # nonces (a client's retry while its first try is being written) cannot wait on each other in
    # a cycle; each caller still gets its own outcome: a new id, None for a nonce used before, or
    # ReadChanged for a reused read found out of date (left out of the statement's rows).
    import orjson

    from models.sql.scan import insert_scans
    from models.sql.scan_rows import ReadChanged, ScanRow
    from vouchers.common.clock import utcnow

    class Connection:
        def __init__(self) -> None:
            self.sent: list[list[tuple[int, str]]] = []

        async def fetch(self, sql: str, payload: str) -> list[tuple]:
            rows = orjson.loads(payload)
            self.sent.append([(r["staff_id"], r["nonce"]) for r in rows])
            # RETURNING's rows (none for a nonce used before), then the places of stale rows; in no order
            answer: list[tuple] = []
            for n, r in enumerate(rows, 1):
                if r["seen"] == "stale":
                    answer.append((n, None, None, None))
                elif r["nonce"] != "used":
                    answer.append((None, 100 + n, r["staff_id"], r["nonce"]))
            return answer[::-1]

    now = utcnow()
    rows = [
        ScanRow(1, staff, nonce, "desk", "verify", None, None, None, "ok", None, b"{}", now, now, seen)
        for staff, nonce, seen in ((2, "b", None), (1, "z", "1:2"), (2, "a", "stale"), (1, "used", None))
    ]
    conn = Connection()
    outcomes = await insert_scans(conn, rows)
    assert conn.sent == [[(1, "used"), (1, "z"), (2, "a"), (2, "b")]]
    assert outcomes[:2] == [104, 102] and outcomes[3] is None
    assert isinstance(outcomes[2], ReadChanged)


def test_grouped_rows_send_a_time_without_an_offset_as_utc():
    # The grouped statements take times as JSON text; one without an offset must keep meaning UTC
    # (as the driver took it), not whatever time zone the database session has.
    from datetime import datetime

    import orjson

    from models.sql.json_rows import json_rows

    (row,) = orjson.loads(json_rows([{"scanned_at": datetime(2026, 3, 1, 8, 30)}]))
    assert datetime.fromisoformat(row["scanned_at"]) == datetime.fromisoformat("2026-03-01T08:30:00+00:00")
