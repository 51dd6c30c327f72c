"""The worker delivers Alipay's rows: the claim notice as an Alipay subscribe message, and the
card-pack pass (template, then instance, then its re-signing after a key rotation) through the
real delivery loop."""

from __future__ import annotations

from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jobs.alipay_routes import alipay_notifier, card_pack_routes
from jobs.delivery import Deliverer
from jobs.routes import build_routes
from models import OutboxMessage, OutboxStatus
from platforms.alipay.card_pack import sync_card_pack
from tests.support import factories
from tests.support.alipay import AlipayEnv
from vouchers.common.clock import utcnow
from vouchers.qr.keys import QrKeyRing

TEMPLATE = "sandbox-voucher-notice"


async def test_claim_notice_and_card_pack_pass_go_out_through_the_worker(alipay: AlipayEnv, svc) -> None:
    await factories.regions()
    bureau = await factories.bureau(svc)
    batch = await factories.published_batch(alipay.http, bureau, title="2026年无锡市职业培训券")
    token = await alipay.verified_login("zhangsan")
    claimed = await alipay.http.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=factories.auth(token))
    code = (await claimed.json())["code"]
    consent = await alipay.http.post(
        "/api/v1/alipay/subscriptions", json={"results": {TEMPLATE: "accept"}}, headers=factories.auth(token)
    )
    assert consent.status == 200
    assert await sync_card_pack(utcnow(), svc.qr) == 1

    routes = build_routes([alipay_notifier(alipay.client, TEMPLATE)], card_pack_routes(alipay.client, svc.qr))
    deliverer = Deliverer(svc.redis, routes, per_second=lambda _c: 0)
    for _ in range(4):  # the instance waits (retry) until its template is delivered
        await deliverer.run()
        await OutboxMessage.filter(status=OutboxStatus.PENDING).update(next_attempt_at=utcnow() - timedelta(seconds=1))

    rows = await OutboxMessage.all()
    assert {r.kind: (r.status, r.channel) for r in rows} == {
        "voucher_claimed": (OutboxStatus.SENT, "alipay"),
        "alipay_pass_template": (OutboxStatus.SENT, "alipay"),
        "alipay_pass_add": (OutboxStatus.SENT, "alipay"),
    }
    assert alipay.sandbox.messages[-1]["to"] == alipay.sandbox.open_id("zhangsan")
    assert alipay.sandbox.passes[code]["status"] == "ACTIVE"

    # A new signing key (a restart with one more key file): the worker signs the pass again.
    svc.qr = QrKeyRing(svc.qr.keys | {"ZNEWER": Ed25519PrivateKey.generate()})
    assert await sync_card_pack(utcnow(), svc.qr) == 1
    routes = build_routes([alipay_notifier(alipay.client, TEMPLATE)], card_pack_routes(alipay.client, svc.qr))
    await Deliverer(svc.redis, routes, per_second=lambda _c: 0).run()
    assert (await OutboxMessage.get(kind="alipay_pass_resign")).status == OutboxStatus.SENT
    qr_payload = alipay.sandbox.passes[code]["shown"]["operation"][0]["message"]
    assert qr_payload.split(".")[4] == "ZNEWER" and alipay.sandbox.passes[code]["status"] == "ACTIVE"
