"""The Official Account callback, driven from the WeChat side with wechatpy: URL check,
plaintext and safe mode, key rotation, replay protection, retries, and every bad input."""

from __future__ import annotations

import asyncio
import time

import pytest
from wechatpy import parse_message

from bot import callback
from bot.callback import PATH
from models import ChannelAccount, StaffBinding, SubscriptionConsent
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.wechat import OTHER_KEY, WechatEnv, event_xml, make_env, text_xml


@pytest.fixture
async def wechat(aiohttp_client, aiohttp_server, config, svc) -> WechatEnv:
    return await make_env(aiohttp_client, aiohttp_server, config, svc)


async def _reply(response) -> str:
    assert response.status == 200, await response.text()
    text = await response.text()
    return parse_message(text).content


async def _dedupe_keys(wechat: WechatEnv) -> list:
    return [k async for k in wechat.svc.redis.scan_iter("wechat:bot:seen:*")]


# --- URL verification ---------------------------------------------------------------------------


async def test_url_verification_echoes_only_for_a_good_signature(wechat: WechatEnv):
    good = await wechat.client.get(PATH, params=wechat.signed_query(echostr="1234567890"))
    assert good.status == 200 and await good.text() == "1234567890"
    forged = await wechat.client.get(PATH, params=wechat.signed_query(token="wrong-token", echostr="x"))
    assert forged.status == 403
    stale = await wechat.client.get(PATH, params=wechat.signed_query(timestamp=int(time.time()) - 301, echostr="x"))
    assert stale.status == 403
    missing = await wechat.client.get(PATH, params={"echostr": "x"})
    assert missing.status == 403


# --- replies ------------------------------------------------------------------------------------


async def test_plaintext_unverified_follower_is_told_how_to_verify(wechat: WechatEnv):
    follower = wechat.follower("carol")
    response = await wechat.post_plain(text_xml(follower, "我的培训券"))
    reply = parse_message(await response.text())
    assert reply.source == "gh_sandbox" and reply.target == follower
    assert "人脸核身" in reply.content
    # A link the follower can tap: it opens the mini program's verify page, or the H5 page
    # where the WeChat client cannot open a mini program.
    cfg = wechat.config
    link = (
        f'<a data-miniprogram-appid="{cfg.wechat.app_id}" data-miniprogram-path="{cfg.wechat.verify_page}"'
        f' href="{cfg.server.public_url}/h5/wallet">'
    )
    assert link in reply.content


async def test_a_verified_mini_program_user_sees_his_vouchers_on_the_official_account(wechat: WechatEnv):
    await regions()
    admin = await bureau(wechat.svc)
    batch = await published_batch(wechat.client, admin, title="2026年无锡市电工培训券")
    token = await wechat.verified("alice")
    claimed = await wechat.client.post(
        "/api/v1/claims", json={"batch_id": batch["id"], "group": "失业人员"}, headers=auth(token)
    )
    code = (await claimed.json())["code"]
    # Same person (same UnionID), other app: the follower's openid differs from the mini program's.
    for word in ("我的培训券", " 查券 "):
        reply = await _reply(await wechat.post_plain(text_xml(wechat.follower("alice"), word)))
        assert "2026年无锡市电工培训券" in reply and code in reply and "待使用" in reply
    # Somebody else's follower sees none of it.
    other = await _reply(await wechat.post_plain(text_xml(wechat.follower("mallory"), "培训券")))
    assert code not in other and "人脸核身" in other
    # The follower account now carries the UnionID: looked up once.
    follower = await ChannelAccount.get(subject=wechat.follower("alice"))
    assert follower.union_id == wechat.sandbox.unionid("alice")
    assert wechat.sandbox.calls.count("user_info") == 2  # alice once, mallory once


