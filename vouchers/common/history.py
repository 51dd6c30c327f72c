"""Every state change of a voucher writes one history row in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models import Voucher, VoucherHistory


@dataclass(frozen=True)
class Actor:
    kind: str  # trainee, bureau, institution, platform (an online platform), system
    id: str | None = None


SYSTEM = Actor("system")


def history_row(
    voucher: Voucher,
    action: str,
    actor: Actor,
    at: datetime,
    from_status: str | None,
    *,
    automatic: bool = False,
    detail: dict[str, Any] | None = None,
) -> VoucherHistory:
    return VoucherHistory(
        voucher_id=voucher.id,
        at=at,
        action=action,
        actor_kind=actor.kind,
        actor_id=actor.id,
        from_status=from_status,
        to_status=str(voucher.status),
        automatic=automatic,
        detail=detail or {},
    )
