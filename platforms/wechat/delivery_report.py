"""WeChat's delivery report of a template message (TEMPLATESENDJOBFINISH), recorded on the
delivery row of that recipient and on the outbox message it came from."""

from __future__ import annotations

from models import OutboxMessage, WechatDelivery
from vouchers.common.clock import utcnow


async def record_delivery_report(msg_id: str, status: str) -> bool:
    """`status` is WeChat's: success, failed:user block, failed: system failed. False when
    the message id is not one of ours."""
    delivery = await WechatDelivery.get_or_none(msg_id=msg_id)
    if delivery is None:
        return False
    await WechatDelivery.filter(id=delivery.id).update(status=status[:32], reported_at=utcnow())
    await OutboxMessage.filter(id=delivery.outbox_id).update(delivery_report=status[:32])
    return True
