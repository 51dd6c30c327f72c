"""Card pack: passes follow vouchers through outbox rows, delivered to the sandbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from channels import errors
from jobs.alipay_pass_delivery import senders
from models import AlipayPass, AlipayPassTemplate, OutboxMessage, OutboxStatus, PassState, Voucher
from models.partitions import month_start
from peixunquan.appkeys import CONFIG
from peixunquan.worker_setup import build_jobs
from platforms.alipay.card_pack import PASS_ADD, PASS_RESIGN, PASS_TEMPLATE, PASS_UPDATE, sync_card_pack
from tests.support import factories
from tests.support.alipay import AlipayEnv
from tests.support.institutions import post_scan, scan_body, setup_institution
from vouchers.common.clock import LOCAL_TZ, utcnow
from vouchers.notices.outbox_retention import purge_delivered
from vouchers.qr.keys import QrKeyRing

auth = factories.auth
CARD_PACK = "/api/v1/alipay/card-pack"
KINDS = (PASS_TEMPLATE, PASS_ADD, PASS_UPDATE, PASS_RESIGN)


async def test_a_claim_puts_the_voucher_in_the_card_pack_and_revoking_closes_it(alipay: AlipayEnv, svc) -> None:
    bureau, batch = await alipay.bureau_batch(title="2026年无锡市职业培训券", face_value_fen=50_000, valid_days=30)
    token = await alipay.verified_login("zhangsan")
    voucher = await alipay.claim(token, batch["id"])
    assert alipay.sandbox.calls[-1]["method"] != "alipay.pass.instance.add"  # the claim itself calls nobody

    assert await sync_card_pack(utcnow(), svc.qr) == 1
    assert await alipay.deliver_card_pack() == [PASS_TEMPLATE, PASS_ADD]
    shown = alipay.sandbox.passes[voucher["code"]]
    assert shown["status"] == "ACTIVE"
    assert shown["recognition_info"] == {"open_id": alipay.sandbox.open_id("zhangsan")}
    info = shown["shown"]
    stored = await Voucher.get(code=voucher["code"])
    last_day = (stored.valid_until - timedelta(seconds=1)).astimezone(LOCAL_TZ).date()
    assert info["title"] == "2026年无锡市职业培训券"
    assert info["einfo"]["headFields"][0]["value"] == "500.00元"
    assert info["endDate"] == f"{last_day:%Y-%m-%d} 23:59:59"  # Beijing time, whatever the machine's zone
    assert info["startDate"] == stored.claimed_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
    # The QR the scanner reads: the signed card-pass code; the voucher code is shown under it.
    card = await AlipayPass.get(serial_number=voucher["code"])
    assert info["operation"][0]["message"].startswith(f"PXQ1.P.{voucher['code']}.{card.id}.")
    assert info["operation"][0]["altText"] == voucher["code"]

    assert await sync_card_pack(utcnow(), svc.qr) == 0  # in step: nothing more to send
    revoked = await alipay.http.post(
        f"/api/v1/admin/vouchers/{voucher['code']}/revoke", json={"reason": "测试作废"}, headers=auth(bureau)
    )
    assert revoked.status == 200
    assert await sync_card_pack(utcnow(), svc.qr) == 1
    assert await alipay.deliver_card_pack() == [PASS_UPDATE]
    assert alipay.sandbox.passes[voucher["code"]]["status"] == "CLOSED"
    assert (await AlipayPass.get(serial_number=voucher["code"])).state is PassState.CLOSED


async def test_an_expired_voucher_closes_its_pass_without_any_sweep(alipay: AlipayEnv, svc) -> None:
    _, batch = await alipay.bureau_batch(valid_days=1)
    voucher = await alipay.claim(await alipay.verified_login(), batch["id"])
    await sync_card_pack(utcnow(), svc.qr)
    await alipay.deliver_card_pack()
    later = (await Voucher.get(code=voucher["code"])).valid_until + timedelta(seconds=1)
    assert await sync_card_pack(later, svc.qr) == 1
    message = await OutboxMessage.get(kind=PASS_UPDATE)
    assert message.payload == {"status": "CLOSED"}


async def test_only_alipay_bound_people_get_passes(alipay: AlipayEnv, svc) -> None:
    _, batch = await alipay.bureau_batch()
    _, h5_token = await factories.trainee(svc)
    await alipay.claim(h5_token, batch["id"])
    assert await sync_card_pack(utcnow(), svc.qr) == 0
    assert not await OutboxMessage.filter(kind__in=KINDS).exists()


async def test_a_voucher_claimed_elsewhere_reaches_the_alipay_card_pack_of_the_same_person(
    alipay: AlipayEnv, svc
) -> None:
    from tests.support.alipay import ID_NUMBER

    _, batch = await alipay.bureau_batch()
    _, h5_token = await factories.trainee(svc, number=ID_NUMBER)
    voucher = await alipay.claim(h5_token, batch["id"])
    await alipay.verified_login("zhangsan")  # the same person, now also in Alipay
    assert await sync_card_pack(utcnow(), svc.qr) == 1
    await alipay.deliver_card_pack()
    assert voucher["code"] in alipay.sandbox.passes


async def test_concurrent_syncs_write_each_row_once(alipay: AlipayEnv, svc) -> None:
    _, batch = await alipay.bureau_batch()
    for name in ("a", "b", "c"):
        from tests.support.factories import id_number

        await alipay.claim(await alipay.verified_login(name, number=id_number()), batch["id"])
    results = await asyncio.gather(*(sync_card_pack(utcnow(), svc.qr) for _ in range(5)))
    assert sum(results) == 3
    assert await AlipayPass.all().count() == 3 and await AlipayPassTemplate.all().count() == 1
    assert await OutboxMessage.filter(kind=PASS_ADD).count() == 3
    assert await OutboxMessage.filter(kind=PASS_TEMPLATE).count() == 1


async def test_out_of_order_or_failed_deliveries_are_retryable_and_change_nothing(alipay: AlipayEnv, svc) -> None:
    _, batch = await alipay.bureau_batch()
    voucher = await alipay.claim(await alipay.verified_login(), batch["id"])
    await sync_card_pack(utcnow(), svc.qr)
    add = await OutboxMessage.get(kind=PASS_ADD)
    send = senders(svc.qr)
    with pytest.raises(errors.Retryable):
        await send[PASS_ADD](add, alipay.client)  # its template is not created yet
    template = await OutboxMessage.get(kind=PASS_TEMPLATE)
    alipay.sandbox.fail("alipay.pass.template.add", "isp.unknow-error", code="20000")
    with pytest.raises(errors.Retryable):
        await send[PASS_TEMPLATE](template, alipay.client)
    assert (await AlipayPassTemplate.get()).tpl_id is None
    tpl_id = await send[PASS_TEMPLATE](template, alipay.client)
    assert await send[PASS_TEMPLATE](template, alipay.client) == tpl_id  # a retried row is harmless
    alipay.sandbox.fail("alipay.pass.instance.add", "isp.unknow-error", code="20000")
    with pytest.raises(errors.Retryable):
        await send[PASS_ADD](add, alipay.client)
    assert (await AlipayPass.get()).added_at is None and not alipay.sandbox.passes
    assert await send[PASS_ADD](add, alipay.client) == voucher["code"]
    assert (await AlipayPass.get()).added_at is not None


async def test_the_trainee_can_ask_for_a_voucher_in_the_card_pack(alipay: AlipayEnv, svc) -> None:
    bureau, batch = await alipay.bureau_batch()
    token = await alipay.verified_login()
    voucher = await alipay.claim(token, batch["id"])
    answer = await alipay.http.post(
        "/api/v1/alipay/card-pack", json={"voucher_code": voucher["code"]}, headers=auth(token)
    )
    assert answer.status == 202
    assert (await answer.json())["state"] == "pending"  # queued: Alipay has not taken it yet
    again = await alipay.http.post(
        "/api/v1/alipay/card-pack", json={"voucher_code": voucher["code"]}, headers=auth(token)
    )
    assert again.status == 202 and await OutboxMessage.filter(kind=PASS_ADD).count() == 1
    assert await sync_card_pack(utcnow(), svc.qr) == 0  # the request already wrote the rows

    other = await alipay.verified_login("other", number=factories.id_number())
    for headers, code, status in (
        (auth(other), voucher["code"], 404),  # not his voucher
        (auth(token), "A" * 16, 404),
    ):
        answer = await alipay.http.post(CARD_PACK, json={"voucher_code": code}, headers=headers)
        assert answer.status == status
    _, h5 = await factories.trainee(svc)
    answer = await alipay.http.post(
        "/api/v1/alipay/card-pack", json={"voucher_code": voucher["code"]}, headers=auth(h5)
    )
    assert (await answer.json())["error"]["code"] == "alipay_account_required"
    bad = await alipay.http.post(CARD_PACK, json={"voucher_code": "abc"}, headers=auth(token))
    assert bad.status == 422

    second = await factories.published_batch(alipay.http, bureau, title="第二批")
    revoked = await alipay.claim(token, second["id"])
    await alipay.http.post(
        f"/api/v1/admin/vouchers/{revoked['code']}/revoke", json={"reason": "作废"}, headers=auth(bureau)
    )
    answer = await alipay.http.post(
        "/api/v1/alipay/card-pack", json={"voucher_code": revoked["code"]}, headers=auth(token)
    )
    assert answer.status == 409


def _shown_key(alipay: AlipayEnv, code: str) -> str:
    """The key id in the card-pass code the pass shows in the sandbox's card pack."""
    return alipay.sandbox.passes[code]["shown"]["operation"][0]["message"].split(".")[4]


