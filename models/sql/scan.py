"""The scan call's hot statements, as plain SQL on PostgreSQL.

A scan's own work is small; what it cost was the statements around it, each built by the ORM
and sent in its own round trip. Here the reads of many concurrent scans are one statement (the
staff rows, and for each scanned code the voucher, its holder and, for a check-in, the class,
the enrolment, the lesson open now and any attendance at it), and their records another. SQLite
(tests, development) has the same functions on the ORM, one key at a time.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from tortoise import connections
from tortoise.exceptions import IntegrityError

from models.accounts import Person
from models.database import is_postgres
from models.enums import VoucherStatus
from models.institutions import Attendance, Enrolment, Lesson, ScanRecord, Staff, TrainingClass
from models.sql.json_rows import json_rows
from models.sql.scan_rows import (
    ReadChanged,
    ScanFound,
    ScanKey,
    ScannedVoucher,
    ScanRead,
    ScanRow,
    ScanStaff,
)
from models.vouchers import Voucher

# --- staff ---------------------------------------------------------------------------------------

_STAFF_SQL = "SELECT * FROM institution_staff WHERE id = ANY($1::int[])"


async def staff_rows(conn: Any, ids: list[int]) -> list[tuple[int, dict[str, Any]]]:
    """PostgreSQL: the staff rows of these ids as column dicts (each caller builds its own
    `Staff` with `staff_from_row`)."""
    _, rows = await conn.execute_query(_STAFF_SQL, [ids])
    return [(row["id"], dict(row)) for row in rows]


def staff_from_row(row: dict[str, Any]) -> Staff:
    return Staff._init_from_db(**row)


# --- grouped statements --------------------------------------------------------------------------


def held_connection() -> AbstractAsyncContextManager[Any]:
    """The connection a drain of grouped statements holds (`infra.grouped`): on PostgreSQL a
    pooled asyncpg connection, used directly (the ORM's per-statement wrapping cost as much as
    decoding the rows); on SQLite None, as its statements go through the ORM, which takes the
    database's one connection itself."""
    db = connections.get("default")
    return db.acquire_connection() if is_postgres(db) else nullcontext(None)


_STATUSES = {s.value: s for s in VoucherStatus}  # VoucherStatus(x) is slow enough to show here

# One row per key whose staff member exists; the voucher columns are NULL when the code names no
# voucher. The class must be the scanning staff member's institution's. A lesson dated outside its
# class's dates (local dates; possible only for lessons added before they were checked) is never
# open: check-in there answers no_lesson_now, and such a lesson counts nowhere.
#
# The keys come as one JSON parameter, not as arrays (see `models.sql.json_rows`).
#
# Every lookup is a LATERAL subquery with LIMIT 1, which PostgreSQL cannot flatten into a join: a
# statement carries a handful of keys, and each lookup must be an index probe per key. Written as
# plain joins, the planner (which guesses 100 rows for unnest) hashed whole tables instead: on the
# scan bench, a sequential scan of voucher, enrolment and attendance for every statement, and
# 130 us of database CPU per scanned code, growing with the tables.
_READ_SQL = """
SELECT i.n, s.id AS staff_id, s.institution_id, s.active, s.removed_at, s.token_version,
       v.id AS voucher_id, v.code, v.status, v.valid_until, v.batch_id, v.person_id, v.used_at, v.used_occupation,
       p.name_cipher, p.id_cipher,
       c.id AS class_id, e.id IS NOT NULL AS enrolled, l.id AS lesson_id,
       a.id AS attendance_id, a.checked_in_at, a.annulled_at,
       v.xv || ':' || p.xv AS versions
FROM jsonb_to_recordset($1::jsonb) AS i(n int, staff_id int, code text, class_id int, lesson_id int)
JOIN LATERAL (SELECT * FROM institution_staff WHERE id = i.staff_id LIMIT 1) s ON true
LEFT JOIN LATERAL (SELECT *, xmin::text AS xv FROM voucher WHERE code = i.code LIMIT 1) v ON true
LEFT JOIN LATERAL (SELECT *, xmin::text AS xv FROM person WHERE id = v.person_id LIMIT 1) p ON true
LEFT JOIN LATERAL (
    SELECT id, start_date, end_date FROM training_class
    WHERE id = i.class_id AND institution_id = s.institution_id AND v.id IS NOT NULL LIMIT 1
) c ON true
LEFT JOIN LATERAL (
    SELECT id FROM enrolment
    WHERE voucher_id = v.id AND training_class_id = c.id AND annulled_at IS NULL LIMIT 1
) e ON true
LEFT JOIN LATERAL (
    SELECT id FROM lesson
    WHERE training_class_id = c.id AND checkin_opens_at <= $2 AND checkin_closes_at > $2
      AND (i.lesson_id IS NULL OR id = i.lesson_id)
      AND starts_at >= c.start_date::timestamp AT TIME ZONE 'Asia/Shanghai'
      AND starts_at < (c.end_date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
    ORDER BY checkin_opens_at DESC LIMIT 1
) l ON true
LEFT JOIN LATERAL (
    SELECT id, checked_in_at, annulled_at FROM attendance WHERE lesson_id = l.id AND voucher_id = v.id LIMIT 1
) a ON true
"""


