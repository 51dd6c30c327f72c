"""Two transactions writing one voucher's history at once cannot fork its chain (PostgreSQL: on
SQLite there is one writer at a time). The use cases hold the voucher row already; the trigger
takes it too, so a writer that does not is serialised as well."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from models.database import is_postgres
from tests.support.history import history_scenario, rows_of
from vouchers.audit.history_chain import verify_history

INSERT = """
INSERT INTO voucher_history (voucher_id, at, action, actor_kind, actor_id, from_status, to_status, automatic, detail)
VALUES ($1, now(), $2, 'bureau', '1', 'revoked', 'revoked', false, '{}') RETURNING id, prev_hash, row_hash
"""


@pytest.fixture
async def voucher_id(client, svc, database_url):
    if not is_postgres(database_url):
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")
    scenario = await history_scenario(client, svc)
    return (await rows_of(scenario["revoked"]))[0].voucher_id


async def _connect(database_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(database_url.replace("asyncpg://", "postgres://", 1))


async def test_a_second_writer_waits_for_the_first_and_chains_after_it(voucher_id, database_url):
    first, second = await _connect(database_url), await _connect(database_url)
    try:
        async with first.transaction():
            a = await first.fetchrow(INSERT, voucher_id, "note_a")
            b_task = asyncio.create_task(second.fetchrow(INSERT, voucher_id, "note_b"))
            await asyncio.sleep(0.3)
            assert not b_task.done()  # held at the voucher row until the first commits
        b = await b_task
    finally:
        await first.close()
        await second.close()
    assert b["prev_hash"] == a["row_hash"] and b["id"] > a["id"]
    assert (await verify_history()).intact


async def test_a_writer_whose_id_came_first_but_committed_second_takes_a_later_id(voucher_id, database_url):
    """The use case holds the voucher; a writer without that lock draws its id, then waits in the
    trigger; the use case's row (a later id) commits first. The chain follows id order anyway."""
    holder, other = await _connect(database_url), await _connect(database_url)
    try:
        async with holder.transaction():
            await holder.execute("SELECT 1 FROM voucher WHERE id = $1 FOR UPDATE", voucher_id)
            waiting = asyncio.create_task(other.fetchrow(INSERT, voucher_id, "note_b"))
            await asyncio.sleep(0.3)
            assert not waiting.done()
            held = await holder.fetchrow(INSERT, voucher_id, "note_a")
        late = await waiting
    finally:
        await holder.close()
        await other.close()
    assert late["id"] > held["id"] and late["prev_hash"] == held["row_hash"]
    report = await verify_history()
    assert report.intact and report.checked == 8
