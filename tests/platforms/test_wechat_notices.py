"""Outbox send functions of the WeChat channel against the sandbox: subscribe messages with
consent accounting, template messages to bound staff, delivery reports."""

from __future__ import annotations

import pytest

from channels import errors
from models import ChannelAccount, OutboxMessage, SubscriptionConsent, Voucher, WechatDelivery
from platforms.wechat.staff_notice import send_staff_notice
from platforms.wechat.subscribe_notice import send_wechat_notice
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.wechat import WechatEnv, event_xml, make_env
from vouchers.common.clock import utcnow
from vouchers.common.outbox import outbox_row
from vouchers.institutions.staff_binding import bind_staff_by_scene, issue_staff_bind_token

TEMPLATE = "sandbox-voucher-notice"


@pytest.fixture
async def wechat(aiohttp_client, aiohttp_server, config, svc) -> WechatEnv:
    return await make_env(aiohttp_client, aiohttp_server, config, svc)


async def _claimed(wechat: WechatEnv) -> tuple[str, OutboxMessage, ChannelAccount]:
    """A verified WeChat user who claimed a voucher; the claim's own outbox row."""
    await regions()
    admin = await bureau(wechat.svc)
    batch = await published_batch(wechat.client, admin, title="无锡市2026年度职业技能提升电工专项培训券")
    token = await wechat.verified("alice")
    claimed = await wechat.client.post(
        "/api/v1/claims", json={"batch_id": batch["id"], "group": "失业人员"}, headers=auth(token)
    )
    voucher = await Voucher.get(code=(await claimed.json())["code"])
    row = await OutboxMessage.get(voucher_id=voucher.id, kind="voucher_claimed")
    account = await ChannelAccount.get(person_id=voucher.person_id, channel="wechat_miniapp")
    return token, row, account


async def _consent(wechat: WechatEnv, token: str, account: ChannelAccount, times: int = 1) -> None:
    """The user taps 允许: WeChat counts it, and the mini program reports it to us."""
    key = (wechat.config.wechat.app_id, account.subject, TEMPLATE)
    wechat.sandbox.consents[key] = wechat.sandbox.consents.get(key, 0) + times
    for _ in range(times):
        response = await wechat.client.post(
            "/api/v1/wechat/subscriptions", json={"results": {TEMPLATE: "accept"}}, headers=auth(token)
        )
        assert response.status == 200


async def test_a_subscribe_notice_uses_one_consent(wechat: WechatEnv):
    token, row, account = await _claimed(wechat)
    await _consent(wechat, token, account)
    msg_id = await send_wechat_notice(row, wechat.clients.miniapp, TEMPLATE)
    [sent] = wechat.sandbox.sent_to(account.subject)
    assert sent["kind"] == "subscribe" and str(sent["msgid"]) == msg_id
    assert sent["data"]["phrase2"]["value"] == "领取成功"
    assert len(sent["data"]["thing1"]["value"]) <= 20  # long batch title cut to WeChat's limit
    assert (await SubscriptionConsent.get(account_id=account.id)).remaining == 0
    assert await WechatDelivery.filter(outbox_id=row.id, msg_id=msg_id).exists()
    # No consent left: refused here, WeChat is not called.
    calls = len(wechat.sandbox.calls)
    with pytest.raises(errors.NoConsent):
        await send_wechat_notice(row, wechat.clients.miniapp, TEMPLATE)
    assert len(wechat.sandbox.calls) == calls


async def test_43101_marks_the_consent_exhausted(wechat: WechatEnv):
    token, row, account = await _claimed(wechat)
    await _consent(wechat, token, account, times=2)
    wechat.sandbox.consents[(wechat.config.wechat.app_id, account.subject, TEMPLATE)] = 0  # used up elsewhere
    with pytest.raises(errors.NoConsent):
        await send_wechat_notice(row, wechat.clients.miniapp, TEMPLATE)
    consent = await SubscriptionConsent.get(account_id=account.id)
    assert consent.remaining == 0 and consent.refused_at is not None


class FailingSender:
    """WeChat refusing a send before it used the consent (timeout, bad data)."""

    def __init__(self, app_id: str, error: Exception) -> None:
        self.app_id = app_id
        self.error = error
        self.calls = 0

    async def send_subscribe(self, *args, **kwargs) -> str:
        self.calls += 1
        raise self.error


@pytest.mark.parametrize("error", [errors.Retryable("timeout"), errors.BadData("47003 thing1")])
async def test_a_send_that_failed_gives_the_consent_back(wechat: WechatEnv, error):
    token, row, account = await _claimed(wechat)
    await _consent(wechat, token, account)
    failing = FailingSender(wechat.config.wechat.app_id, error)
    with pytest.raises(type(error)):
        await send_wechat_notice(row, failing, TEMPLATE)
    assert failing.calls == 1
    assert (await SubscriptionConsent.get(account_id=account.id)).remaining == 1
    # ...so the retry can still send.
    assert await send_wechat_notice(row, wechat.clients.miniapp, TEMPLATE)


async def test_a_person_without_a_wechat_account_is_a_bad_recipient(wechat: WechatEnv):
    row = outbox_row("voucher_claimed", utcnow(), person_id=None, voucher_id=None)
    with pytest.raises(errors.BadData):
        await send_wechat_notice(row, wechat.clients.miniapp, TEMPLATE)