async def scan_rows(conn: Any, keys: list[ScanKey], now: datetime) -> list[ScanFound | None]:
    """PostgreSQL, on an asyncpg connection (`held_connection`): for each key, in order, the
    staff member and the read (None when the code names no voucher; the lesson is the one open
    at `now`), or None when the staff member does not exist."""
    wanted = json_rows(
        {"n": n, "staff_id": k.staff_id, "code": k.code, "class_id": k.class_id, "lesson_id": k.lesson_id}
        for n, k in enumerate(keys, 1)
    )
    found: list[ScanFound | None] = [None] * len(keys)
    for row in await conn.fetch(_READ_SQL, wanted, now):
        found[row["n"] - 1] = _scan_found(row)
    return found


def _scan_found(row: Any) -> ScanFound:
    staff = ScanStaff(row["staff_id"], row["institution_id"], row["active"], row["removed_at"], row["token_version"])
    if row["voucher_id"] is None:
        return staff, None
    voucher = ScannedVoucher(
        id=row["voucher_id"],
        code=row["code"],
        status=_STATUSES[row["status"]],
        valid_until=row["valid_until"],
        batch_id=row["batch_id"],
        person_id=row["person_id"],
        used_at=row["used_at"],
        used_occupation=row["used_occupation"],
        holder_name_cipher=row["name_cipher"],
        holder_id_cipher=row["id_cipher"],
        versions=row["versions"],
    )
    attendance = None
    if row["attendance_id"] is not None:
        attendance = {
            "id": row["attendance_id"],
            "checked_in_at": row["checked_in_at"],
            "annulled_at": row["annulled_at"],
        }
    return staff, ScanRead(
        voucher,
        class_found=row["class_id"] is not None,
        enrolled=row["enrolled"],
        lesson_id=row["lesson_id"],
        attendance=attendance,
    )


async def orm_scan_found(key: ScanKey, now: datetime) -> ScanFound | None:
    """The same as `scan_rows` for one key, on the ORM (SQLite)."""
    staff = await Staff.get_or_none(id=key.staff_id)
    if staff is None:
        return None
    found = ScanStaff(staff.id, staff.institution_id, staff.active, staff.removed_at, staff.token_version)
    return found, await _orm_scan_read(key, staff.institution_id, now)


async def _orm_scan_read(key: ScanKey, institution_id: int, now: datetime) -> ScanRead | None:
    voucher = await Voucher.get_or_none(code=key.code)
    if voucher is None:
        return None
    person = await Person.get(id=voucher.person_id)
    read = ScanRead(
        ScannedVoucher(
            voucher.id,
            voucher.code,
            VoucherStatus(voucher.status),
            voucher.valid_until,
            voucher.batch_id,
            voucher.person_id,
            voucher.used_at,
            voucher.used_occupation,
            person.name_cipher,
            person.id_cipher,
        )
    )
    if key.class_id is None:
        return read
    read.class_found = await TrainingClass.exists(id=key.class_id, institution_id=institution_id)
    if not read.class_found:
        return read
    read.enrolled = await Enrolment.exists(voucher_id=voucher.id, training_class_id=key.class_id, annulled_at=None)
    klass = await TrainingClass.get(id=key.class_id)
    first, last = _class_days(klass.start_date, klass.end_date)
    lessons = Lesson.filter(
        training_class_id=key.class_id,
        checkin_opens_at__lte=now,
        checkin_closes_at__gt=now,
        starts_at__gte=first,
        starts_at__lt=last,
    )
    if key.lesson_id is not None:
        lessons = lessons.filter(id=key.lesson_id)
    lesson = await lessons.order_by("-checkin_opens_at").first()
    if lesson is not None:
        read.lesson_id = lesson.id
        row = await Attendance.get_or_none(lesson_id=lesson.id, voucher_id=voucher.id)
        if row is not None:
            read.attendance = {"id": row.id, "checked_in_at": row.checked_in_at, "annulled_at": row.annulled_at}
    return read


