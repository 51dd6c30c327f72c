"""Issue 17 item 9: a card pass reaches the card pack even when Alipay no longer knows its
template, the card-pack endpoint says where the pass really is, and a cancelled authorisation
closes the user's passes."""

from __future__ import annotations

from models import AlipayPass, AlipayPassTemplate, OutboxMessage, OutboxStatus, PassState
from platforms.alipay.card_pack import PASS_ADD, sync_card_pack
from tests.support import factories
from tests.support.alipay import AlipayEnv
from vouchers.common.clock import utcnow

auth = factories.auth
CARD_PACK = "/api/v1/alipay/card-pack"


async def test_a_template_alipay_does_not_know_is_created_again_and_the_pass_arrives(alipay: AlipayEnv, svc) -> None:
    _, batch = await alipay.bureau_batch()
    first = await alipay.verified_login("zhangsan")
    await alipay.claim(first, batch["id"])
    await sync_card_pack(utcnow(), svc.qr)
    await alipay.deliver_card_pack()
    alipay.sandbox.templates.clear()  # Alipay no longer knows the batch's template

    second = await alipay.verified_login("other", number=factories.id_number())
    voucher = await alipay.claim(second, batch["id"])
    await sync_card_pack(utcnow(), svc.qr)
    await alipay.deliver_card_pack()
    shown = alipay.sandbox.passes[voucher["code"]]
    assert shown["status"] == "ACTIVE" and shown["user_id"] == alipay.sandbox.open_id("other")
    template = await AlipayPassTemplate.get(batch_id=batch["id"])
    assert template.tpl_id in alipay.sandbox.templates


async def test_the_card_pack_endpoint_says_where_the_pass_really_is(alipay: AlipayEnv, svc) -> None:
    _, batch = await alipay.bureau_batch()
    token = await alipay.verified_login()
    voucher = await alipay.claim(token, batch["id"])
    ask = {"json": {"voucher_code": voucher["code"]}, "headers": auth(token)}

    pending = await (await alipay.http.post(CARD_PACK, **ask)).json()
    assert pending["state"] == "pending" and "正在" in pending["message"]

    # the add failed for good: the trainee is told so, and asking again queues it again
    await OutboxMessage.filter(kind=PASS_ADD).update(status=OutboxStatus.DEAD, last_error="40004 TEMPLATE_NOT_EXIST")
    failed = await (await alipay.http.post(CARD_PACK, **ask)).json()
    assert failed["state"] == "failed" and "失败" in failed["message"]
    again = await (await alipay.http.post(CARD_PACK, **ask)).json()
    assert again["state"] == "pending"

    await alipay.deliver_card_pack()
    active = await (await alipay.http.post(CARD_PACK, **ask)).json()
    assert active == {"serial_number": voucher["code"], "state": "active", "message": "已加入支付宝卡包"}
    assert alipay.sandbox.passes[voucher["code"]]["status"] == "ACTIVE"


async def test_a_cancelled_authorisation_closes_the_users_passes(alipay: AlipayEnv, svc) -> None:
    _, batch = await alipay.bureau_batch()
    token = await alipay.verified_login("zhangsan")
    voucher = await alipay.claim(token, batch["id"])
    await sync_card_pack(utcnow(), svc.qr)
    await alipay.deliver_card_pack()
    assert alipay.sandbox.passes[voucher["code"]]["status"] == "ACTIVE"

    status, text = await alipay.sandbox.post_notification(
        alipay.http.session, alipay.sandbox.auth_cancelled("zhangsan")
    )
    assert (status, text) == (200, "success")
    assert (await AlipayPass.get(serial_number=voucher["code"])).state is PassState.CLOSED
    await alipay.deliver_card_pack()
    assert alipay.sandbox.passes[voucher["code"]]["status"] == "CLOSED"
    assert await sync_card_pack(utcnow(), svc.qr) == 0  # nothing reopens it
