"""Voucher notices take the best channel that reaches the trainee: the mini program while a
subscribe consent is left, else the Official Account the trainee follows, else dead with why."""

from __future__ import annotations

import pytest

from jobs.delivery import Deliverer
from jobs.routes import build_routes
from jobs.wechat_routes import miniapp_notifier, official_notifier
from models import AccountChannel, ChannelAccount, OutboxMessage, OutboxStatus, SubscriptionConsent, Voucher
from platforms.wechat.notice_links import NoticeLinks
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.wechat import WechatEnv, make_env
from vouchers.identity.sessions import open_session

TEMPLATE = "sandbox-voucher-notice"


@pytest.fixture
async def wechat(aiohttp_client, aiohttp_server, config, svc) -> WechatEnv:
    return await make_env(aiohttp_client, aiohttp_server, config, svc)


def _links(wechat: WechatEnv) -> NoticeLinks:
    return NoticeLinks(wechat.config.wechat.app_id, wechat.config.server.public_url)


async def _deliver(wechat: WechatEnv) -> None:
    clients = wechat.clients
    routes = build_routes(
        [
            miniapp_notifier(clients.miniapp, TEMPLATE),
            official_notifier(clients.official, wechat.config.wechat_official.trainee_template_id, _links(wechat)),
        ]
    )
    await Deliverer(wechat.svc.redis, routes, per_second=lambda _c: 0).run()


async def _claim(wechat: WechatEnv, user: str) -> ChannelAccount:
    await regions()
    batch = await published_batch(wechat.client, await bureau(wechat.svc))
    token = await wechat.verified(user)
    assert (
        await wechat.client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(token))
    ).status == 201
    return await ChannelAccount.get(channel=AccountChannel.WECHAT_MINIAPP, person_id__not_isnull=True)


async def test_with_consent_the_mini_program_carries_it(wechat: WechatEnv) -> None:
    account = await _claim(wechat, "alice")
    # The user taps 允许: WeChat counts it, and the mini program reports it to us.
    wechat.sandbox.consents[(wechat.config.wechat.app_id, account.subject, TEMPLATE)] = 1
    await SubscriptionConsent.create(account_id=account.id, template_id=TEMPLATE, remaining=1)
    await _deliver(wechat)
    row = await OutboxMessage.get(kind="voucher_claimed")
    assert (row.status, row.channel) == (OutboxStatus.SENT, "wechat_miniapp")


async def test_without_consent_a_follower_gets_it_through_the_official_account(wechat: WechatEnv) -> None:
    account = await _claim(wechat, "alice")
    follower = wechat.follower("alice")
    await open_session(
        wechat.svc,
        AccountChannel.WECHAT_OFFICIAL,
        wechat.config.wechat_official.app_id,
        follower,
        union_id=account.union_id,
    )
    await _deliver(wechat)
    row = await OutboxMessage.get(kind="voucher_claimed")
    assert (row.status, row.channel) == (OutboxStatus.SENT, "wechat_official")
    [sent] = wechat.sandbox.sent_to(follower)
    assert sent["kind"] == "template"
    # Only the template's keywords (WeChat no longer shows first/remark), and a tap opens the
    # voucher in the mini program, or the H5 wallet at it where the client cannot open one.
    assert {k: v["value"] for k, v in sent["data"].items()} == {
        "thing1": "2026年无锡市职业培训券",
        "phrase2": "领取成功",
        "time3": sent["data"]["time3"]["value"],
        "thing4": "请在有效期内到培训机构报名",
    }
    code = (await Voucher.get(person_id=account.person_id)).code
    assert sent["miniprogram"] == {
        "appid": wechat.config.wechat.app_id,
        "pagepath": f"pages/vouchers/detail?code={code}",
    }
    assert sent["url"] == f"{wechat.config.server.public_url}/h5/wallet?code={code}"


async def test_nobody_to_reach_is_dead_with_the_reason(wechat: WechatEnv) -> None:
    await _claim(wechat, "alice")
    await _deliver(wechat)
    row = await OutboxMessage.get(kind="voucher_claimed")
    assert row.status == OutboxStatus.DEAD and "wechat_miniapp:NoConsent" in row.last_error