_LOCAL_TZ = ZoneInfo("Asia/Shanghai")  # class dates are local dates (vouchers.common.clock)


def _class_days(first: date, last: date) -> tuple[datetime, datetime]:
    """00:00 of the first date to 24:00 of the last, in UTC (SQLite compares them as text)."""
    start = datetime.combine(first, time(0), _LOCAL_TZ)
    return start.astimezone(UTC), datetime.combine(last + timedelta(days=1), time(0), _LOCAL_TZ).astimezone(UTC)


# Scans with a nonce already used by the same staff member are left out: their answer is the
# first one, which the caller reads. The nonce is unique in `scan_record_nonce`, not in the
# partitioned scan_record (migration 0027): each row claims its key there first, with the id it
# will get (ON CONFLICT DO NOTHING), and goes in only if the claim was its own; the table's
# trigger then finds the key claimed for that id. Rows that reused a read (`seen` set) go in only
# if the voucher and its holder are still the row versions read and the staff member is still
# allowed in with the token's version; the others come back without a row. As in the read, each
# check is a LATERAL probe with LIMIT 1: written as EXISTS, PostgreSQL hashed whole tables.
_INSERT_SQL = """
WITH i AS MATERIALIZED (
    SELECT * FROM ROWS FROM (
        jsonb_to_recordset($1::jsonb)
        AS (institution_id int, staff_id int, nonce text, device text, action text, voucher_id bigint, class_id int,
            lesson_id int, result text, reason text, answer jsonb, scanned_at timestamptz, created_at timestamptz,
            seen text, token_version int, request_digest text)
    ) WITH ORDINALITY AS i(institution_id, staff_id, nonce, device, action, voucher_id, class_id, lesson_id,
                           result, reason, answer, scanned_at, created_at, seen, token_version, request_digest, n)
),
current AS MATERIALIZED (
    SELECT i.*, nextval('scan_record_id_seq') AS id FROM i
    LEFT JOIN LATERAL (
        SELECT v.xmin::text || ':' || p.xmin::text AS seen
        FROM voucher v JOIN person p ON p.id = v.person_id
        WHERE v.id = i.voucher_id AND i.seen IS NOT NULL LIMIT 1
    ) v ON true
    LEFT JOIN LATERAL (
        SELECT s.id FROM institution_staff s
        WHERE s.id = i.staff_id AND s.institution_id = i.institution_id AND s.active AND s.removed_at IS NULL
          AND s.token_version = i.token_version AND i.seen IS NOT NULL LIMIT 1
    ) s ON true
    WHERE i.seen IS NULL OR (v.seen = i.seen AND s.id IS NOT NULL)
),
keys AS (
    INSERT INTO scan_record_nonce (staff_id, nonce, record_id)
    SELECT staff_id, nonce, id FROM current
    ON CONFLICT (staff_id, nonce) DO NOTHING
    RETURNING record_id
),
ins AS (
    INSERT INTO scan_record (id, institution_id, staff_id, nonce, device, action, voucher_id, class_id, lesson_id,
                             result, reason, answer, scanned_at, created_at, request_digest)
    SELECT c.id, institution_id, staff_id, nonce, device, action, voucher_id, class_id, lesson_id,
           result, reason, answer, scanned_at, created_at, request_digest
    FROM current c JOIN keys k ON k.record_id = c.id
    RETURNING id, staff_id, nonce
)
SELECT NULL::bigint AS n, id, staff_id, nonce FROM ins
UNION ALL
SELECT n, NULL, NULL, NULL FROM i WHERE seen IS NOT NULL AND n NOT IN (SELECT n FROM current)
"""


