"""Where a card pass really is, for the trainee who asked for it: queued, in the card pack
(active, used, closed), or failed. The pass row says what we asked Alipay to show; whether
Alipay took it is the pass's `added_at` and its add row's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models import AlipayPass, ChannelAccount, OutboxMessage, OutboxStatus, PassState, Voucher
from platforms.alipay.card_pack import PASS_ADD, add_to_card_pack
from vouchers.common.outbox import insert_new, outbox_row

MESSAGES = {
    "pending": "正在加入支付宝卡包，请稍后在卡包中查看",
    "active": "已加入支付宝卡包",
    "used": "卡包中的培训券已使用",
    "closed": "卡包中的培训券已失效",
    "failed": "加入支付宝卡包失败，已重新提交，请稍后在卡包中查看",
}


@dataclass(frozen=True)
class PassDelivery:
    serial_number: str
    state: str  # pending, active, used, closed, failed
    message: str  # what the trainee reads (Simplified Chinese)


async def ask_for_card_pass(account: ChannelAccount, code: str, now: datetime) -> PassDelivery:
    """The trainee's "add to card pack": the pass is queued at most once; its real state is
    answered, and a failed add is queued again (the answer still says it failed)."""
    card = await add_to_card_pack(account, code, now)
    delivery = await pass_delivery(card)
    if delivery.state == "failed":
        await retry_failed_add(card, now)
    return delivery


def add_key(voucher_id: int) -> str:
    return f"{PASS_ADD}:{voucher_id}"


async def pass_delivery(card: AlipayPass) -> PassDelivery:
    if card.added_at is not None or card.state is not PassState.ACTIVE:
        state = card.state.value
    else:
        row = await OutboxMessage.get_or_none(dedupe_key=add_key(card.voucher_id))
        # No row: the outbox retention took it, and it had not added the pass (it failed).
        state = "failed" if row is None or row.status is OutboxStatus.DEAD else "pending"
    return PassDelivery(card.serial_number, state, MESSAGES[state])


async def retry_failed_add(card: AlipayPass, now: datetime) -> bool:
    """The trainee asks again for a pass whose add failed for good: queue the add once more."""
    if card.added_at is not None or card.state is not PassState.ACTIVE:
        return False
    moved = await OutboxMessage.filter(dedupe_key=add_key(card.voucher_id), status=OutboxStatus.DEAD).update(
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, last_error=None
    )
    if not moved and not await OutboxMessage.exists(dedupe_key=add_key(card.voucher_id)):
        # The failed row went with the outbox retention: queue the add afresh.
        voucher = await Voucher.get(id=card.voucher_id)
        add = outbox_row(
            PASS_ADD, now, person_id=voucher.person_id, voucher_id=voucher.id, dedupe_key=add_key(voucher.id)
        )
        await insert_new([add])
        return True
    return bool(moved)