async def test_key_rotation_signs_live_passes_again_in_bounded_batches_once_per_key(alipay: AlipayEnv, svc) -> None:
    keys = {kid: Ed25519PrivateKey.generate() for kid in ("KA", "KB", "KC")}
    svc.qr = QrKeyRing({"KA": keys["KA"]})
    bureau, batch = await alipay.bureau_batch()
    codes = []
    for name in ("a", "b", "c"):
        token = await alipay.verified_login(name, number=factories.id_number())
        codes.append((await alipay.claim(token, batch["id"]))["code"])
    await sync_card_pack(utcnow(), svc.qr)
    await alipay.deliver_card_pack()
    assert [_shown_key(alipay, code) for code in codes] == ["KA"] * 3
    # The third voucher is used up: its pass is not signed again, nobody scans it any more.
    await alipay.http.post(f"/api/v1/admin/vouchers/{codes[2]}/revoke", json={"reason": "作废"}, headers=auth(bureau))
    # A fourth claimed, its pass row written but not sent yet: the add will sign it.
    late = await alipay.claim(await alipay.verified_login("d", number=factories.id_number()), batch["id"])
    assert await sync_card_pack(utcnow(), svc.qr) == 2  # the late pass's add, the third one's closing

    svc.qr = QrKeyRing({"KA": keys["KA"], "KB": keys["KB"]})
    assert await sync_card_pack(utcnow(), svc.qr, limit=1) == 1  # bounded
    assert await sync_card_pack(utcnow(), svc.qr, limit=1) == 1  # the next one, not the same again
    assert await sync_card_pack(utcnow(), svc.qr) == 0  # the late pass's add signs it
    resigns = await OutboxMessage.filter(kind=PASS_RESIGN).order_by("id")
    first, second = [await AlipayPass.get(serial_number=code) for code in codes[:2]]
    assert [m.dedupe_key for m in resigns] == [f"{PASS_RESIGN}:{first.id}:KB", f"{PASS_RESIGN}:{second.id}:KB"]
    assert await alipay.deliver_card_pack() == [PASS_ADD, PASS_UPDATE, PASS_RESIGN, PASS_RESIGN]
    assert [_shown_key(alipay, code) for code in (*codes, late["code"])] == ["KB", "KB", "KA", "KB"]
    assert alipay.sandbox.passes[codes[2]]["status"] == "CLOSED"
    assert alipay.sandbox.passes[codes[0]]["shown"]["title"] == batch["title"]  # the rest shown as before
    assert await sync_card_pack(utcnow(), svc.qr) == 0

    # A second rotation is a new row per pass; one given up on for that key holds back no other.
    svc.qr = QrKeyRing(keys)
    await OutboxMessage.create(
        kind=PASS_RESIGN,
        voucher_id=first.voucher_id,
        dedupe_key=f"{PASS_RESIGN}:{first.id}:KC",
        status=OutboxStatus.DEAD,
        next_attempt_at=utcnow(),
    )
    assert await sync_card_pack(utcnow(), svc.qr, limit=1) == 1
    assert await sync_card_pack(utcnow(), svc.qr, limit=1) == 1
    assert await sync_card_pack(utcnow(), svc.qr) == 0
    assert await alipay.deliver_card_pack() == [PASS_RESIGN, PASS_RESIGN]
    assert [_shown_key(alipay, code) for code in (codes[1], late["code"])] == ["KC", "KC"]
    assert _shown_key(alipay, codes[0]) == "KB"