async def insert_scans(conn: Any, rows: list[ScanRow]) -> list[int | ReadChanged | None]:
    """Each row's new record id; None where the staff member's nonce was already used; and
    ReadChanged where the row reused a read that is no longer current (nothing written).
    The rows must not repeat a (staff, nonce) among themselves. `conn` is `held_connection`'s:
    an asyncpg connection, or None on SQLite (the ORM writes one row at a time; nothing there
    reuses a read)."""
    if conn is None:
        return [await _orm_insert(row) for row in rows]
    # In one order, so two groups that share nonces (a client retrying while its first try is
    # still being written) wait for each other instead of deadlocking. Nothing else can make a
    # group wait: the record has no foreign-key checks to lock other rows (migration 0010).
    order = sorted(range(len(rows)), key=lambda n: rows[n].key)
    ids: dict[tuple[int, str], int] = {}
    changed: set[int] = set()
    for n, record_id, staff_id, nonce in await conn.fetch(_INSERT_SQL, json_rows(rows[n] for n in order)):
        if n is None:
            ids[(staff_id, nonce)] = record_id
        else:  # a reused read out of date: n is the row's place in the statement, from 1
            changed.add(order[n - 1])
    return [ReadChanged() if n in changed else ids.get(row.key) for n, row in enumerate(rows)]


def _values(r: ScanRow) -> tuple[Any, ...]:
    answer = r.answer.decode()
    return (
        r.institution_id, r.staff_id, r.nonce, r.device, r.action, r.voucher_id, r.class_id, r.lesson_id,
        r.result, r.reason, answer, r.scanned_at, r.created_at, r.request_digest,
    )  # fmt: skip


async def _orm_insert(r: ScanRow) -> int | None:
    try:
        record = await ScanRecord.create(
            institution_id=r.institution_id,
            staff_id=r.staff_id,
            nonce=r.nonce,
            device=r.device,
            action=r.action,
            voucher_id=r.voucher_id,
            class_id=r.class_id,
            lesson_id=r.lesson_id,
            result=r.result,
            reason=r.reason,
            answer=orjson.loads(r.answer),
            scanned_at=r.scanned_at,
            request_digest=r.request_digest,
        )
    except IntegrityError:
        return None
    return record.id


# A first check-in: the attendance row and the scan record in one statement, the attendance
# pointing at the record (for annulment). No row back: the voucher was checked in at this lesson
# meanwhile (the caller takes the transactional path, which finds it). A nonce already used
# fails the whole statement with IntegrityError.
#
# The voucher is share-locked (FOR KEY SHARE, the lock attendance's foreign-key check takes
# anyway) before the attendance row goes in, not after: a use case that holds the voucher FOR
# UPDATE and then writes the same attendance (a manual check-in at the same moment) would
# otherwise wait on this statement's attendance row while this statement's foreign-key check,
# at its end, waits on that voucher: a deadlock. Now this statement waits for the use case
# first, then finds its row.
_CHECKIN_SQL = """
WITH v AS (
    SELECT id FROM voucher WHERE id = $2 FOR KEY SHARE
), att AS (
    INSERT INTO attendance (lesson_id, voucher_id, method, checked_in_at, scan_id)
    SELECT $1, v.id, 'scan', $3, nextval(pg_get_serial_sequence('scan_record', 'id')) FROM v
    ON CONFLICT (lesson_id, voucher_id) DO NOTHING
    RETURNING scan_id
)
INSERT INTO scan_record (id, institution_id, staff_id, nonce, device, action, voucher_id, class_id, lesson_id,
                         result, reason, answer, scanned_at, created_at, request_digest)
SELECT att.scan_id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16, $17 FROM att
RETURNING id
"""


async def insert_first_checkin(conn: Any, row: ScanRow, checked_in_at: datetime) -> int | None:
    """PostgreSQL only: the new scan record's id, or None if the attendance row exists."""
    assert row.voucher_id is not None and row.lesson_id is not None
    _, result = await conn.execute_query(_CHECKIN_SQL, [row.lesson_id, row.voucher_id, checked_in_at, *_values(row)])
    return result[0]["id"] if result else None