async def test_checkin_help_menu_and_welcome(wechat: WechatEnv):
    follower = wechat.follower("dave")
    assert "扫码签到" in await _reply(await wechat.post_plain(text_xml(follower, "签到")))
    assert "我的培训券" in await _reply(await wechat.post_plain(text_xml(follower, "你好")))
    assert "欢迎关注" in await _reply(await wechat.post_plain(event_xml(follower, "subscribe")))
    image = await wechat.post_plain(
        f"<xml><ToUserName>gh_sandbox</ToUserName><FromUserName>{follower}</FromUserName><CreateTime>{int(time.time())}"
        "</CreateTime><MsgType>image</MsgType><PicUrl>http://x/y.jpg</PicUrl><MsgId>77</MsgId></xml>"
    )
    assert "我的培训券" in await _reply(image)
    unknown_event = await wechat.post_plain(event_xml(follower, "VIEW", key="http://x"))
    assert await unknown_event.text() == "success"


async def test_user_text_cannot_break_out_of_cdata(wechat: WechatEnv):
    evil = "a]]></Content><MsgType>news</MsgType><x>"  # under the 50 characters echoed
    response = await wechat.post_plain(text_xml(wechat.follower("eve"), evil.replace("]]>", "]]]]><![CDATA[>")))
    reply = parse_message(await response.text())
    assert reply.type == "text"
    assert evil in reply.content


async def test_safe_mode_reply_is_encrypted_and_opens_with_wechatpy(wechat: WechatEnv):
    response, query = await wechat.post_encrypted(text_xml(wechat.follower("frank"), "签到"))
    assert response.status == 200
    envelope = await response.text()
    assert "<Encrypt>" in envelope and "签到" not in envelope
    plaintext = wechat.crypto().decrypt_message(envelope, _msg_signature(envelope), _ts(envelope), query["nonce"])
    assert "扫码签到" in parse_message(plaintext).content


async def test_compatible_mode_answers_what_the_signed_ciphertext_says(wechat: WechatEnv):
    follower = wechat.follower("fay")
    # Compatible mode: the fields in clear next to <Encrypt>. Only the ciphertext is signed.
    clear = f"<FromUserName>{follower}</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>"
    clear += "<Content>签到</Content><MsgId>5</MsgId>"
    response, query = await wechat.post_encrypted(text_xml(follower, "你好"), clear=clear)
    envelope = await response.text()
    plaintext = wechat.crypto().decrypt_message(envelope, _msg_signature(envelope), _ts(envelope), query["nonce"])
    assert "暂时无法识别“你好”" in parse_message(plaintext).content


def _field(envelope: str, name: str) -> str:
    import xmltodict

    return xmltodict.parse(envelope)["xml"][name]


def _msg_signature(envelope: str) -> str:
    return _field(envelope, "MsgSignature")


def _ts(envelope: str) -> str:
    return _field(envelope, "TimeStamp")


async def test_key_rotation_previous_key_still_works_and_the_reply_uses_it(aiohttp_client, aiohttp_server, config, svc):
    old_key = config.wechat_official.encoding_aes_key
    wechat = await make_env(
        aiohttp_client, aiohttp_server, config, svc, encoding_aes_key=OTHER_KEY, previous_encoding_aes_key=old_key
    )
    for key in (old_key, OTHER_KEY):
        response, query = await wechat.post_encrypted(text_xml(wechat.follower("gina"), "签到"), key=key)
        envelope = await response.text()
        plaintext = wechat.crypto(key).decrypt_message(
            envelope, _msg_signature(envelope), _ts(envelope), query["nonce"]
        )
        assert "扫码签到" in parse_message(plaintext).content
        other = OTHER_KEY if key == old_key else old_key
        with pytest.raises(Exception):  # noqa: B017 - the other key must not open it
            wechat.crypto(other).decrypt_message(envelope, _msg_signature(envelope), _ts(envelope), query["nonce"])
    # A key we never had: refused, nothing recorded.
    stranger = "c3RyYW5nZXIta2V5LXN0cmFuZ2VyLWtleS0yMjIyMjI"
    response, _ = await wechat.post_encrypted(text_xml(wechat.follower("gina"), "签到"), key=stranger)
    assert response.status == 400