async def test_a_pass_added_before_keys_were_recorded_is_signed_again(alipay: AlipayEnv, svc) -> None:
    _, batch = await alipay.bureau_batch()
    voucher = await alipay.claim(await alipay.verified_login(), batch["id"])
    await sync_card_pack(utcnow(), svc.qr)
    await alipay.deliver_card_pack()
    assert (await AlipayPass.get()).key_id == svc.qr.signing_key_id
    await AlipayPass.all().update(key_id=None)  # as the migration leaves existing passes
    assert await sync_card_pack(utcnow(), svc.qr) == 1
    assert await alipay.deliver_card_pack() == [PASS_RESIGN]
    assert (await AlipayPass.get()).key_id == svc.qr.signing_key_id
    assert _shown_key(alipay, voucher["code"]) == svc.qr.signing_key_id
    assert await sync_card_pack(utcnow(), svc.qr) == 0


async def _deliver_as_the_worker(alipay: AlipayEnv, svc) -> None:
    """The worker's delivery job, wired as in production (`build_jobs`), run until it settles."""
    async with aiohttp.ClientSession() as http:
        [job] = [j for j in build_jobs(alipay.http.app[CONFIG], svc, http) if j.name == "deliver"]
        for _ in range(3):
            await job.run(svc)


async def _shown(alipay: AlipayEnv, code: str) -> dict:
    """The pass as Alipay has it: the sandbox's record of the trainee's card pack."""
    r = await alipay.http.get("/_sandbox/alipay/record")
    assert r.status == 200
    return (await r.json())["passes"][code]


