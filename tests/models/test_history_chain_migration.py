"""Migration 0018_history_chain on a database with history: the rows written before it stay
unsealed ("before sealing"), counted but not called broken; the first row after it starts the
voucher's chain; a row written after it that lost its seal is named. Back and up again cleanly.
Runs on the suite's database kind (a file of its own on SQLite, a schema of its own on PostgreSQL)."""

from __future__ import annotations

from tortoise import Tortoise, connections

from models.database import init_db, migrate
from vouchers.audit.history_chain import STRIPPED, Break, verify_history

BEFORE = "models.0017_offline_scans"
AT = "'2026-11-01 08:00:00+00:00'"

_ROWS = f"""
INSERT INTO region (code, name, path) VALUES ('320200', '无锡市', '320200');
INSERT INTO bureau_user (id, username, password_hash, display_name, active, token_version, created_at, region_id)
VALUES (1, 'wuxi', 'x', '', TRUE, 1, {AT}, '320200');
INSERT INTO batch (id, title, value_mode, distribution, voucher_type, project_types, usable_regions, eligible_groups,
                   requires_eligibility_list, validity_mode, quantity, remaining, status, created_at, updated_at,
                   created_by_id, region_id)
VALUES (1, '电工券', 'face_value', 'general', 't', '[]', '[]', '[]', FALSE, 'days_after_claim', 9, 9, 'published',
        {AT}, {AT}, 1, '320200');
INSERT INTO person (id, id_hash, id_cipher, name_cipher, created_at)
VALUES (1, 'h', 'c', 'n', {AT}), (2, 'i', 'c', 'n', {AT});
INSERT INTO voucher (id, code, status, voucher_type, automatic, claimed_at, valid_until, updated_at, batch_id,
                     person_id)
VALUES (1, 'AAAAAAAAAAAAAAAA', 'enrolled', 't', FALSE, {AT}, {AT}, {AT}, 1, 1),
       (2, 'BBBBBBBBBBBBBBBB', 'claimed', 't', FALSE, {AT}, {AT}, {AT}, 1, 2);
INSERT INTO voucher_history (id, voucher_id, at, action, actor_kind, actor_id, from_status, to_status, automatic,
                             detail)
VALUES (1, 1, {AT}, 'claimed', 'trainee', '1', NULL, 'claimed', FALSE, '{{}}'),
       (2, 2, {AT}, 'claimed', 'trainee', '2', NULL, 'claimed', FALSE, '{{}}'),
       (3, 1, {AT}, 'enrolled', 'institution', '7', 'claimed', 'enrolled', FALSE, '{{"class_id": 1}}');
"""

_AFTER = f"""
INSERT INTO voucher_history (id, voucher_id, at, action, actor_kind, actor_id, from_status, to_status, automatic,
                             detail)
VALUES ({{id}}, 1, {AT}, 'revoked', 'bureau', '1', 'enrolled', 'revoked', FALSE, '{{{{"reason": "作废"}}}}')
"""


async def _rows() -> list[tuple[int, str | None, str | None]]:
    _, rows = await connections.get("default").execute_query(
        "SELECT id, prev_hash, row_hash FROM voucher_history ORDER BY id"
    )
    return [(r["id"], r["prev_hash"], r["row_hash"]) for r in rows]


async def test_rows_from_before_sealing_are_counted_not_broken(scratch_url: str) -> None:
    await migrate(scratch_url, target=BEFORE)
    await init_db(scratch_url, pool_max=2)
    try:
        await connections.get("default").execute_script(_ROWS)
    finally:
        await Tortoise.close_connections()

    await migrate(scratch_url)
    await init_db(scratch_url, pool_max=2)
    try:
        db = connections.get("default")
        await db.execute_script(_AFTER.format(id=4))
        rows = await _rows()
        assert [r[:2] for r in rows] == [(1, None), (2, None), (3, None), (4, "")]  # its chain starts here
        assert [r[2] is None for r in rows] == [True, True, True, False]
        report = await verify_history()
        assert (report.checked, report.unsealed, report.intact) == (4, 3, True)

        # A row written after sealing began cannot pass for an old one by losing its seal.
        await db.execute_script("UPDATE voucher_history SET prev_hash = NULL, row_hash = NULL WHERE id = 4")
        report = await verify_history()
        assert report.breaks == [Break(4, "AAAAAAAAAAAAAAAA", STRIPPED)]
    finally:
        await Tortoise.close_connections()

    # And back: the columns, the trigger and its function go; rows are written as before.
    await migrate(scratch_url, target=BEFORE)
    await init_db(scratch_url, pool_max=2)
    try:
        await connections.get("default").execute_script(_AFTER.format(id=5))
        _, columns = await connections.get("default").execute_query("SELECT * FROM voucher_history WHERE id = 5")
        assert "row_hash" not in dict(columns[0])
    finally:
        await Tortoise.close_connections()
    await migrate(scratch_url)
    await init_db(scratch_url, pool_max=2)
    try:
        await connections.get("default").execute_script(_AFTER.format(id=6))
        assert (await _rows())[-1][1] == ""  # row 5 (unsealed, written while downgraded) comes before
        assert (await verify_history()).intact
    finally:
        await Tortoise.close_connections()
