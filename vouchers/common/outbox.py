"""Queue a message for the worker, in the caller's transaction (nothing is sent here).

Dedupe keys are of two sorts. Most name one event (`voucher_revoked:<id>`): the event is told
once, however often the use case or a sweep runs. A throttle key names a window instead
(`institution_anomaly:<institution>:<kind>:<subject>:<hour>`): many events, one notice. A
throttle key must not swallow a notice that its recipients never got, so `queue_unless_reached`
lets the next event through when the key's holder died, or was delivered to fewer recipients
than there are now (an institution that set its webhook since). Per-recipient rows carry
`recipient_key(notice key, recipient)`, so a recipient already told is not told twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import OutboxMessage
from models.database import is_postgres
from models.enums import OutboxStatus
from models.sql.outbox import taken_dedupe_keys

# A row in one of these is delivered or on its way: its dedupe key holds.
REACHING = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT)


def outbox_row(
    kind: str,
    at: datetime,
    *,
    person_id: int | None = None,
    voucher_id: int | None = None,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    payload = payload or {}
    institution_id = payload.get("institution_id")
    return OutboxMessage(
        kind=kind,
        person_id=person_id,
        voucher_id=voucher_id,
        institution_id=int(institution_id) if institution_id is not None else None,
        payload=payload,
        dedupe_key=dedupe_key,
        next_attempt_at=at,
    )


def recipient_key(notice: OutboxMessage, recipient: str) -> str:
    """The dedupe key of `notice`'s row for one recipient ("webhook", "staff:3")."""
    return f"{notice.dedupe_key or notice.id}:{recipient}"


async def queue_unless_reached(conn: Any, row: OutboxMessage, recipients: Iterable[str]) -> bool:
    """Queue `row` (which has a throttle key) unless the key's holder is still pending, or was
    delivered to each of `recipients` (the recipients there are now). -> whether it was queued."""
    key = row.dedupe_key
    assert key is not None
    holder = await OutboxMessage.filter(dedupe_key=key).using_db(conn).first()
    if holder is not None:
        if holder.status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
            return False  # it reaches whoever the recipients are when it is sent
        if holder.status == OutboxStatus.SENT:
            wanted = {recipient_key(holder, r) for r in recipients}
            reached = OutboxMessage.filter(dedupe_key__in=list(wanted), status__in=REACHING)
            if await reached.using_db(conn).count() == len(wanted):
                return False  # each current recipient was told (or is being told)
        await release_keys(conn, [holder])
    await insert_new([row], conn)  # a concurrent twin: one wins
    return True


async def insert_new(rows: list[OutboxMessage], conn: Any = None) -> None:
    """Insert the rows, but not those whose dedupe key a row already holds (or a concurrent twin is
    writing: it waits for the twin's transaction).

    On SQLite the key is unique on the table: `ON CONFLICT DO NOTHING` skips them. On PostgreSQL
    the key is unique in outbox_dedupe, filled by a trigger (migration 0027), and a taken key
    fails the insert instead: the taken keys are read first, and if a twin took one between the
    read and the write, the write is undone to a savepoint (`in_transaction` nests as one) and
    tried again."""
    if not rows:
        return
    db = conn or connections.get("default")
    if not is_postgres(db):
        await OutboxMessage.bulk_create(rows, ignore_conflicts=True, using_db=conn)
        return
    once: dict[str, OutboxMessage] = {}  # a key given twice: the first row goes in
    for row in rows:
        if row.dedupe_key is not None:
            once.setdefault(row.dedupe_key, row)
    keys = list(once)
    for attempt in range(3):
        free = set(keys) - await taken_dedupe_keys(db, keys)
        fresh = [
            row for row in rows if row.dedupe_key is None or (row.dedupe_key in free and once[row.dedupe_key] is row)
        ]
        try:
            async with in_transaction() as tx:
                await OutboxMessage.bulk_create(fresh, using_db=tx)
            return
        except IntegrityError:
            if attempt == 2:
                raise


async def release_dead(conn: Any, keys: list[str]) -> None:
    """Free the keys of dead rows, so a new row may take them: a dead notice blocks nothing."""
    if keys:
        dead = OutboxMessage.filter(dedupe_key__in=keys, status=OutboxStatus.DEAD)
        await release_keys(conn, await dead.using_db(conn))


async def release_keys(conn: Any, rows: list[OutboxMessage]) -> None:
    """The rows keep their key, suffixed with their id (unique still, and nothing is deleted)."""
    for row in rows:
        await (
            OutboxMessage.filter(id=row.id, dedupe_key=row.dedupe_key)
            .using_db(conn)
            .update(dedupe_key=f"{row.dedupe_key}~{row.id}")
        )
