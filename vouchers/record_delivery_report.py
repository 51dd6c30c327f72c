"""WeChat's delivery report of a template message (TEMPLATESENDJOBFINISH), recorded on the
delivery row of the outbox message it came from."""

from __future__ import annotations

from models import WechatDelivery
from vouchers.clock import utcnow


async def record_delivery_report(msg_id: str, status: str) -> bool:
    """`status` is WeChat's: success, failed:user block, failed: system failed. False when
    the message id is not one of ours."""
    updated = await WechatDelivery.filter(msg_id=msg_id).update(status=status[:32], reported_at=utcnow())
    return updated > 0
