"""Worker job: bring Alipay card-pack passes in step with vouchers and with the QR signing key
(writes outbox rows only)."""

from __future__ import annotations

from platforms.alipay.card_pack import sync_card_pack
from vouchers.common.clock import utcnow
from vouchers.services import Services

INTERVAL_S = 10.0


async def card_pack_sync(svc: Services) -> None:
    await sync_card_pack(utcnow(), svc.qr)
