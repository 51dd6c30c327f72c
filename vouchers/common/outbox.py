"""Queue a message for the worker, in the caller's transaction (nothing is sent here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import OutboxMessage


def outbox_row(
    kind: str,
    at: datetime,
    *,
    person_id: int | None = None,
    voucher_id: int | None = None,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    return OutboxMessage(
        kind=kind,
        person_id=person_id,
        voucher_id=voucher_id,
        payload=payload or {},
        dedupe_key=dedupe_key,
        next_attempt_at=at,
    )
