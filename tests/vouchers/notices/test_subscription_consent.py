"""One consent table for every channel: a trainee with a WeChat and an Alipay account has a count
per account, even for the same template id, and each channel's API takes only what its platform
sends, from its own accounts."""

from __future__ import annotations

import pytest

from channels import errors
from models import AccountChannel, ChannelAccount, OutboxMessage, SubscriptionConsent
from platforms.alipay.subscribe_notice import send_alipay_notice
from platforms.wechat.subscribe_notice import send_wechat_notice
from tests.support.alipay import AlipayEnv
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.wechat import PASSING_ID, PASSING_NAME, WechatEnv, make_env

TEMPLATE = "sandbox-voucher-notice"  # the same id on both platforms, on purpose


@pytest.fixture
async def wechat(aiohttp_client, aiohttp_server, config, svc) -> WechatEnv:
    return await make_env(aiohttp_client, aiohttp_server, config, svc)


async def _report(http, path: str, token: str, result: str) -> dict[str, int]:
    answer = await http.post(path, json={"results": {TEMPLATE: result}}, headers=auth(token))
    assert answer.status == 200, await answer.text()
    return (await answer.json())["remaining"]


async def _left() -> dict[AccountChannel, int]:
    rows = await SubscriptionConsent.filter(template_id=TEMPLATE).prefetch_related("account")
    return {row.account.channel: row.remaining for row in rows}


async def test_one_trainee_has_a_consent_count_per_account(wechat: WechatEnv, alipay: AlipayEnv, svc) -> None:
    await regions()
    batch = await published_batch(alipay.http, await bureau(svc))
    wx_token = await wechat.verified("alice")
    ali_token = await alipay.verified_login("zhangsan", name=PASSING_NAME, number=PASSING_ID)
    wx = await ChannelAccount.get(channel=AccountChannel.WECHAT_MINIAPP)
    ali = await ChannelAccount.get(channel=AccountChannel.ALIPAY)
    assert wx.person_id == ali.person_id is not None  # one person, two accounts
    claimed = await alipay.http.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(ali_token))
    assert claimed.status == 201
    notice = await OutboxMessage.get(kind="voucher_claimed")

    # Two taps on 允许 in WeChat, one in Alipay: each report answers its own account's count.
    wechat.sandbox.consents[(wechat.config.wechat.app_id, wx.subject, TEMPLATE)] = 2
    assert await _report(wechat.client, "/api/v1/wechat/subscriptions", wx_token, "accept") == {TEMPLATE: 1}
    assert await _report(wechat.client, "/api/v1/wechat/subscriptions", wx_token, "accept") == {TEMPLATE: 2}
    assert await _report(alipay.http, "/api/v1/alipay/subscriptions", ali_token, "accept") == {TEMPLATE: 1}
    assert await _left() == {AccountChannel.WECHAT_MINIAPP: 2, AccountChannel.ALIPAY: 1}

    # A send takes from the account it went to, and only from it.
    await send_wechat_notice(notice, wechat.clients.miniapp, TEMPLATE)
    assert await _left() == {AccountChannel.WECHAT_MINIAPP: 1, AccountChannel.ALIPAY: 1}
    await send_alipay_notice(notice, alipay.client, TEMPLATE)
    assert await _left() == {AccountChannel.WECHAT_MINIAPP: 1, AccountChannel.ALIPAY: 0}
    with pytest.raises(errors.NoConsent):  # Alipay's is spent; WeChat's is not lent to it
        await send_alipay_notice(notice, alipay.client, TEMPLATE)
    assert len(alipay.sandbox.messages) == 1
    assert await _left() == {AccountChannel.WECHAT_MINIAPP: 1, AccountChannel.ALIPAY: 0}

    # Alipay saying "no subscription" zeroes Alipay's count only; a WeChat refusal WeChat's only.
    assert await _report(alipay.http, "/api/v1/alipay/subscriptions", ali_token, "accept") == {TEMPLATE: 1}
    alipay.sandbox.unsubscribed.add(ali.subject)
    with pytest.raises(errors.NoConsent):
        await send_alipay_notice(notice, alipay.client, TEMPLATE)
    assert await _left() == {AccountChannel.WECHAT_MINIAPP: 1, AccountChannel.ALIPAY: 0}
    assert await _report(alipay.http, "/api/v1/alipay/subscriptions", ali_token, "accept") == {TEMPLATE: 1}
    assert await _report(wechat.client, "/api/v1/wechat/subscriptions", wx_token, "filter") == {TEMPLATE: 0}
    assert await _left() == {AccountChannel.WECHAT_MINIAPP: 0, AccountChannel.ALIPAY: 1}


async def test_each_api_takes_its_platform_results_from_its_own_accounts(
    wechat: WechatEnv, alipay: AlipayEnv, svc
) -> None:
    wx_token = await wechat.login("alice")
    ali_token = await alipay.login("zhangsan")
    # "filter" (WeChat's spam filter) is something only WeChat reports.
    refused = await alipay.http.post(
        "/api/v1/alipay/subscriptions", json={"results": {TEMPLATE: "filter"}}, headers=auth(ali_token)
    )
    assert refused.status == 422
    assert await _report(wechat.client, "/api/v1/wechat/subscriptions", wx_token, "filter") == {TEMPLATE: 0}
    # Neither API records consents for the other platform's accounts.
    wrong = await alipay.http.post(
        "/api/v1/alipay/subscriptions", json={"results": {TEMPLATE: "accept"}}, headers=auth(wx_token)
    )
    assert (wrong.status, (await wrong.json())["error"]["code"]) == (403, "alipay_account_required")
    wrong = await wechat.client.post(
        "/api/v1/wechat/subscriptions", json={"results": {TEMPLATE: "accept"}}, headers=auth(ali_token)
    )
    assert (wrong.status, (await wrong.json())["error"]["code"]) == (403, "wechat_only")
    assert await SubscriptionConsent.filter(account__channel=AccountChannel.ALIPAY).count() == 0