async def test_staff_notice_goes_to_every_bound_follower_once(wechat: WechatEnv):
    oa = wechat.config.wechat_official.app_id
    followers = [wechat.follower("staff-a"), wechat.follower("staff-b")]
    for follower in followers:
        assert await bind_staff_by_scene(f"staff:{await issue_staff_bind_token(5)}", oa, follower) == 5
    row = outbox_row("staff_notice", utcnow(), payload={"staff_id": 5, "data": {"thing1": "李四 已报名电工培训"}})
    await row.save()
    first = await send_staff_notice(row, wechat.clients.official, "sandbox-staff-notice")
    again = await send_staff_notice(row, wechat.clients.official, "sandbox-staff-notice")  # a retry
    assert first == again
    assert sorted(m["touser"] for m in wechat.sandbox.sent) == sorted(followers)
    # WeChat's delivery report lands on the delivery row of that outbox message.
    msg_id = first.split(",")[0]
    report = event_xml(
        followers[0], "TEMPLATESENDJOBFINISH", extra=f"<MsgID>{msg_id}</MsgID><Status><![CDATA[success]]></Status>"
    )
    response = await wechat.post_plain(report)
    assert await response.text() == "success"
    delivery = await WechatDelivery.get(msg_id=msg_id)
    assert delivery.status == "success" and delivery.outbox_id == row.id and delivery.reported_at is not None
    assert (await OutboxMessage.get(id=row.id)).delivery_report == "success"


async def test_staff_notice_without_binding_or_data(wechat: WechatEnv):
    row = outbox_row("staff_notice", utcnow(), payload={"staff_id": 9, "data": {"thing1": "x"}})
    with pytest.raises(errors.BadRecipient):
        await send_staff_notice(row, wechat.clients.official, "tpl")
    with pytest.raises(errors.BadData):
        await send_staff_notice(outbox_row("staff_notice", utcnow()), wechat.clients.official, "tpl")


async def test_concurrent_consent_reports_are_all_counted(wechat: WechatEnv):
    import asyncio

    from vouchers.notices.consent import record_consents

    _, _, account = await _claimed(wechat)
    await asyncio.gather(*(record_consents(account, {TEMPLATE: "accept"}) for _ in range(5)))
    assert (await SubscriptionConsent.get(account_id=account.id, template_id=TEMPLATE)).remaining == 5


async def test_an_enrolment_notice_reaches_the_trainee(wechat: WechatEnv):
    """The institution enrolled the trainee (`voucher_enrolled`): the trainee is told so and what to do."""
    token, claimed, account = await _claimed(wechat)
    await _consent(wechat, token, account)
    row = outbox_row("voucher_enrolled", utcnow(), person_id=account.person_id, voucher_id=claimed.voucher_id)
    await row.save()
    await send_wechat_notice(row, wechat.clients.miniapp, TEMPLATE)
    [sent] = wechat.sandbox.sent_to(account.subject)
    assert sent["data"]["phrase2"]["value"] == "已报名"
    assert sent["data"]["thing4"]["value"] == "请按时上课，签到时出示培训券二维码"


async def test_an_institution_notice_reaches_bound_staff_in_the_template_format(wechat: WechatEnv):
    """The morning digest reaches a staff member bound to the Official Account: only the
    template's keywords (first/remark are no longer shown), each within its length, and a tap
    opens the institution portal (institutions have no mini program)."""
    from jobs.delivery import Deliverer
    from jobs.institution_routes import institution_routes
    from jobs.wechat_routes import STAFF_NOTICE, staff_notice_route, staff_recipients
    from models import Staff
    from platforms.wechat.notice_links import NoticeLinks
    from tests.support.institutions import setup_institution
    from vouchers.notices.digests import DIGEST

    await regions()
    env = await setup_institution(wechat.client, await bureau(wechat.svc))
    staff = await Staff.filter(institution_id=env["institution"]["id"]).first()
    oa = wechat.config.wechat_official
    follower = wechat.follower("staff-a")
    assert await bind_staff_by_scene(f"staff:{await issue_staff_bind_token(staff.id)}", oa.app_id, follower)
    trainees = [{"voucher_code": "ABC", "holder_name": "王*明", "class_name": "电工班", "last_day": "2026-12-01"}]
    payload = {"institution_id": staff.institution_id, "date": "2026-11-24", "trainees": trainees}
    await outbox_row(DIGEST, utcnow(), payload=payload, dedupe_key="digest-test").save()
    links = NoticeLinks(wechat.config.wechat.app_id, wechat.config.server.public_url)
    routes = institution_routes(wechat.svc.keys, None, staff=[staff_recipients(oa.app_id, links)])
    routes[STAFF_NOTICE] = staff_notice_route(wechat.clients.official, oa.staff_template_id)
    deliverer = Deliverer(wechat.svc.redis, routes, per_second=lambda _c: 0)
    await deliverer.run()
    await deliverer.run()
    [sent] = wechat.sandbox.sent_to(follower)
    fields = {k: v["value"] for k, v in sent["data"].items()}
    assert set(fields) == {"thing1", "thing2", "time3"}
    assert fields["thing1"] == "学员培训券即将到期"
    assert fields["thing2"].startswith("以下 1 名学员的培训券") and len(fields["thing2"]) <= 20
    # A tap opens the portal's notices page: the full text (the message has 20 characters of it).
    assert sent["url"] == f"{wechat.config.server.public_url}/institution/notices"
