"""Migration 0027 on a database in use: every row stays, the keys stay unique, the history's seals
chain on across the change, and migrating back gives the plain tables with their constraints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise import Tortoise, connections
from tortoise.exceptions import IntegrityError

from models import OutboxMessage, ScanRecord, Voucher, VoucherHistory
from models.database import init_db, is_postgres, migrate
from tests.support.factories import bureau, regions
from tests.support.reporting import batch_row, voucher_row
from vouchers.audit.history_chain import verify_history
from vouchers.common.clock import utcnow
from vouchers.common.history import SYSTEM, history_row
from vouchers.common.outbox import outbox_row

BEFORE = "models.0026_statistics_rollup"
TABLES = ("scan_record", "voucher_history", "outbox_message")


async def _scan(nonce: str) -> ScanRecord:
    return await ScanRecord.create(
        institution_id=1, staff_id=7, nonce=nonce, device="d", action="verify", result="ok", answer={},
        scanned_at=utcnow(),
    )  # fmt: skip


async def _counts() -> dict[str, int]:
    return {
        "scan_record": await ScanRecord.all().count(),
        "voucher_history": await VoucherHistory.all().count(),
        "outbox_message": await OutboxMessage.all().count(),
    }


async def _kinds() -> dict[str, str]:
    """'p' for a partitioned table, 'r' for a plain one."""
    _, rows = await connections.get("default").execute_query(
        "SELECT relname, relkind::text AS relkind FROM pg_class "
        "WHERE relname = ANY($1::text[]) AND relnamespace = current_schema()::regnamespace",
        [list(TABLES)],
    )
    return {row["relname"]: row["relkind"] for row in rows}


async def _assert_keys_hold() -> None:
    with pytest.raises(IntegrityError):
        await _scan("n-1")
    with pytest.raises(IntegrityError):
        await outbox_row("institution_digest", utcnow(), payload={"institution_id": 1}, dedupe_key="k:1").save()


async def test_partitioning_keeps_every_row_and_key_and_the_history_chain_and_undoes_cleanly(scratch_url, svc):
    if not is_postgres(scratch_url):
        pytest.skip("SQLite has no partitions: migration 0027 changes nothing there")
    await migrate(scratch_url, BEFORE)
    await init_db(scratch_url, pool_max=2)
    try:
        await regions()
        await bureau(svc, username="migrator")
        voucher, _ = await voucher_row(svc, await batch_row("320200", "升级前"), utcnow())
        await history_row(voucher, "claimed", SYSTEM, utcnow(), None).save()
        await history_row(voucher, "remark", SYSTEM, utcnow(), str(voucher.status)).save()
        await _scan("n-1")
        await outbox_row("institution_digest", utcnow(), payload={"institution_id": 1}, dedupe_key="k:1").save()
        before = await _counts()
        assert set((await _kinds()).values()) == {"r"}
    finally:
        await Tortoise.close_connections()

    await migrate(scratch_url)
    await init_db(scratch_url, pool_max=2)
    try:
        assert await _kinds() == dict.fromkeys(TABLES, "p")
        assert await _counts() == before
        _, [row] = await connections.get("default").execute_query(
            "SELECT tableoid::regclass::text AS part FROM scan_record WHERE nonce = 'n-1'"
        )
        assert row["part"] == "scan_record_plegacy"
        await _assert_keys_hold()
        # a new row of the voucher seals onto the last one written before the change
        last = await VoucherHistory.filter(voucher_id=voucher.id).order_by("-id").first()
        voucher = await Voucher.get(id=voucher.id)
        await history_row(voucher, "remark", SYSTEM, utcnow() + timedelta(seconds=1), str(voucher.status)).save()
        new = await VoucherHistory.filter(voucher_id=voucher.id).order_by("-id").first()
        assert new.prev_hash == last.row_hash and new.row_hash
        assert (await verify_history()).intact
        await _scan("n-2")
        after = await _counts()
    finally:
        await Tortoise.close_connections()

    await migrate(scratch_url, BEFORE)
    await init_db(scratch_url, pool_max=2)
    try:
        assert await _kinds() == dict.fromkeys(TABLES, "r")
        assert await _counts() == after
        await _assert_keys_hold()  # the unique constraints are back on the tables themselves
        assert (await verify_history()).intact
    finally:
        await Tortoise.close_connections()
