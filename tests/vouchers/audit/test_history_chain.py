"""The sealed voucher history (issue 20): real actions write sealed, chained rows; a row edited or
deleted directly in the database is named by the verification; an insider who re-seals the chain
after an edit gets past the verification but not past the daily roots kept elsewhere."""

from __future__ import annotations

import re

import pytest

from models import VoucherHistory
from models.history_hash import history_hash
from tests.support.history import execute, history_scenario, reseal_chain, rows_of
from vouchers.audit import daily_roots as daily_roots_module
from vouchers.audit.daily_roots import daily_roots, roots_csv
from vouchers.audit.history_chain import ALTERED, UNLINKED, Break, verify_history
from vouchers.common import errors
from vouchers.common.clock import local_date, utcnow

HEX64 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture
async def scenario(client, svc):
    return await history_scenario(client, svc)


async def test_real_actions_write_sealed_chained_rows_and_verify_intact(scenario):
    enrolled = await rows_of(scenario["enrolled"])
    assert [r.action for r in enrolled] == ["claimed", "enrolled", "revoked"]
    assert [r.action for r in await rows_of(scenario["revoked"])] == ["claimed", "revoked"]
    assert [r.action for r in await rows_of(scenario["expired"])] == ["expired"]
    for code in ("enrolled", "revoked", "expired"):
        previous = ""
        for row in await rows_of(scenario[code]):
            assert HEX64.match(row.row_hash)
            assert row.prev_hash == previous  # each row is chained to the one before, the first to ''
            # The database's function and the Python one agree on the row as the ORM reads it.
            assert row.row_hash == history_hash(
                row.prev_hash,
                row.id,
                row.voucher_id,
                row.at,
                row.action,
                row.actor_kind,
                row.actor_id,
                row.from_status,
                row.to_status,
                row.automatic,
                row.detail,
            )
            previous = row.row_hash

    report = await verify_history()
    assert (report.checked, report.unsealed, report.intact, report.breaks) == (6, 0, True, [])
    one = await verify_history(scenario["revoked"])
    assert (one.checked, one.intact) == (2, True)


async def test_a_row_edited_in_the_database_is_named(scenario):
    claimed, enrolled, revoked = await rows_of(scenario["enrolled"])
    await execute(f"UPDATE voucher_history SET to_status = 'settled' WHERE id = {enrolled.id}")

    report = await verify_history()
    assert not report.intact
    assert report.breaks == [Break(enrolled.id, scenario["enrolled"], ALTERED)]
    assert (report.checked, report.broken_rows) == (6, 1)
    assert (await verify_history(scenario["revoked"])).intact  # the other vouchers' chains are fine

    # Any column counts: the actor, the time, the detail.
    await execute(f"UPDATE voucher_history SET to_status = 'enrolled' WHERE id = {enrolled.id}")
    assert (await verify_history()).intact
    await execute(f"UPDATE voucher_history SET actor_id = '999' WHERE id = {revoked.id}")
    await execute(f'UPDATE voucher_history SET detail = \'{{"source": "roster"}}\' WHERE id = {claimed.id}')
    report = await verify_history(scenario["enrolled"])
    assert report.breaks == [
        Break(claimed.id, scenario["enrolled"], ALTERED),
        Break(revoked.id, scenario["enrolled"], ALTERED),
    ]


async def test_a_deleted_middle_row_names_the_row_after_it(scenario):
    _, enrolled, revoked = await rows_of(scenario["enrolled"])
    await execute(f"DELETE FROM voucher_history WHERE id = {enrolled.id}")
    report = await verify_history()
    assert report.breaks == [Break(revoked.id, scenario["enrolled"], UNLINKED)]
    assert report.checked == 5


async def test_a_deleted_first_row_names_the_new_first_row(scenario):
    claimed, revoked = await rows_of(scenario["revoked"])
    await execute(f"DELETE FROM voucher_history WHERE id = {claimed.id}")
    assert (await verify_history()).breaks == [Break(revoked.id, scenario["revoked"], UNLINKED)]


async def test_an_edited_and_resealed_row_breaks_the_next_link(scenario):
    """The insider recomputes the edited row's seal (not the rest of the chain)."""
    _, enrolled, revoked = await rows_of(scenario["enrolled"])
    await execute(f"UPDATE voucher_history SET actor_id = '999' WHERE id = {enrolled.id}")
    await execute(
        "UPDATE voucher_history SET row_hash = pxq_history_hash(prev_hash, id, voucher_id, at, action, actor_kind, "
        f"actor_id, from_status, to_status, automatic, detail) WHERE id = {enrolled.id}"
    )
    assert (await verify_history()).breaks == [Break(revoked.id, scenario["enrolled"], UNLINKED)]


