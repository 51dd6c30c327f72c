"""The trainee's notices center: every notice meant for the trainee, delivered or not, with the texts
the push carried; read/unread. And the expiry reminders: the days left, worded apart at 7 days and
on the last day, with a tap that opens the voucher."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jobs.delivery import Deliverer
from jobs.routes import build_routes
from jobs.wechat_routes import miniapp_notifier, official_notifier
from models import AccountChannel, ChannelAccount, OutboxMessage, OutboxStatus, SubscriptionConsent, Voucher
from platforms.wechat.notice_links import NoticeLinks
from tests.support.factories import auth, bureau, published_batch, regions, trainee, unverified
from tests.support.wechat import WechatEnv, make_env
from vouchers.common.clock import end_of_local_day, local_date, utcnow
from vouchers.common.outbox import outbox_row
from vouchers.identity.sessions import open_session
from vouchers.notices.reminders import schedule_reminders

TEMPLATE = "sandbox-voucher-notice"
API = "/api/v1"


@pytest.fixture
async def wechat(aiohttp_client, aiohttp_server, config, svc) -> WechatEnv:
    return await make_env(aiohttp_client, aiohttp_server, config, svc)


async def _deliver(wechat: WechatEnv) -> None:
    clients = wechat.clients
    links = NoticeLinks(wechat.config.wechat.app_id, wechat.config.server.public_url)
    routes = build_routes(
        [
            miniapp_notifier(clients.miniapp, TEMPLATE),
            official_notifier(clients.official, wechat.config.wechat_official.trainee_template_id, links),
        ]
    )
    await Deliverer(wechat.svc.redis, routes, per_second=lambda _c: 0).run()


async def _batch(wechat: WechatEnv) -> dict:
    await regions()
    return await published_batch(wechat.client, await bureau(wechat.svc))


async def _claim(wechat: WechatEnv, token: str, batch: dict) -> str:
    response = await wechat.client.post(f"{API}/claims", json={"batch_id": batch["id"]}, headers=auth(token))
    assert response.status == 201, await response.text()
    return (await response.json())["code"]


async def _notices(wechat: WechatEnv, token: str, **query) -> dict:
    response = await wechat.client.get(f"{API}/notices", params=query, headers=auth(token))
    assert response.status == 200, await response.text()
    return await response.json()


async def _read(wechat: WechatEnv, token: str, body: dict):
    return await wechat.client.post(f"{API}/notices/read", json=body, headers=auth(token))


async def test_a_notice_that_reached_no_channel_is_listed_and_can_be_marked_read(wechat: WechatEnv) -> None:
    batch = await _batch(wechat)
    token = await wechat.verified("alice")  # no subscribe consent, follows no Official Account
    code = await _claim(wechat, token, batch)
    await _deliver(wechat)
    row = await OutboxMessage.get(kind="voucher_claimed")
    assert row.status == OutboxStatus.DEAD  # no channel reached her

    listed = await _notices(wechat, token)
    [notice] = listed["items"]
    assert notice["id"] == row.id
    assert (notice["kind"], notice["title"], notice["text"]) == (
        "voucher_claimed",
        "领取成功",
        "请在有效期内到培训机构报名",
    )
    assert (notice["batch_title"], notice["voucher_code"]) == (batch["title"], code)
    assert (notice["delivery"], notice["channel"], notice["read"]) == ("undelivered", None, False)
    assert "未能推送" in notice["delivery_label"]
    assert listed["unread"] == 1
    count = await wechat.client.get(f"{API}/notices/unread-count", headers=auth(token))
    assert (await count.json()) == {"unread": 1}

    marked = await _read(wechat, token, {"ids": [row.id]})
    assert marked.status == 200 and await marked.json() == {"marked": 1, "unread": 0}
    first_read = (await _notices(wechat, token))["items"][0]["read_at"]
    again = await _read(wechat, token, {"ids": [row.id]})
    assert await again.json() == {"marked": 0, "unread": 0}
    [notice] = (await _notices(wechat, token))["items"]
    assert notice["read"] is True and notice["read_at"] == first_read


async def test_reminders_say_the_days_left_at_7_days_and_on_the_last_day(wechat: WechatEnv) -> None:
    batch = await _batch(wechat)
    token = await wechat.verified("alice")
    code = await _claim(wechat, token, batch)
    account = await ChannelAccount.get(channel=AccountChannel.WECHAT_MINIAPP, person_id__not_isnull=True)
    # Two taps on 允许: the claim notice and the week reminder go to the mini program.
    wechat.sandbox.consents[(wechat.config.wechat.app_id, account.subject, TEMPLATE)] = 2
    await SubscriptionConsent.create(account_id=account.id, template_id=TEMPLATE, remaining=2)
    await _deliver(wechat)
    today = local_date(utcnow())

    # Seven days of use left (today and the last valid day counted).
    await Voucher.filter(code=code).update(valid_until=end_of_local_day(today + timedelta(days=6)))
    assert await schedule_reminders(utcnow(), (7, 1), 0) == 1
    await _deliver(wechat)
    week = wechat.sandbox.sent_to(account.subject)[-1]
    assert week["kind"] == "subscribe"
    assert {k: v["value"] for k, v in week["data"].items()} == {
        "thing1": batch["title"],
        "phrase2": "即将过期",
        "date3": (today + timedelta(days=6)).isoformat(),
        "thing4": "还剩7天，请尽快报名参加培训",
    }
    assert week["page"] == f"pages/vouchers/detail?code={code}"  # a tap opens the voucher

    # The last valid day; her consents are spent, she follows the Official Account meanwhile.
    follower = wechat.follower("alice")
    oa = wechat.config.wechat_official
    await open_session(wechat.svc, AccountChannel.WECHAT_OFFICIAL, oa.app_id, follower, union_id=account.union_id)
    await Voucher.filter(code=code).update(valid_until=end_of_local_day(today))
    assert await schedule_reminders(utcnow(), (7, 1), 0) == 1
    await _deliver(wechat)
    [last] = wechat.sandbox.sent_to(follower)
    assert (last["data"]["phrase2"]["value"], last["data"]["thing4"]["value"]) == (
        "今日截止",
        "今天是最后一天，请尽快到培训机构报名",
    )
    assert last["url"] == f"{wechat.config.server.public_url}/h5/wallet?code={code}"
    assert last["miniprogram"]["pagepath"] == f"pages/vouchers/detail?code={code}"

    # The notices center shows what each push said, newest first, and how it went.
    items = (await _notices(wechat, token))["items"]
    assert [(n["kind"], n["title"], n["text"], n["channel"]) for n in items] == [
        ("voucher_expiring", "今日截止", "今天是最后一天，请尽快到培训机构报名", "wechat_official"),
        ("voucher_expiring", "即将过期", "还剩7天，请尽快报名参加培训", "wechat_miniapp"),
        ("voucher_claimed", "领取成功", "请在有效期内到培训机构报名", "wechat_miniapp"),
    ]
    assert [n["delivery_label"] for n in items[:2]] == ["已通过微信公众号推送", "已通过微信小程序推送"]
    page = (await _notices(wechat, token, limit=1, offset=1))["items"]
    assert [n["title"] for n in page] == ["即将过期"]


async def test_only_my_own_notices_and_marking_all(wechat: WechatEnv) -> None:
    batch = await _batch(wechat)
    _, mine = await trainee(wechat.svc)
    _, theirs = await trainee(wechat.svc)
    my_code = await _claim(wechat, mine, batch)
    await _claim(wechat, theirs, batch)
    [their_notice] = (await _notices(wechat, theirs))["items"]
    listed = await _notices(wechat, mine)
    assert [n["voucher_code"] for n in listed["items"]] == [my_code]
    assert listed["items"][0]["delivery"] == "pending"  # not sent yet: listed all the same

    # Someone else's id is ignored; "all" is mine only.
    assert await (await _read(wechat, mine, {"ids": [their_notice["id"]]})).json() == {"marked": 0, "unread": 1}
    assert await (await _read(wechat, mine, {"all": True})).json() == {"marked": 1, "unread": 0}
    assert (await _notices(wechat, theirs))["unread"] == 1

    for body in ({}, {"ids": [], "all": False}, {"ids": [their_notice["id"]], "all": True}):
        refused = await _read(wechat, mine, body)
        assert refused.status == 422
        error = (await refused.json())["error"]
        assert error["code"] == "invalid_input" and "全部已读" in error["message"]


async def test_a_notice_due_later_shows_once_due(wechat: WechatEnv) -> None:
    batch = await _batch(wechat)
    _, token = await trainee(wechat.svc)
    code = await _claim(wechat, token, batch)
    voucher = await Voucher.get(code=code)
    later = outbox_row(
        "voucher_expiring",
        utcnow() + timedelta(hours=3),  # queued at dawn for the reminder hour
        person_id=voucher.person_id,
        voucher_id=voucher.id,
        payload={"offset_days": 7, "valid_until": voucher.valid_until.isoformat()},
    )
    await later.save()
    assert [n["kind"] for n in (await _notices(wechat, token))["items"]] == ["voucher_claimed"]
    assert (await _read(wechat, token, {"all": True})).status == 200
    await OutboxMessage.filter(id=later.id).update(next_attempt_at=utcnow())
    listed = await _notices(wechat, token)
    assert [(n["kind"], n["read"]) for n in listed["items"]] == [("voucher_expiring", False), ("voucher_claimed", True)]
    assert listed["items"][0]["text"] == "还剩30天，请尽快报名参加培训"
    assert listed["unread"] == 1


async def test_notices_need_a_verified_identity(wechat: WechatEnv) -> None:
    _, token = await unverified(wechat.svc)
    for response in (
        await wechat.client.get(f"{API}/notices", headers=auth(token)),
        await wechat.client.get(f"{API}/notices/unread-count", headers=auth(token)),
        await _read(wechat, token, {"all": True}),
    ):
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "identity_required"
