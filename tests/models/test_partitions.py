"""Monthly partitions (migration 0027) as the operator and the code rely on them: rows land in their
month, the worker makes months ahead (and moves rows the default partition caught), a nonce and a
dedupe key stay unique across months, and delivered notices go after the retention while one
still to send keeps its month."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError

from models import OutboxMessage, ScanRecord, VoucherHistory, WechatDelivery
from models.database import is_postgres
from models.enums import OutboxStatus
from models.partitions import PARTITIONED, RETAINED, month_name, month_start, months
from tests.support.factories import bureau, regions
from tests.support.reporting import batch_row, voucher_row
from vouchers.common.clock import utcnow
from vouchers.common.history import SYSTEM, history_row
from vouchers.common.monthly_partitions import create_months_ahead
from vouchers.common.outbox import insert_new, outbox_row, release_keys
from vouchers.notices.outbox_retention import purge_delivered


def _pg() -> bool:
    return is_postgres(connections.get("default"))


async def _where(table: str, row_id: int) -> str:
    _, [row] = await connections.get("default").execute_query(
        f"SELECT tableoid::regclass::text AS part FROM {table} WHERE id = $1", [row_id]
    )
    return row["part"]


async def _first_month(table: str = "outbox_message") -> datetime:
    """The first month partition the migration made (on SQLite: the next month, as it would be)."""
    if not _pg():
        return month_start(utcnow(), 1)
    async with connections.get("default").acquire_connection() as conn:
        return (await months(conn, table))[0].start


async def _scan(nonce: str, staff_id: int = 7) -> ScanRecord:
    return await ScanRecord.create(
        institution_id=1, staff_id=staff_id, nonce=nonce, device="d", action="verify", result="ok",
        answer={}, scanned_at=utcnow(),
    )  # fmt: skip


async def _move(model, row_id: int, at: datetime, column: str = "created_at") -> None:
    await model.filter(id=row_id).update(**{column: at})


async def test_the_worker_makes_each_month_ahead_and_fills_a_gap(db):
    if not _pg():
        assert await create_months_ahead(utcnow()) == []  # SQLite has no partitions
        return
    first = await _first_month()
    later = first + timedelta(days=200)  # the worker did not run for half a year
    created = await create_months_ahead(later)
    for table in PARTITIONED:
        async with connections.get("default").acquire_connection() as conn:
            names = [m.name for m in await months(conn, table)]
        wanted = []
        # The outbox's past months are the retention's to drop: only months from now on are made.
        start = month_start(later) if table in RETAINED else first
        while start <= month_start(later, 2):
            wanted.append(month_name(table, start))
            start = month_start(start, 1)
        if table in RETAINED:
            assert set(wanted) <= set(names)
        else:
            assert names[: len(wanted)] == wanted  # (later months: another test may have made them)
    assert await create_months_ahead(later) == []  # nothing twice
    assert all(name.split("_p")[-1] <= f"{month_start(later, 2):%Y%m}" for name in created)


async def test_rows_land_in_their_month_and_a_new_month_takes_what_the_default_partition_caught(svc):
    if not _pg():
        pytest.skip("SQLite has no partitions")
    await regions()
    await bureau(svc)
    batch = await batch_row("320200", "分区")
    voucher, _ = await voucher_row(svc, batch, utcnow())
    first = await _first_month()
    async with connections.get("default").acquire_connection() as conn:
        last = (await months(conn, "scan_record"))[-1].start  # (other tests may have made months)
    far = month_start(last, 3) + timedelta(days=3)  # no partition there yet

    scan = await _scan("n-far")
    await _move(ScanRecord, scan.id, far)
    await history_row(voucher, "remark", SYSTEM, far, str(voucher.status)).save()
    notice = outbox_row("voucher_claimed", far, person_id=voucher.person_id, voucher_id=voucher.id)
    await notice.save()
    await _move(OutboxMessage, notice.id, far)
    in_first = outbox_row("voucher_claimed", first, person_id=voucher.person_id, voucher_id=voucher.id)
    await in_first.save()
    await _move(OutboxMessage, in_first.id, first + timedelta(days=1))

    assert await _where("scan_record", scan.id) == "scan_record_pdefault"
    assert await _where("outbox_message", notice.id) == "outbox_message_pdefault"
    assert await _where("outbox_message", in_first.id) == month_name("outbox_message", first)
    history_id = (await VoucherHistory.filter(voucher_id=voucher.id, at=far).first()).id
    assert await _where("voucher_history", history_id) == "voucher_history_pdefault"

    await create_months_ahead(far)
    month = month_start(far)
    assert await _where("scan_record", scan.id) == month_name("scan_record", month)
    assert await _where("outbox_message", notice.id) == month_name("outbox_message", month)
    assert await _where("voucher_history", history_id) == month_name("voucher_history", month)
    # and the moved rows keep their keys: the nonce is still taken
    with pytest.raises(IntegrityError):
        await _scan("n-far")


async def test_a_nonce_and_a_dedupe_key_hold_across_months(db):
    first = await _first_month()
    if _pg():  # (SQLite's scan records keep their foreign keys and the plain unique constraint)
        scan = await _scan("n-1")
        await _move(ScanRecord, scan.id, first + timedelta(days=40))
        with pytest.raises(IntegrityError):
            await _scan("n-1")  # written this month, the first one lies two months on
        assert await ScanRecord.filter(nonce="n-1").count() == 1
        await _scan("n-1", staff_id=8)  # another staff member's nonce is theirs

    held = outbox_row("institution_digest", utcnow(), payload={"institution_id": 1}, dedupe_key="k:1")
    await held.save()
    await _move(OutboxMessage, held.id, first + timedelta(days=40))
    with pytest.raises(IntegrityError):
        await outbox_row("institution_digest", utcnow(), payload={"institution_id": 1}, dedupe_key="k:1").save()
    # the skipping writers leave the taken key alone and write the others
    await insert_new(
        [
            outbox_row("institution_digest", utcnow(), payload={"institution_id": 1}, dedupe_key="k:1"),
            outbox_row("institution_digest", utcnow(), payload={"institution_id": 1}, dedupe_key="k:2"),
        ]
    )
    assert sorted(await OutboxMessage.all().values_list("dedupe_key", flat=True)) == ["k:1", "k:2"]
    # a released key (its row died) may be taken again
    await release_keys(None, [held])
    await outbox_row("institution_digest", utcnow(), payload={"institution_id": 1}, dedupe_key="k:1").save()
    assert await OutboxMessage.filter(dedupe_key="k:1").count() == 1


async def test_delivered_notices_go_after_the_retention_and_a_month_still_sending_stays(db):
    first = await _first_month()
    now = month_start(first, 5) + timedelta(days=14)  # retention 90 days: the first two months are old
    await create_months_ahead(now)

    async def notice(key: str, at: datetime, status: OutboxStatus) -> OutboxMessage:
        row = outbox_row("institution_digest", at, payload={"institution_id": 1}, dedupe_key=key)
        await row.save()
        await OutboxMessage.filter(id=row.id).update(created_at=at, status=status)
        return row

    old_sent = await notice("old-sent", first + timedelta(days=3), OutboxStatus.SENT)
    await WechatDelivery.create(msg_id="m-1", outbox_id=old_sent.id, status="success")
    old_dead = await notice("old-dead", first + timedelta(days=4), OutboxStatus.DEAD)
    stuck = await notice("stuck", month_start(first, 1) + timedelta(days=2), OutboxStatus.PENDING)
    stuck_sent = await notice("stuck-sent", month_start(first, 1) + timedelta(days=3), OutboxStatus.SENT)
    recent = await notice("recent", month_start(first, 4), OutboxStatus.SENT)

    purged = await purge_delivered(now, keep_days=90)

    left = set(await OutboxMessage.all().values_list("id", flat=True))
    assert old_sent.id not in left and old_dead.id not in left
    assert stuck.id in left and recent.id in left
    assert await WechatDelivery.filter(msg_id="m-1").count() == 0
    if _pg():
        # whole months go: the month with a notice still to send is kept whole, and said so
        assert month_name("outbox_message", first) in purged.partitions
        assert purged.kept == [month_name("outbox_message", month_start(first, 1))]
        assert stuck_sent.id in left
    else:
        assert stuck_sent.id not in left
    assert purged.rows >= 2
    # a dropped month is not made again by the worker (only months from the current one are)
    assert month_name("outbox_message", first) not in await create_months_ahead(now)
    # the dropped rows' keys are free again
    await notice("old-sent", now, OutboxStatus.PENDING)
    # and nothing younger than the retention goes, however often it runs
    again = await purge_delivered(now, keep_days=90)
    assert again.rows == 0
    assert {stuck.id, recent.id} <= set(await OutboxMessage.all().values_list("id", flat=True))


async def test_the_retention_never_goes_below_thirty_days(db):
    row = outbox_row("institution_digest", utcnow(), payload={"institution_id": 1}, dedupe_key="young")
    await row.save()
    at = utcnow() - timedelta(days=20)
    await OutboxMessage.filter(id=row.id).update(created_at=at, status=OutboxStatus.SENT)
    await purge_delivered(utcnow(), keep_days=1)
    assert await OutboxMessage.filter(id=row.id).exists()


async def test_a_month_detached_by_a_stopped_run_is_dropped_with_its_keys_by_the_next(db):
    if not _pg():
        pytest.skip("SQLite has no partitions")
    row = outbox_row("institution_digest", utcnow(), payload={"institution_id": 1}, dedupe_key="left-over")
    await row.save()
    db_ = connections.get("default")
    # as a run leaves it when it stops between the detach and the drop
    await db_.execute_script(
        "CREATE TABLE outbox_dropping_p209901 (LIKE outbox_message INCLUDING DEFAULTS);"
        f"INSERT INTO outbox_dropping_p209901 SELECT * FROM outbox_message WHERE id = {row.id};"
        f"DELETE FROM outbox_message WHERE id = {row.id};"
    )
    purged = await purge_delivered(utcnow(), keep_days=90)
    assert purged.rows >= 1
    _, [gone] = await db_.execute_query("SELECT to_regclass('outbox_dropping_p209901') IS NULL AS gone")
    assert gone["gone"]
    await outbox_row("institution_digest", utcnow(), payload={"institution_id": 1}, dedupe_key="left-over").save()
