"""Alipay in the delivery routes: voucher notices as Alipay subscribe messages, and the card-pack
rows (pass template, pass instance, pass update, pass re-sign) written by `platforms.alipay.card_pack`."""

from __future__ import annotations

from channels.alipay.client import AlipayClient
from jobs.alipay_pass_delivery import senders
from jobs.delivery import Attempt, Route
from jobs.routes import PersonNotifier
from models import AccountChannel, ChannelAccount, OutboxMessage
from platforms.alipay.subscribe_notice import send_alipay_notice
from vouchers.qr.keys import QrKeyRing


def alipay_notifier(client: AlipayClient, template_id: str) -> PersonNotifier:
    async def notifier(message: OutboxMessage) -> Attempt | None:
        reachable = (
            message.person_id is not None
            and await ChannelAccount.filter(person_id=message.person_id, channel=AccountChannel.ALIPAY).exists()
        )
        if not reachable:
            return None

        async def send(_key: str) -> str:
            return await send_alipay_notice(message, client, template_id)

        return Attempt("alipay", send, template_id)

    return notifier


def card_pack_routes(client: AlipayClient, ring: QrKeyRing) -> dict[str, Route]:
    """`ring` signs the passes' QR codes: the key ring the scan call verifies with."""
    by_kind = senders(ring)

    def route_for(kind: str) -> Route:
        async def route(message: OutboxMessage) -> list[Attempt]:
            async def send(_key: str) -> str:
                return await by_kind[kind](message, client)

            return [Attempt("alipay", send)]

        return route

    return {kind: route_for(kind) for kind in by_kind}