# --- retries ------------------------------------------------------------------------------------


async def test_a_retried_message_gets_the_first_reply_and_runs_once(wechat: WechatEnv):
    xml = text_xml(wechat.follower("hank"), "我的培训券", msg_id=123456789)
    first, second = await asyncio.gather(wechat.post_plain(xml), wechat.post_plain(xml))
    texts = [await first.text(), await second.text()]
    assert parse_message(texts[0]).content == parse_message(texts[1]).content
    assert wechat.sandbox.calls.count("user_info") == 1


async def test_a_retried_event_is_recorded_once(wechat: WechatEnv):
    popup = (
        "<SubscribeMsgPopupEvent><List><TemplateId><![CDATA[tpl-oa]]></TemplateId>"
        "<SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List>"
        "</SubscribeMsgPopupEvent>"
    )
    xml = event_xml(wechat.follower("ivy"), "subscribe_msg_popup_event", extra=popup, create_time=1_800_000_000)
    xml = xml.replace("1800000000", str(int(time.time())))
    for _ in range(3):
        response = await wechat.post_plain(xml)
        assert await response.text() == "success"
    consent = await SubscriptionConsent.get(template_id="tpl-oa")
    assert consent.remaining == 1


# --- bad input ----------------------------------------------------------------------------------


BAD_BODIES = [
    pytest.param(b"<xml><ToUserName>gh</ToUserName", id="truncated"),
    pytest.param(b"not xml at all", id="not-xml"),
    pytest.param(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
        b"<MsgType>text</MsgType><Content>&b;</Content></xml>",
        id="entities",
    ),
    pytest.param(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>', id="xxe"),
    pytest.param(b"<xml><MsgType>text</MsgType><Content>hi</Content></xml>", id="missing-fields"),
    pytest.param(
        b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>soon</CreateTime>"
        b"<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>",
        id="bad-create-time",
    ),
    pytest.param(
        b"<xml><ToUserName>gh</ToUserName><FromUserName><a>nested</a></FromUserName><CreateTime>1</CreateTime>"
        b"<MsgType>text</MsgType><Content>hi</Content></xml>",
        id="nested-field",
    ),
    pytest.param(b"<other><a>1</a></other>", id="wrong-root"),
    pytest.param(b"", id="empty"),
    pytest.param(b"<xml>" + b"<Content>" + b"x" * 70_000 + b"</Content></xml>", id="over-64-KiB"),
]


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_bad_bodies_are_400_and_change_nothing(wechat: WechatEnv, body: bytes):
    response = await wechat.client.post(PATH, params=wechat.signed_query(), data=body)
    assert response.status == 400
    assert await _dedupe_keys(wechat) == []
    assert await ChannelAccount.all().count() == 0


async def test_forged_or_stale_callbacks_are_403_and_change_nothing(wechat: WechatEnv):
    xml = text_xml(wechat.follower("jack"), "我的培训券").encode()
    forged = await wechat.client.post(PATH, params=wechat.signed_query(token="not-our-token"), data=xml)
    stale = await wechat.client.post(PATH, params=wechat.signed_query(timestamp=int(time.time()) - 3600), data=xml)
    future = await wechat.client.post(PATH, params=wechat.signed_query(timestamp=int(time.time()) + 3600), data=xml)
    assert [forged.status, stale.status, future.status] == [403, 403, 403]
    # Safe mode with a good URL signature but a forged msg_signature.
    response, _ = await wechat.post_encrypted(text_xml(wechat.follower("jack"), "签到"))
    assert response.status == 200
    query = wechat.signed_query(encrypt_type="aes", msg_signature="0" * 40)
    envelope = "<xml><ToUserName>gh</ToUserName><Encrypt>QUJD</Encrypt></xml>"
    assert (await wechat.client.post(PATH, params=query, data=envelope.encode())).status == 403
    assert wechat.sandbox.calls.count("user_info") == 0
    assert len(await _dedupe_keys(wechat)) == 1  # only the one good message


# --- staff binding, delivery reports --------------------------------------------------------------


async def test_scanning_a_staff_qr_binds_the_follower_once(wechat: WechatEnv):
    from vouchers.institutions.staff_binding import issue_staff_bind_token

    token = await issue_staff_bind_token(staff_id=42)
    follower = wechat.follower("kate")
    reply = await _reply(await wechat.post_plain(event_xml(follower, "subscribe", key=f"qrscene_staff:{token}")))
    assert "绑定成功" in reply
    binding = await StaffBinding.get(openid=follower)
    assert binding.staff_id == 42 and binding.app_id == wechat.config.wechat_official.app_id
    # The token is single-use: another follower scanning the same QR is not bound.
    thief = wechat.follower("leo")
    reply = await _reply(await wechat.post_plain(event_xml(thief, "SCAN", key=f"staff:{token}")))
    assert "无效" in reply
    assert not await StaffBinding.filter(openid=thief).exists()
    # A scan by an existing follower (SCAN event) with a fresh token rebinds him.
    fresh = await issue_staff_bind_token(staff_id=43)
    assert "绑定成功" in await _reply(await wechat.post_plain(event_xml(follower, "SCAN", key=f"staff:{fresh}")))
    assert (await StaffBinding.get(openid=follower)).staff_id == 43
    # An ordinary subscribe through a QR code without a staff scene is just a welcome.
    welcome = await _reply(await wechat.post_plain(event_xml(wechat.follower("mia"), "subscribe", key="qrscene_123")))
    assert "欢迎关注" in welcome


async def test_an_expired_staff_token_binds_nobody(wechat: WechatEnv):
    from vouchers.institutions.staff_binding import issue_staff_bind_token

    token = await issue_staff_bind_token(staff_id=7, ttl_s=-1)
    follower = wechat.follower("ned")
    assert "无效" in await _reply(await wechat.post_plain(event_xml(follower, "SCAN", key=f"staff:{token}")))
    assert not await StaffBinding.exists()


# --- the one-second promise ----------------------------------------------------------------------


async def test_slow_work_answers_within_the_budget_then_through_customer_service(wechat: WechatEnv, monkeypatch):
    # The promise: a passive reply within a second, with room left to encrypt and send it.
    assert callback.REPLY_BUDGET_S <= 0.8
    # A budget of the test's own, far below WeChat's slowness: what is measured is that the answer
    # does not wait for the slow work, not how fast a loaded machine runs.
    monkeypatch.setattr(callback, "REPLY_BUDGET_S", 0.1)
    wechat.sandbox.delays["user_info"] = 3  # WeChat is slow today
    follower = wechat.follower("olga")
    xml = text_xml(follower, "我的培训券")
    started = time.monotonic()
    response = await wechat.post_plain(xml)
    assert time.monotonic() - started < 3
    assert response.status == 200 and await response.text() == "success"
    assert not wechat.sandbox.sent_to(follower)  # the work goes on
    # WeChat's retry while the work goes on: answered at once, the work is not started again.
    retry = await wechat.post_plain(xml)
    assert await retry.text() == "success"
    for _ in range(600):  # a budget for a loaded machine: up to 30 s after the 3 s of slowness
        if wechat.sandbox.sent_to(follower):
            break
        await asyncio.sleep(0.05)
    [message] = wechat.sandbox.sent_to(follower)
    assert message["kind"] == "custom" and "人脸核身" in message["text"]["content"]
    await asyncio.sleep(0.3)
    assert len(wechat.sandbox.sent_to(follower)) == 1
    assert wechat.sandbox.calls.count("user_info") == 1
