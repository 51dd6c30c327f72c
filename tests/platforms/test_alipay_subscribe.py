"""Alipay subscribe messages: consent accounting and typed errors, as for WeChat."""

from __future__ import annotations

import pytest

from channels import errors
from models import OutboxMessage, SubscriptionConsent
from platforms.alipay.subscribe_notice import send_alipay_notice
from tests.support import factories
from tests.support.alipay import AlipayEnv

TEMPLATE = "sandbox-voucher-notice"
SUBSCRIPTIONS = "/api/v1/alipay/subscriptions"


async def _claimed(alipay: AlipayEnv, svc, user: str = "zhangsan") -> tuple[str, OutboxMessage]:
    await factories.regions()
    bureau = await factories.bureau(svc)
    batch = await factories.published_batch(alipay.http, bureau, title="2026年无锡市职业培训券")
    token = await alipay.verified_login(user)
    answer = await alipay.http.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=factories.auth(token))
    assert answer.status == 201
    return token, await OutboxMessage.get(kind="voucher_claimed")


async def _consent(alipay: AlipayEnv, token: str, result: str = "accept", long_term: bool = False) -> dict:
    answer = await alipay.http.post(
        SUBSCRIPTIONS, json={"results": {TEMPLATE: result}, "long_term": long_term}, headers=factories.auth(token)
    )
    assert answer.status == 200, await answer.text()
    return (await answer.json())["remaining"]


async def test_each_one_time_consent_allows_one_message(alipay: AlipayEnv, svc) -> None:
    token, message = await _claimed(alipay, svc)
    assert await _consent(alipay, token) == {TEMPLATE: 1}
    assert await _consent(alipay, token) == {TEMPLATE: 2}
    await send_alipay_notice(message, alipay.client, TEMPLATE)
    sent = alipay.sandbox.messages[-1]
    assert sent["to"] == alipay.sandbox.open_id("zhangsan") and sent["template_id"] == TEMPLATE
    assert sent["data"]["keyword1"] == {"value": "2026年无锡市职业培训券"}
    assert sent["data"]["keyword2"] == {"value": "领取成功"}
    await send_alipay_notice(message, alipay.client, TEMPLATE)
    with pytest.raises(errors.NoConsent):
        await send_alipay_notice(message, alipay.client, TEMPLATE)
    assert len(alipay.sandbox.messages) == 2  # the third was never sent to Alipay


async def test_a_long_term_consent_is_not_used_up(alipay: AlipayEnv, svc) -> None:
    token, message = await _claimed(alipay, svc)
    await _consent(alipay, token, long_term=True)
    for _ in range(3):
        await send_alipay_notice(message, alipay.client, TEMPLATE)
    assert len(alipay.sandbox.messages) == 3


async def test_alipay_saying_no_subscription_zeroes_the_count(alipay: AlipayEnv, svc) -> None:
    token, message = await _claimed(alipay, svc)
    await _consent(alipay, token)
    await _consent(alipay, token)
    alipay.sandbox.unsubscribed.add(alipay.sandbox.open_id("zhangsan"))
    with pytest.raises(errors.NoConsent):
        await send_alipay_notice(message, alipay.client, TEMPLATE)
    row = await SubscriptionConsent.get()
    assert row.remaining == 0 and row.refused_at is not None


async def test_a_failed_send_gives_the_consent_back(alipay: AlipayEnv, svc) -> None:
    token, message = await _claimed(alipay, svc)
    await _consent(alipay, token)
    alipay.sandbox.fail("alipay.open.app.mini.templatemessage.send", "isp.unknow-error", code="20000")
    with pytest.raises(errors.Retryable):
        await send_alipay_notice(message, alipay.client, TEMPLATE)
    assert (await SubscriptionConsent.get()).remaining == 1
    await send_alipay_notice(message, alipay.client, TEMPLATE)
    assert (await SubscriptionConsent.get()).remaining == 0


async def test_a_refusal_and_bad_recipients(alipay: AlipayEnv, svc) -> None:
    token, message = await _claimed(alipay, svc)
    await _consent(alipay, token)
    assert await _consent(alipay, token, "reject") == {TEMPLATE: 0}
    with pytest.raises(errors.NoConsent):
        await send_alipay_notice(message, alipay.client, TEMPLATE)
    await OutboxMessage.filter(id=message.id).update(kind="voucher_something")
    with pytest.raises(errors.BadData):
        await send_alipay_notice(await OutboxMessage.get(id=message.id), alipay.client, TEMPLATE)


async def test_a_person_without_an_alipay_account_is_a_bad_recipient(alipay: AlipayEnv, svc) -> None:
    await factories.regions()
    bureau = await factories.bureau(svc)
    batch = await factories.published_batch(alipay.http, bureau)
    _, h5 = await factories.trainee(svc)
    await alipay.http.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=factories.auth(h5))
    with pytest.raises(errors.BadRecipient):
        await send_alipay_notice(await OutboxMessage.get(kind="voucher_claimed"), alipay.client, TEMPLATE)


async def test_consent_bodies_are_checked(alipay: AlipayEnv, svc) -> None:
    token = await alipay.login()
    for body in (
        {"results": {}},
        {"results": {TEMPLATE: "maybe"}},
        {"results": {"bad id!": "accept"}},
        {"results": {TEMPLATE: "accept"}, "long_term": "yes"},
    ):
        answer = await alipay.http.post(SUBSCRIPTIONS, json=body, headers=factories.auth(token))
        assert answer.status == 422, body
    _, h5 = await factories.unverified(svc)
    answer = await alipay.http.post(SUBSCRIPTIONS, json={"results": {TEMPLATE: "accept"}}, headers=factories.auth(h5))
    assert (await answer.json())["error"]["code"] == "alipay_account_required"
