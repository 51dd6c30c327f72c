"""Send the card-pack outbox rows (see platforms.alipay.card_pack) to Alipay.

Each sender takes one OutboxMessage and the Alipay client and returns Alipay's id for what it
did, or raises a `channels.errors` error for the delivery loop to retry or give up. A row whose
prerequisite is not delivered yet (the instance before its template, an update before its
instance) raises Retryable: the loop's backoff orders them without any other coordination.
The pass's QR is the card-pass code, signed when the instance is sent with the QR key ring the
scan call verifies with (`senders(ring)`; the worker passes its Services' ring), and signed
again when that ring's signing key changes (a re-sign row). The pass records the key that signed
what Alipay shows, which is what the card-pack sync compares with the ring.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from channels import errors
from channels.alipay.client import AlipayClient
from channels.alipay.passes import template_content
from models import AlipayPass, AlipayPassTemplate, Batch, OutboxMessage, PassState
from platforms.alipay.card_pack import PASS_ADD, PASS_RESIGN, PASS_TEMPLATE, PASS_UPDATE, pass_fields
from vouchers.common.clock import utcnow
from vouchers.qr.keys import QrKeyRing

MERCHANT = "人力资源和社会保障局"
TEMPLATE_UNKNOWN = "TEMPLATE_NOT_EXIST"  # alipay.pass.instance.add's sub_code for an unknown tpl_id


async def send_pass_template(message: OutboxMessage, client: AlipayClient) -> str:
    template = await AlipayPassTemplate.get(batch_id=message.payload["batch_id"])
    if template.tpl_id:
        return template.tpl_id  # delivered before; the row was retried after the answer was lost
    return await _create_template(template, client)


async def _create_template(template: AlipayPassTemplate, client: AlipayClient) -> str:
    batch = await Batch.get(id=template.batch_id).prefetch_related("region")
    # unique_id makes template.add idempotent on Alipay's side too.
    tpl_id = await client.pass_template_add(f"pxq-batch-{batch.id}", template_content(f"{batch.region.name}{MERCHANT}"))
    await AlipayPassTemplate.filter(id=template.id).update(tpl_id=tpl_id)
    return tpl_id


async def send_pass_add(message: OutboxMessage, client: AlipayClient, ring: QrKeyRing) -> str:
    card = await AlipayPass.get(voucher_id=message.voucher_id).prefetch_related("voucher__batch", "account")
    template = await AlipayPassTemplate.get_or_none(batch_id=card.voucher.batch_id)
    if template is None or not template.tpl_id:
        raise errors.Retryable("the batch's pass template is not created yet")
    if card.state is PassState.CLOSED:
        return card.serial_number  # closed before it was added (authorisation cancelled): nothing to show
    key_id = ring.signing_key_id
    fields = pass_fields(card.voucher, card.voucher.batch, client.settings.app_id, ring, card.id)
    try:
        serial = await client.pass_instance_add(template.tpl_id, fields, card.account.subject)
    except errors.Permanent as exc:
        if exc.code != TEMPLATE_UNKNOWN:
            raise
        # Alipay no longer knows the template (deleted, or a sandbox reset): create it again, once.
        tpl_id = await _create_template(template, client)
        serial = await client.pass_instance_add(tpl_id, fields, card.account.subject)
    await AlipayPass.filter(id=card.id).update(added_at=card.added_at or utcnow(), key_id=key_id)
    return serial


async def send_pass_update(message: OutboxMessage, client: AlipayClient) -> str:
    card = await AlipayPass.get(voucher_id=message.voucher_id)
    if card.added_at is None:
        raise errors.Retryable("the pass is not added yet")
    await client.pass_instance_update(card.serial_number, client.settings.app_id, message.payload["status"])
    return card.serial_number


async def send_pass_resign(message: OutboxMessage, client: AlipayClient, ring: QrKeyRing) -> str:
    """Show a card-pass code of the ring's signing key on the pass: every placeholder is sent
    again (the same values, a new QR payload), whatever key the row was written for."""
    card = await AlipayPass.get(voucher_id=message.voucher_id).prefetch_related("voucher__batch")
    if card.added_at is None:
        raise errors.Retryable("the pass is not added yet")
    key_id = ring.signing_key_id
    if card.state is not PassState.ACTIVE or card.key_id == key_id:
        return card.serial_number  # used or closed meanwhile (nobody scans it), or signed already
    fields = pass_fields(card.voucher, card.voucher.batch, client.settings.app_id, ring, card.id)
    await client.pass_instance_update(card.serial_number, client.settings.app_id, tpl_params=fields)
    await AlipayPass.filter(id=card.id).update(key_id=key_id)
    return card.serial_number


Sender = Callable[[OutboxMessage, AlipayClient], Awaitable[str]]


def senders(ring: QrKeyRing) -> dict[str, Sender]:
    """For the delivery loop: outbox kind -> sender, passes' QR codes signed with `ring`."""

    async def add(message: OutboxMessage, client: AlipayClient) -> str:
        return await send_pass_add(message, client, ring)

    async def resign(message: OutboxMessage, client: AlipayClient) -> str:
        return await send_pass_resign(message, client, ring)

    return {PASS_TEMPLATE: send_pass_template, PASS_ADD: add, PASS_UPDATE: send_pass_update, PASS_RESIGN: resign}
