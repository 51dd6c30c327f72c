"""Failure tests of the worker against the WeChat sandbox: an outage of 5xx answers, system-busy
errors and timeouts loses nothing and sends nothing twice once WeChat is back."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import aiohttp
import pytest

from channels.wechat.client import WechatClient
from jobs.delivery import Deliverer, DeliverySettings
from jobs.routes import build_routes
from jobs.wechat_routes import miniapp_notifier
from models import ChannelAccount, OutboxMessage, OutboxStatus
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.wechat import WechatEnv, make_env
from vouchers.common.clock import utcnow

TEMPLATE = "sandbox-voucher-notice"
IDS = ["320202199003070012", "32020219850512002X"]


@pytest.fixture
async def wechat(aiohttp_client, aiohttp_server, config, svc) -> WechatEnv:
    return await make_env(aiohttp_client, aiohttp_server, config, svc)


async def test_an_outage_loses_nothing_and_duplicates_nothing(wechat: WechatEnv) -> None:
    await regions()
    batch = await published_batch(wechat.client, await bureau(wechat.svc), quantity=10)
    openids = []
    for user, number in zip(["alice", "bob"], IDS, strict=True):
        token = await wechat.verified(user, name="王小明" if user == "alice" else "李红", id_number=number)
        claimed = await wechat.client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(token))
        assert claimed.status == 201
        account = await ChannelAccount.get(
            channel="wechat_miniapp", subject=wechat.sandbox.openid(wechat.config.wechat.app_id, user)
        )
        openids.append(account.subject)
        wechat.sandbox.consents[(wechat.config.wechat.app_id, account.subject, TEMPLATE)] = 1
        await wechat.client.post(
            "/api/v1/wechat/subscriptions", json={"results": {TEMPLATE: "accept"}}, headers=auth(token)
        )
    wechat.sandbox.outage = ["500", "busy", "stall", "500", "busy"]

    mp = wechat.config.wechat
    async with aiohttp.ClientSession() as http:
        client = WechatClient(
            http, wechat.svc.redis, app_id=mp.app_id, secret=mp.secret, api_base=mp.api_base, timeout_s=1
        )
        deliverer = Deliverer(
            wechat.svc.redis,
            build_routes([miniapp_notifier(client, TEMPLATE)]),
            per_second=lambda _c: 0,
            settings=DeliverySettings(max_attempts=8, backoff_base_s=1),
        )
        for _ in range(10):
            await deliverer.run()
            pending = OutboxMessage.filter(kind="voucher_claimed", status=OutboxStatus.PENDING)
            if not await pending.exists():
                break
            await pending.update(next_attempt_at=utcnow() - timedelta(seconds=1))  # don't wait out the backoff

    rows = await OutboxMessage.filter(kind="voucher_claimed")
    assert len(rows) == 2 and all(r.status == OutboxStatus.SENT for r in rows), [(r.status, r.last_error) for r in rows]
    assert max(r.attempts for r in rows) > 1  # the outage was met
    assert not wechat.sandbox.outage
    delivered = Counter(m["touser"] for m in wechat.sandbox.sent if m["kind"] == "subscribe")
    assert delivered == Counter(openids)  # each once
