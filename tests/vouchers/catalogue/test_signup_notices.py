"""The trainee is told either way, on the channel that reaches them: a decline with its reason,
a confirmation by the registration scan. Driven through the worker's `deliver` step to the
WeChat sandbox."""

from __future__ import annotations

import pytest

from jobs.delivery import Deliverer
from jobs.routes import build_routes
from jobs.wechat_routes import miniapp_notifier, official_notifier
from models import AccountChannel, ChannelAccount, OutboxMessage, OutboxStatus
from platforms.wechat.notice_links import NoticeLinks
from tests.support.catalogue import open_class, signed_up
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.institutions import API, institution, post_scan, scan_body, scanner, site, voucher_payload
from tests.support.wechat import WechatEnv, make_env

TEMPLATE = "sandbox-voucher-notice"


@pytest.fixture
async def wechat(aiohttp_client, aiohttp_server, config, svc) -> WechatEnv:
    return await make_env(aiohttp_client, aiohttp_server, config, svc)


async def _deliver(wechat: WechatEnv) -> None:
    links = NoticeLinks(wechat.config.wechat.app_id, wechat.config.server.public_url)
    routes = build_routes(
        [
            miniapp_notifier(wechat.clients.miniapp, TEMPLATE),
            official_notifier(wechat.clients.official, wechat.config.wechat_official.trainee_template_id, links),
        ]
    )
    await Deliverer(wechat.svc.redis, routes, per_second=lambda _c: 0).run()


async def _signed_up(wechat: WechatEnv) -> dict:
    """A WeChat trainee who claimed a voucher and signed up for a class, with consents to be told."""
    client = wechat.client
    await regions()
    token = await bureau(wechat.svc)
    batch = await published_batch(client, token)
    _, commissioner = await institution(client, token)
    _, desk = await scanner(client, commissioner, "desk-signups")
    klass = await open_class(client, commissioner, [(await site(client, commissioner))["id"]])
    session = await wechat.verified("alice")
    r = await client.post(f"{API}/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    code = (await r.json())["code"]
    account = await ChannelAccount.get(channel=AccountChannel.WECHAT_MINIAPP, person_id__not_isnull=True)
    key = (wechat.config.wechat.app_id, account.subject, TEMPLATE)
    wechat.sandbox.consents[key] = 3
    for _ in range(3):  # the user tapped 允许 three times: WeChat counts it, the mini program reports it
        r = await client.post(
            f"{API}/wechat/subscriptions", json={"results": {TEMPLATE: "accept"}}, headers=auth(session)
        )
        assert r.status == 200
    await _deliver(wechat)  # the claim's own notice
    signup = await signed_up(client, session, klass["id"], code)
    return {"session": session, "code": code, "class": klass, "desk": desk, "account": account, "signup": signup}


async def test_a_decline_with_its_reason_reaches_the_trainee(wechat: WechatEnv):
    env = await _signed_up(wechat)
    r = await wechat.client.post(
        f"{API}/institution/signups/{env['signup']['id']}/decline",
        json={"reason": "本期名额已满，请报名下一期"},
        headers=auth(env["desk"]),
    )
    assert r.status == 200, await r.text()
    await _deliver(wechat)
    row = await OutboxMessage.get(kind="signup_declined")
    assert (row.status, row.channel) == (OutboxStatus.SENT, "wechat_miniapp")
    sent = wechat.sandbox.sent_to(env["account"].subject)[-1]
    fields = {k: v["value"] for k, v in sent["data"].items()}
    assert fields["phrase2"] == "报名被婉拒"
    assert fields["thing4"] == "原因：本期名额已满，请报名下一期"
    assert sent["page"] == f"pages/vouchers/detail?code={env['code']}"


async def test_a_long_reason_is_cut_to_the_field_and_the_confirmation_reaches_the_trainee(wechat: WechatEnv):
    env = await _signed_up(wechat)
    payload = await voucher_payload(wechat.client, env["session"], env["code"])
    answer = await post_scan(wechat.client, env["desk"], scan_body(payload, "enrol", env["class"]["id"]))
    assert answer["result"] == "ok", answer
    await _deliver(wechat)
    sent = wechat.sandbox.sent_to(env["account"].subject)[-1]
    fields = {k: v["value"] for k, v in sent["data"].items()}
    assert (fields["phrase2"], fields["thing4"]) == ("报名已确认", "请按时上课，签到时出示培训券二维码")
    assert (await OutboxMessage.get(kind="signup_confirmed")).status == OutboxStatus.SENT

    from vouchers.notices.trainee_texts import trainee_notice_text

    what, hint = trainee_notice_text(
        "signup_declined", p={"reason": "本班只招收有电工基础的学员，请先参加初级班再报名"}
    )
    assert what == "报名被婉拒" and len(hint) == 20 and hint.endswith("…")
