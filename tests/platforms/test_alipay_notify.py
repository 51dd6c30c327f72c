"""POST /alipay/notify: signed notifications from the gateway (here: the sandbox's key)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl, quote, urlencode

from alipay.aop.api.util.SignatureUtils import get_sign_content, sign_with_rsa

from models import AccountChannel, AlipayNotification, ChannelAccount
from tests.support import factories
from tests.support.alipay import AlipayEnv

NOTIFY = "/alipay/notify"


async def _post(alipay: AlipayEnv, body: bytes, charset: str = "utf-8") -> tuple[int, str]:
    answer = await alipay.http.post(
        NOTIFY, data=body, headers={"Content-Type": f"application/x-www-form-urlencoded; charset={charset}"}
    )
    return answer.status, await answer.text()


def _fields(body: bytes, charset: str = "utf-8") -> list[tuple[str, str]]:
    return parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding=charset)


def _encode(fields: list[tuple[str, str]], charset: str = "utf-8") -> bytes:
    return urlencode(fields, encoding=charset).encode("ascii")


async def _claim_status(alipay: AlipayEnv, token: str) -> str:
    answer = await alipay.http.post("/api/v1/claims", json={"batch_id": 1}, headers=factories.auth(token))
    return (await answer.json())["error"]["code"]


async def test_authorisation_cancelled_unbinds_the_account_at_once(alipay: AlipayEnv) -> None:
    token = await alipay.verified_login("zhangsan")
    assert await _claim_status(alipay, token) == "not_found"  # bound (and cached): only the batch is missing
    status, text = await alipay.sandbox.post_notification(
        alipay.http.session, alipay.sandbox.auth_cancelled("zhangsan")
    )
    assert (status, text) == (200, "success")
    account = await ChannelAccount.get(channel=AccountChannel.ALIPAY)
    assert account.person_id is None and account.bound_at is None
    assert await _claim_status(alipay, token) == "identity_required"
    assert await AlipayNotification.filter(kind="alipay.open.auth.userauth.cancelled").count() == 1


async def test_gbk_notification_is_read_as_gbk(alipay: AlipayEnv) -> None:
    await alipay.verified_login("lisi")
    fields = alipay.sandbox.auth_cancelled("lisi") | {"cancel_reason": "用户在支付宝中取消授权"}
    body = alipay.sandbox.notification(fields, charset="gbk")
    assert quote("用户".encode("gbk")) in body.decode()  # really GBK on the wire
    assert await _post(alipay, body, "gbk") == (200, "success")
    assert (await ChannelAccount.get(channel=AccountChannel.ALIPAY)).person_id is None
    # the same bytes claiming to be UTF-8 are not valid UTF-8: refused, not guessed
    relabelled = _encode([(k, v) if k != "charset" else (k, "utf-8") for k, v in _fields(body, "gbk")], "gbk")
    assert (await _post(alipay, relabelled))[0] == 400


async def test_a_repeated_notification_is_answered_success_and_handled_once(alipay: AlipayEnv) -> None:
    await alipay.verified_login("wangwu")
    body = alipay.sandbox.notification(alipay.sandbox.auth_cancelled("wangwu"))
    assert await _post(alipay, body) == (200, "success")
    account = await ChannelAccount.get(channel=AccountChannel.ALIPAY)
    person_id = (await AlipayNotification.all().count(), account.person_id)
    # the trainee verifies again; Alipay's retry of the old notification must not unbind him
    await alipay.verified_login("wangwu")
    rebound = (await ChannelAccount.get(id=account.id)).person_id
    assert rebound is not None and person_id == (1, None)
    assert await _post(alipay, body) == (200, "success")
    assert (await ChannelAccount.get(id=account.id)).person_id == rebound
    assert await AlipayNotification.all().count() == 1


async def test_tampered_or_unsigned_notifications_change_nothing(alipay: AlipayEnv) -> None:
    await alipay.verified_login("victim")
    await alipay.login("attacker")
    body = alipay.sandbox.notification(alipay.sandbox.auth_cancelled("attacker"))
    fields = _fields(body)
    victim = alipay.sandbox.open_id("victim")
    tampered = [
        (k, v.replace(alipay.sandbox.open_id("attacker"), victim).replace(alipay.sandbox.user_id("attacker"), "x"))
        for k, v in fields
    ]
    no_sign = [(k, v) for k, v in fields if k != "sign"]
    garbage_sign = [(k, v if k != "sign" else "not base64!") for k, v in fields]
    other_sign = [
        (k, v if k != "sign" else dict(_fields(alipay.sandbox.notification({"x": "1"})))["sign"]) for k, v in fields
    ]
    for case in (tampered, no_sign, garbage_sign, other_sign):
        status, text = await _post(alipay, _encode(case))
        assert status == 400 and text != "success"
    assert (await ChannelAccount.get(subject=victim)).person_id is not None
    assert await AlipayNotification.all().count() == 0


async def test_rsa2_means_sha256_a_sha1_signature_is_refused(alipay: AlipayEnv) -> None:
    fields = dict(_fields(alipay.sandbox.notification(alipay.sandbox.auth_cancelled("a"))))
    unsigned = {k: v for k, v in fields.items() if k not in ("sign", "sign_type")}
    fields["sign"] = sign_with_rsa(alipay.sandbox.private_key, get_sign_content(unsigned), "utf-8")
    assert (await _post(alipay, _encode(list(fields.items()))))[0] == 400


async def test_empty_values_are_part_of_the_signature(alipay: AlipayEnv) -> None:
    body = alipay.sandbox.notification({"msg_method": "alipay.some.event", "memo": ""})
    assert await _post(alipay, body) == (200, "success")
    without_empty = _encode([(k, v) for k, v in _fields(body) if k != "memo"])
    fresh = alipay.sandbox.notification({"msg_method": "alipay.some.event", "memo": ""})
    fresh_without = _encode([(k, v) for k, v in _fields(fresh) if k != "memo"])
    assert (await _post(alipay, without_empty))[0] == 400
    assert (await _post(alipay, fresh_without))[0] == 400


async def test_malformed_bodies_are_400_and_never_success(alipay: AlipayEnv) -> None:
    good = alipay.sandbox.notification(alipay.sandbox.auth_cancelled("x"))
    signed = alipay.sandbox.notification
    cases = [
        b"",
        b"\xff\xfe not ascii",
        b"%zz=1",
        good + b"&notify_id=again",  # a parameter twice
        _encode([(k, v if k != "charset" else "latin-1") for k, v in _fields(good)]),
        signed({"notify_id": ""}),  # verified, but nothing to deduplicate by
        signed({"app_id": "2021999999999999"}),  # another app's notification
        signed({"msg_method": "alipay.open.auth.userauth.cancelled", "biz_content": "{not json"}),
        signed({"msg_method": "alipay.open.auth.userauth.cancelled", "biz_content": json.dumps({"cancel_time": "x"})}),
        signed({"msg_method": "alipay.open.auth.userauth.cancelled", "biz_content": "[]"}),
    ]
    for body in cases:
        status, text = await _post(alipay, body)
        assert status == 400 and text != "success", body
    assert await AlipayNotification.all().count() == 0
    too_big = await alipay.http.post(NOTIFY, data=b"a=" + b"x" * 70_000)
    assert too_big.status == 413


async def test_an_event_we_do_not_act_on_is_still_acknowledged(alipay: AlipayEnv) -> None:
    body = alipay.sandbox.notification({"msg_method": "alipay.pass.instance.status.changed"})
    assert await _post(alipay, body) == (200, "success")
    assert await AlipayNotification.filter(kind="alipay.pass.instance.status.changed").count() == 1


async def test_the_sandbox_sends_notifications_and_shows_its_record_for_the_demo(alipay: AlipayEnv) -> None:
    await alipay.verified_login("demo")
    answer = await alipay.http.post("/_sandbox/alipay/cancel-authorisation?user=demo")
    assert await answer.json() == {"notify_status": 200, "notify_answer": "success"}
    assert (await ChannelAccount.get(channel=AccountChannel.ALIPAY)).person_id is None
    record = await (await alipay.http.get("/_sandbox/alipay/record")).json()
    assert record == {"passes": {}, "messages": []}


async def test_the_same_notification_arriving_concurrently_is_handled_once(alipay: AlipayEnv) -> None:
    await alipay.verified_login("concurrent")
    body = alipay.sandbox.notification(alipay.sandbox.auth_cancelled("concurrent"))
    answers = await asyncio.gather(*(_post(alipay, body) for _ in range(8)))
    assert answers == [(200, "success")] * 8
    assert await AlipayNotification.all().count() == 1
    assert (await ChannelAccount.get(channel=AccountChannel.ALIPAY)).person_id is None
