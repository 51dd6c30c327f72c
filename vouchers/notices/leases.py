"""Outbox rows as work for the workers: lease due rows, then record what happened to each.

A lease marks a row `sending` until `lease_until` for one owner. Many workers lease at once
without waiting on each other (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite runs one worker).
A worker killed mid-send leaves its rows leased; once the lease ends another worker takes them.
A result is recorded only while the row is still leased to its owner, so a worker that was too
slow cannot overwrite the result of the one that took over.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise import connections
from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet

from models import OutboxMessage, OutboxStatus
from models.database import is_postgres
from models.sql.outbox import lease_due_ids


async def lease_due(owner: str, limit: int, lease_s: float, now: datetime) -> list[OutboxMessage]:
    """Due rows (and rows whose lease ran out), leased to `owner`; each lease counts an attempt."""
    until = now + timedelta(seconds=lease_s)
    db = connections.get("default")
    if is_postgres(db):
        ids = await lease_due_ids(db, now, until, owner, limit)
    else:
        due = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
            status=OutboxStatus.SENDING, lease_until__lt=now
        )
        ids = await OutboxMessage.filter(due).order_by("next_attempt_at").limit(limit).values_list("id", flat=True)
        # Conditional, so a row another lease took between the two statements stays theirs.
        await OutboxMessage.filter(due, id__in=ids).update(
            status=OutboxStatus.SENDING, lease_until=until, lease_owner=owner, attempts=F("attempts") + 1
        )
    if not ids:
        return []
    return await OutboxMessage.filter(id__in=ids, lease_owner=owner, status=OutboxStatus.SENDING).order_by(
        "next_attempt_at", "id"
    )


def _mine(message: OutboxMessage, owner: str) -> QuerySet[OutboxMessage]:
    return OutboxMessage.filter(id=message.id, lease_owner=owner, status=OutboxStatus.SENDING)


async def record_sent(message: OutboxMessage, owner: str, channel: str, message_id: str | None, now: datetime) -> bool:
    return bool(
        await _mine(message, owner).update(
            status=OutboxStatus.SENT,
            channel=channel,
            message_id=message_id,
            sent_at=now,
            lease_until=None,
            last_error=None,
        )
    )


async def record_retry(message: OutboxMessage, owner: str, error: str, at: datetime) -> bool:
    return bool(
        await _mine(message, owner).update(
            status=OutboxStatus.PENDING, next_attempt_at=at, lease_until=None, last_error=error[:200]
        )
    )


async def record_dead(message: OutboxMessage, owner: str, reason: str, channel: str | None = None) -> bool:
    return bool(
        await _mine(message, owner).update(
            status=OutboxStatus.DEAD, lease_until=None, last_error=reason[:200], channel=channel or message.channel
        )
    )


async def postpone(message: OutboxMessage, owner: str, until: datetime) -> bool:
    """Not sent and not counted as an attempt (a paused channel): try again at `until`."""
    return bool(
        await _mine(message, owner).update(
            status=OutboxStatus.PENDING, next_attempt_at=until, lease_until=None, attempts=F("attempts") - 1
        )
    )
