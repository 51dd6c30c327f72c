"""The completion notice invites the evaluation: its text says so, and a tap opens the
evaluation page (the mini program's, or the H5 page where the WeChat client cannot open one)."""

from __future__ import annotations

import pytest

from jobs.delivery import Deliverer
from jobs.routes import build_routes
from jobs.wechat_routes import miniapp_notifier, official_notifier
from models import AccountChannel, ChannelAccount, OutboxMessage, OutboxStatus, SubscriptionConsent
from platforms.wechat.notice_links import NoticeLinks
from tests.support.factories import auth
from tests.support.settlement import enrolled, passed, settlement_env, submit
from tests.support.wechat import WechatEnv, make_env
from vouchers.identity.sessions import open_session

TEMPLATE = "sandbox-voucher-notice"


@pytest.fixture
async def wechat(aiohttp_client, aiohttp_server, config, svc) -> WechatEnv:
    return await make_env(aiohttp_client, aiohttp_server, config, svc)


async def _deliver(wechat: WechatEnv) -> None:
    links = NoticeLinks(wechat.config.wechat.app_id, wechat.config.server.public_url)
    official = official_notifier(wechat.clients.official, wechat.config.wechat_official.trainee_template_id, links)
    routes = build_routes([miniapp_notifier(wechat.clients.miniapp, TEMPLATE), official])
    await Deliverer(wechat.svc.redis, routes, per_second=lambda _c: 0).run()


async def _completed(wechat: WechatEnv) -> tuple[ChannelAccount, str]:
    """A WeChat mini-program trainee whose results were filed: (their account, voucher code)."""
    env = await settlement_env(wechat.client, wechat.svc, trainees=0)
    token = await wechat.verified("alice")
    r = await wechat.client.post("/api/v1/claims", json={"batch_id": env["batch"]["id"]}, headers=auth(token))
    assert r.status == 201, await r.text()
    code = (await r.json())["code"]
    await enrolled(wechat.client, env, token, code)
    await submit(wechat.client, env, [passed(code)])
    account = await ChannelAccount.get(channel=AccountChannel.WECHAT_MINIAPP, person_id__not_isnull=True)
    return account, code


async def test_in_the_mini_program_it_opens_the_evaluation(wechat: WechatEnv) -> None:
    account, code = await _completed(wechat)
    wechat.sandbox.long_term.add((wechat.config.wechat.app_id, account.subject, TEMPLATE))
    await SubscriptionConsent.create(account_id=account.id, template_id=TEMPLATE, remaining=5)
    await _deliver(wechat)
    row = await OutboxMessage.get(kind="voucher_completed")
    assert (row.status, row.channel) == (OutboxStatus.SENT, "wechat_miniapp")
    [sent] = [m for m in wechat.sandbox.sent_to(account.subject) if m["data"]["phrase2"]["value"] == "已结业"]
    assert sent["page"] == f"pages/evaluations/edit?voucher={code}"
    assert sent["data"]["thing4"]["value"] == "请对本次培训进行评价"
    # The other notices still open the voucher.
    enrolled_notice = [m for m in wechat.sandbox.sent_to(account.subject) if m["data"]["phrase2"]["value"] == "已报名"]
    assert enrolled_notice[0]["page"] == f"pages/vouchers/detail?code={code}"


async def test_through_the_official_account_it_opens_the_evaluation(wechat: WechatEnv) -> None:
    account, code = await _completed(wechat)
    follower = wechat.follower("alice")
    oa = wechat.config.wechat_official
    await open_session(wechat.svc, AccountChannel.WECHAT_OFFICIAL, oa.app_id, follower, union_id=account.union_id)
    await _deliver(wechat)
    row = await OutboxMessage.get(kind="voucher_completed")
    assert (row.status, row.channel) == (OutboxStatus.SENT, "wechat_official")
    [sent] = [m for m in wechat.sandbox.sent_to(follower) if m["data"]["phrase2"]["value"] == "已结业"]
    assert sent["data"]["thing4"]["value"] == "请对本次培训进行评价"
    assert sent["miniprogram"] == {
        "appid": wechat.config.wechat.app_id,
        "pagepath": f"pages/evaluations/edit?voucher={code}",
    }
    assert sent["url"] == f"{wechat.config.server.public_url}/h5/evaluate?voucher={code}"
