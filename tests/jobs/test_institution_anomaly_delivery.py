"""Anomaly notices (stale and forged QR codes) reach the institution's webhook: a notice that
reached nobody does not swallow the next one, two different stale codes are two notices, and a
flood of the same one is still one notice an hour."""

from __future__ import annotations

import time
from datetime import timedelta

import aiohttp

from channels.webhook import WebhookSender
from jobs.delivery import Deliverer, DeliverySettings
from jobs.institution_routes import institution_routes
from models import OutboxMessage, OutboxStatus
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.institutions import claimed_voucher, post_scan, scan_body, setup_institution
from tests.support.webhooks import WEBHOOK_SECRET
from vouchers.common.clock import LOCAL_TZ, local_date, start_of_local_day, utcnow
from vouchers.qr import codes as qr
from vouchers.scanning import scan


async def _deliver(svc, settings: DeliverySettings | None = None) -> None:
    async with aiohttp.ClientSession() as http:
        sender = WebhookSender(http, allow_private=True)  # the receiver listens on 127.0.0.1
        routes = institution_routes(svc.keys, sender, staff=[])
        deliverer = Deliverer(svc.redis, routes, lambda _c: 0, settings or DeliverySettings())
        for _ in range(3):  # notices, then their fanned-out webhook rows, then nothing more
            await deliverer.run()


async def _stale_scan(client, svc, env, code: str) -> None:
    stale = qr.sign(svc.qr, qr.VOUCHER, code, now=time.time() - 120).payload
    answer = await post_scan(client, env["scanner"], scan_body(stale, "verify"))
    assert answer["reason"] == "qr_stale"


async def _set_webhook(client, env, url: str) -> None:
    r = await client.put(
        "/api/v1/institution/webhook", json={"url": url, "secret": WEBHOOK_SECRET}, headers=auth(env["commissioner"])
    )
    assert r.status == 200, await r.text()


async def _institution(client, svc) -> tuple[dict, dict]:
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    return await setup_institution(client, token), batch


async def test_an_anomaly_before_the_webhook_does_not_swallow_the_next(client, svc, webhook_receiver) -> None:
    url, received = webhook_receiver
    env, batch = await _institution(client, svc)
    _, code = await claimed_voucher(client, svc, batch["id"])
    await _stale_scan(client, svc, env, code)  # nobody to tell yet
    await _deliver(svc)
    await _set_webhook(client, env, url)
    await _stale_scan(client, svc, env, code)  # the same code again, in the same hour
    await _deliver(svc)
    assert [(e["event"], e["anomaly"], e["voucher_code"]) for e in received] == [
        ("institution_anomaly", "qr_stale", code)
    ]
    # Now told: the same anomaly again within the hour is not a second notice.
    await _stale_scan(client, svc, env, code)
    await _deliver(svc)
    assert len(received) == 1


async def test_two_vouchers_stale_codes_are_two_notices(client, svc, webhook_receiver) -> None:
    url, received = webhook_receiver
    env, batch = await _institution(client, svc)
    await _set_webhook(client, env, url)
    _, first = await claimed_voucher(client, svc, batch["id"], name="王小明")
    _, second = await claimed_voucher(client, svc, batch["id"], name="李红")
    await _stale_scan(client, svc, env, first)
    await _stale_scan(client, svc, env, second)
    await _deliver(svc)
    assert sorted(e["voucher_code"] for e in received) == sorted([first, second])


async def test_a_notice_that_died_does_not_block_the_next(client, svc, webhook_receiver, unused_tcp_port) -> None:
    url, received = webhook_receiver
    env, batch = await _institution(client, svc)
    _, code = await claimed_voucher(client, svc, batch["id"])
    await _set_webhook(client, env, f"http://127.0.0.1:{unused_tcp_port}/notices")  # nobody listens
    await _stale_scan(client, svc, env, code)
    await _deliver(svc, DeliverySettings(max_attempts=1))
    assert await OutboxMessage.filter(kind="webhook_notice", status=OutboxStatus.DEAD).count() == 1
    await _set_webhook(client, env, url)  # fixed
    await _stale_scan(client, svc, env, code)
    await _deliver(svc)
    assert [e["voucher_code"] for e in received] == [code]


async def test_the_same_anomaly_is_told_again_in_the_next_clock_hour(client, svc, webhook_receiver, monkeypatch):
    """Once an hour means once per local clock hour: at 10:00:00 and 10:59:59 Beijing time the
    institution hears of the stale code once; at 11:00:00 it hears of it again."""
    url, received = webhook_receiver
    env, batch = await _institution(client, svc)
    await _set_webhook(client, env, url)
    _, code = await claimed_voucher(client, svc, batch["id"])
    ten = start_of_local_day(local_date(utcnow()) - timedelta(days=1)) + timedelta(hours=10)
    for at in (ten, ten + timedelta(minutes=59, seconds=59), ten + timedelta(hours=1)):
        monkeypatch.setattr(scan, "utcnow", lambda at=at: at)  # the server's clock at the scan
        await _stale_scan(client, svc, env, code)
        await _deliver(svc)
    assert [(e["event"], e["voucher_code"]) for e in received] == [("institution_anomaly", code)] * 2
    keys = await OutboxMessage.filter(kind="institution_anomaly").order_by("id").values_list("dedupe_key", flat=True)
    assert [k.rsplit(":", 1)[1] for k in keys] == [f"{ten.astimezone(LOCAL_TZ):%Y%m%d}{h}" for h in (10, 11)]