async def test_a_used_voucher_shows_as_used_in_the_card_pack(alipay: AlipayEnv, svc) -> None:
    """The institution enrols the trainee with the pass's own code: the card pack then shows the
    pass as used (USED), not as a voucher still to spend, and it stays so."""
    bureau, batch = await alipay.bureau_batch(title="2026年无锡市职业培训券")
    env = await setup_institution(alipay.http, bureau)
    voucher = await alipay.claim(await alipay.verified_login("zhangsan"), batch["id"])
    code = voucher["code"]
    assert await sync_card_pack(utcnow(), svc.qr) == 1
    await _deliver_as_the_worker(alipay, svc)
    shown = await _shown(alipay, code)
    assert shown["status"] == "ACTIVE"

    pass_code = shown["shown"]["operation"][0]["message"]
    enrolled = await post_scan(alipay.http, env["scanner"], scan_body(pass_code, "enrol", env["class"]["id"]))
    assert (enrolled["result"], enrolled["voucher"]["status"]) == ("ok", "enrolled"), enrolled
    assert await sync_card_pack(utcnow(), svc.qr) == 1
    await _deliver_as_the_worker(alipay, svc)
    assert (await _shown(alipay, code))["status"] == "USED"
    assert (await AlipayPass.get(serial_number=code)).state is PassState.USED
    update = await OutboxMessage.get(kind=PASS_UPDATE)
    assert (update.payload, update.status) == ({"status": "USED"}, OutboxStatus.SENT)
    assert await sync_card_pack(utcnow(), svc.qr) == 0  # in step: asked once


async def test_a_failed_add_gone_with_the_outbox_retention_is_still_failed_and_asked_again(
    alipay: AlipayEnv, svc
) -> None:
    """The add row of a pass that never reached the card pack died, and months later the outbox
    retention took it: the trainee is told it failed, and asking again queues the add afresh."""
    _, batch = await alipay.bureau_batch()
    token = await alipay.verified_login()
    voucher = await alipay.claim(token, batch["id"])
    asked = await alipay.http.post(CARD_PACK, json={"voucher_code": voucher["code"]}, headers=auth(token))
    assert (await asked.json())["state"] == "pending"
    add = await OutboxMessage.get(kind=PASS_ADD)
    first = month_start(utcnow(), 1)  # the first month partition on PostgreSQL (migration 0027)
    await OutboxMessage.filter(id=add.id).update(status=OutboxStatus.DEAD, created_at=first + timedelta(days=3))
    purged = await purge_delivered(month_start(first, 5), keep_days=90)  # five months on
    assert purged.rows >= 1 and not await OutboxMessage.filter(kind=PASS_ADD).exists()

    answer = await alipay.http.post(CARD_PACK, json={"voucher_code": voucher["code"]}, headers=auth(token))
    body = await answer.json()
    assert (body["state"], body["message"]) == ("failed", "加入支付宝卡包失败，已重新提交，请稍后在卡包中查看")
    again = await OutboxMessage.get(kind=PASS_ADD)
    assert again.status == OutboxStatus.PENDING
