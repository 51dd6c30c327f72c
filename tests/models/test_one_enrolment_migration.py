"""Migration 0011_one_enrolment_per_person on a database holding what issue 17's bug wrote: one
person enrolled twice in a class, with two pending claims. The upgrade succeeds, the earlier
rows get their holder (inside the new unique indexes), the later duplicates keep none, and from
then on a second active enrolment or open claim of the person in the class is refused. Runs on
the suite's database kind: a file of its own on SQLite, a schema of its own on PostgreSQL."""

from __future__ import annotations

import pytest
from tortoise import Tortoise, connections
from tortoise.exceptions import IntegrityError

from models.database import init_db, migrate

BEFORE = "models.0010_scan_record_without_locks"
AT = "'2026-11-01 08:00:00+00:00'"

_ROWS = f"""
INSERT INTO region (code, name, path) VALUES ('320200', '无锡市', '320200');
INSERT INTO bureau_user (id, username, password_hash, display_name, active, token_version, created_at, region_id)
VALUES (1, 'wuxi', 'x', '', TRUE, 1, {AT}, '320200');
INSERT INTO batch (id, title, value_mode, distribution, voucher_type, project_types, usable_regions, eligible_groups,
                   requires_eligibility_list, validity_mode, quantity, remaining, status, created_at, updated_at,
                   created_by_id, region_id)
VALUES (1, '电工券', 'face_value', 'general', 't', '[]', '[]', '[]', FALSE, 'days_after_claim', 9, 9, 'published',
        {AT}, {AT}, 1, '320200'),
       (2, '电工券', 'face_value', 'general', 't', '[]', '[]', '[]', FALSE, 'days_after_claim', 9, 9, 'published',
        {AT}, {AT}, 1, '320200'),
       (3, '电工券', 'face_value', 'general', 't', '[]', '[]', '[]', FALSE, 'days_after_claim', 9, 9, 'published',
        {AT}, {AT}, 1, '320200');
INSERT INTO person (id, id_hash, id_cipher, name_cipher, created_at) VALUES (1, 'h', 'c', 'n', {AT});
INSERT INTO voucher (id, code, status, voucher_type, automatic, claimed_at, valid_until, updated_at, batch_id,
                     person_id)
VALUES (1, 'A1', 'completed', 't', FALSE, {AT}, {AT}, {AT}, 1, 1),
       (2, 'B2', 'completed', 't', FALSE, {AT}, {AT}, {AT}, 2, 1),
       (3, 'C3', 'claimed', 't', FALSE, {AT}, {AT}, {AT}, 3, 1);
INSERT INTO institution (id, code, name, address, phone, kind, created_at, region_id)
VALUES (1, '3200001', '学校', '无锡', '0510', '其他', {AT}, '320200');
INSERT INTO training_class (id, name, project_type, start_date, end_date, site_ids, capacity, enrolled, created_at,
                            institution_id)
VALUES (1, '电工班', '就业技能培训', '2026-10-01', '2026-10-31', '[]', 9, 2, {AT}, 1);
INSERT INTO enrolment (id, enrolled_at, training_class_id, voucher_id) VALUES (1, {AT}, 1, 1), (2, {AT}, 1, 2);
INSERT INTO settlement_claim (id, batch_id, passed, standard_fen, ratio_permille, subsidy_fen, status, submitted_by_id,
                              submitted_at, institution_id, training_class_id, voucher_id)
VALUES (1, 1, TRUE, 120000, 1000, 60000, 'pending', 1, {AT}, 1, 1, 1),
       (2, 2, TRUE, 120000, 1000, 50000, 'pending', 1, {AT}, 1, 1, 2);
"""


async def test_the_upgrade_keeps_the_bugs_rows_and_guards_from_then_on(scratch_url: str) -> None:
    await migrate(scratch_url, target=BEFORE)
    await init_db(scratch_url, pool_max=2)
    try:
        await connections.get("default").execute_script(_ROWS)
    finally:
        await Tortoise.close_connections()

    await migrate(scratch_url)
    await init_db(scratch_url, pool_max=2)
    try:
        conn = connections.get("default")
        _, rows = await conn.execute_query("SELECT id, person_id FROM enrolment ORDER BY id")
        assert [(r["id"], r["person_id"]) for r in rows] == [(1, 1), (2, None)]
        _, rows = await conn.execute_query("SELECT id, person_id FROM settlement_claim ORDER BY id")
        assert [(r["id"], r["person_id"]) for r in rows] == [(1, 1), (2, None)]
        with pytest.raises(IntegrityError):
            await conn.execute_query(
                "INSERT INTO enrolment (id, enrolled_at, training_class_id, voucher_id, person_id)"
                f" VALUES (3, {AT}, 1, 3, 1)"
            )
    finally:
        await Tortoise.close_connections()

    # And back: the indexes go with the columns.
    await migrate(scratch_url, target=BEFORE)
    await init_db(scratch_url, pool_max=2)
    try:
        await connections.get("default").execute_query(
            f"INSERT INTO enrolment (id, enrolled_at, training_class_id, voucher_id) VALUES (3, {AT}, 1, 3)"
        )
    finally:
        await Tortoise.close_connections()