async def test_a_chain_resealed_whole_passes_but_the_daily_root_changes(scenario):
    today = local_date(utcnow())
    [kept] = await daily_roots(today, today)  # what the bureau exported and filed
    assert kept.count == 6 and HEX64.match(kept.root)
    assert [await daily_roots(today, today)] == [[kept]]  # stable while nothing changes

    _, enrolled, _ = await rows_of(scenario["enrolled"])
    await execute(f"UPDATE voucher_history SET actor_id = '999' WHERE id = {enrolled.id}")
    await reseal_chain(scenario["enrolled"])
    assert (await verify_history()).intact  # the chain alone cannot tell

    [now] = await daily_roots(today, today)
    assert now.count == kept.count and now.root != kept.root  # the kept root can


async def test_deleting_a_vouchers_last_row_shows_in_the_daily_count_and_root(scenario):
    today = local_date(utcnow())
    [kept] = await daily_roots(today, today)
    *_, last = await rows_of(scenario["enrolled"])
    await execute(f"DELETE FROM voucher_history WHERE id = {last.id}")
    assert (await verify_history()).intact  # nothing after it to break
    [now] = await daily_roots(today, today)
    assert (now.count, now.root != kept.root) == (kept.count - 1, True)


async def test_daily_roots_cover_every_day_asked_and_are_scoped_by_region(scenario):
    today = local_date(utcnow())
    yesterday = today.fromordinal(today.toordinal() - 1)
    roots = await daily_roots(yesterday, today)
    assert [(r.day, r.count) for r in roots] == [(yesterday, 0), (today, 6)]
    assert roots[0].complete and not roots[1].complete
    assert roots[0].root == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256 of nothing
    # The Wuxi batch's rows are Jiangsu's and Wuxi's, not those of a county below or of Chongqing.
    assert (await daily_roots(today, today, "320000/320200"))[0] == roots[1]
    assert (await daily_roots(today, today, "320000"))[0] == roots[1]
    assert (await daily_roots(today, today, "320000/320200/320281"))[0].count == 0  # Jiangyin, below Wuxi
    assert (await daily_roots(today, today, "500000"))[0].count == 0
    assert roots_csv(roots).splitlines() == [
        "date,count,root",
        f"{yesterday.isoformat()},0,{roots[0].root}",
        f"{today.isoformat()},6,{roots[1].root}",
    ]
    with pytest.raises(errors.HistoryRangeInvalid):
        await daily_roots(today, yesterday)
    with pytest.raises(errors.HistoryRangeInvalid):
        await daily_roots(today.replace(year=today.year - 2), today)


async def test_verification_reads_in_chunks_of_whole_chains(scenario):
    """A chunk ends between vouchers whatever its size: the links are judged within a chunk."""
    _, enrolled, revoked = await rows_of(scenario["enrolled"])
    await execute(f"DELETE FROM voucher_history WHERE id = {enrolled.id}")
    for rows in (1, 2, 3, 1000):
        report = await verify_history(chunk_rows=rows)
        assert (report.checked, report.breaks) == (5, [Break(revoked.id, scenario["enrolled"], UNLINKED)])


async def test_daily_roots_read_window_by_window_alike(scenario, monkeypatch):
    today = local_date(utcnow())
    [whole] = await daily_roots(today, today)
    monkeypatch.setattr(daily_roots_module, "WINDOW_IDS", 2)
    assert await daily_roots(today, today) == [whole]


async def test_an_unknown_voucher_is_not_found(scenario):
    with pytest.raises(errors.NotFound):
        await verify_history("AAAAAAAAAAAAAAAA")


async def test_the_seal_is_the_databases_whatever_the_insert_says(scenario):
    """A row inserted with made-up seals gets the real ones."""
    [row] = await rows_of(scenario["expired"])
    await execute(
        "INSERT INTO voucher_history (voucher_id, at, action, actor_kind, actor_id, from_status, to_status, "
        f"automatic, detail, prev_hash, row_hash) VALUES ({row.voucher_id}, '2026-01-01 00:00:00+00:00', 'revoked', "
        "'bureau', '1', 'expired', 'revoked', FALSE, '{}', 'forged', 'forged')"
    )
    last = await VoucherHistory.filter(voucher_id=row.voucher_id).order_by("-id").first()
    assert last.prev_hash == row.row_hash and HEX64.match(last.row_hash)
    assert (await verify_history()).intact
