"""Mini-program API with the WeChat sandbox: login, face verification, consent, and the core's
trainee routes with a WeChat session."""

from __future__ import annotations

import pytest

from models import AccountChannel, ChannelAccount, IdentityVerification, SubscriptionConsent, VerificationStatus
from tests.support.factories import auth, bureau, published_batch, regions, trainee
from tests.support.wechat import PASSING_ID, PASSING_NAME, WechatEnv, make_env

API = "/api/v1"


@pytest.fixture
async def wechat(aiohttp_client, aiohttp_server, config, svc) -> WechatEnv:
    return await make_env(aiohttp_client, aiohttp_server, config, svc)


async def _error(response) -> str:
    return (await response.json())["error"]["code"]


async def test_login_opens_a_wechat_session_once_per_code(wechat: WechatEnv):
    response = await wechat.client.post(f"{API}/wechat/login", json={"code": "sandboxalice"})
    assert response.status == 200
    body = await response.json()
    assert body["verified"] is False and body["expires_in"] > 0
    account = await ChannelAccount.get(channel=AccountChannel.WECHAT_MINIAPP)
    assert account.subject == wechat.sandbox.openid(wechat.config.wechat.app_id, "alice")
    assert account.union_id == wechat.sandbox.unionid("alice")
    # Not verified yet: the wallet asks for face verification.
    wallet = await wechat.client.get(f"{API}/vouchers", headers=auth(body["token"]))
    assert wallet.status == 403 and await _error(wallet) == "identity_required"
    # A code works once; a made-up one never.
    again = await wechat.client.post(f"{API}/wechat/login", json={"code": "sandboxalice"})
    assert again.status == 401 and await _error(again) == "wechat_code_invalid"
    bad = await wechat.client.post(f"{API}/wechat/login", json={"code": "0a1B2c3D4e5F6g7H"})
    assert bad.status == 401 and await _error(bad) == "wechat_code_invalid"
    # Not even shaped like a code: refused without asking WeChat.
    calls = len(wechat.sandbox.calls)
    malformed = await wechat.client.post(f"{API}/wechat/login", json={"code": "sandbox:al ice"})
    assert malformed.status == 422 and len(wechat.sandbox.calls) == calls
    blocked = await wechat.client.post(f"{API}/wechat/login", json={"code": "sandboxblocked"})
    assert blocked.status == 403 and await _error(blocked) == "wechat_user_blocked"


async def test_wechat_unreachable_is_503_not_500(wechat: WechatEnv, aiohttp_client, config, svc):
    from dataclasses import replace

    from peixunquan.app import create_app

    dead = replace(config, wechat=replace(config.wechat, api_base="http://127.0.0.1:9", timeout_s=1))
    client = await aiohttp_client(create_app(dead, services=svc, manage_db=False))
    response = await client.post(f"{API}/wechat/login", json={"code": "sandboxalice"})
    assert response.status == 503 and await _error(response) == "wechat_unavailable"


async def test_face_verification_binds_only_on_the_servers_own_query(wechat: WechatEnv):
    token = await wechat.login("alice")
    started = await wechat.client.post(
        f"{API}/wechat/face-verifications", json={"name": PASSING_NAME, "id_number": PASSING_ID}, headers=auth(token)
    )
    assert started.status == 201
    body = await started.json()
    assert body["verify_id"] and body["out_seq_no"]
    # The client claims success before the face scan: WeChat says not done, nothing is bound.
    early = await wechat.client.post(
        f"{API}/wechat/face-verifications/confirm", json={"out_seq_no": body["out_seq_no"]}, headers=auth(token)
    )
    assert early.status == 409 and await _error(early) == "verification_pending"
    assert (await ChannelAccount.get(channel=AccountChannel.WECHAT_MINIAPP)).person_id is None
    await wechat.face_scan(body["verify_id"])
    confirmed = await wechat.client.post(
        f"{API}/wechat/face-verifications/confirm", json={"out_seq_no": body["out_seq_no"]}, headers=auth(token)
    )
    assert confirmed.status == 200
    assert await confirmed.json() == {"verified": True, "id_number_masked": "3202**********0012"}
    assert (await ChannelAccount.get(channel=AccountChannel.WECHAT_MINIAPP)).person_id is not None
    # The sandbox was asked with the cert_hash of what we sealed.
    assert "queryverifyinfo" in wechat.sandbox.calls
    # Confirming the same verification again does not bind twice.
    again = await wechat.client.post(
        f"{API}/wechat/face-verifications/confirm", json={"out_seq_no": body["out_seq_no"]}, headers=auth(token)
    )
    assert again.status == 409 and await _error(again) == "verification_finished"


async def test_a_face_that_does_not_match_binds_nobody(wechat: WechatEnv):
    token = await wechat.login("bob")
    started = await wechat.client.post(
        f"{API}/wechat/face-verifications",
        json={"name": "赵失败", "id_number": "450102199201010030"},
        headers=auth(token),
    )
    body = await started.json()
    await wechat.face_scan(body["verify_id"])
    confirmed = await wechat.client.post(
        f"{API}/wechat/face-verifications/confirm", json={"out_seq_no": body["out_seq_no"]}, headers=auth(token)
    )
    assert confirmed.status == 403 and await _error(confirmed) == "verification_failed"
    assert (await ChannelAccount.get(channel=AccountChannel.WECHAT_MINIAPP)).person_id is None
    assert (await IdentityVerification.get()).status == VerificationStatus.FAILED


async def test_another_accounts_verification_cannot_be_confirmed(wechat: WechatEnv):
    alice = await wechat.login("alice")
    mallory = await wechat.login("mallory")
    started = await wechat.client.post(
        f"{API}/wechat/face-verifications", json={"name": PASSING_NAME, "id_number": PASSING_ID}, headers=auth(alice)
    )
    body = await started.json()
    await wechat.face_scan(body["verify_id"])
    stolen = await wechat.client.post(
        f"{API}/wechat/face-verifications/confirm", json={"out_seq_no": body["out_seq_no"]}, headers=auth(mallory)
    )
    assert stolen.status == 404 and await _error(stolen) == "verification_not_found"


async def test_core_trainee_routes_work_with_a_wechat_session(wechat: WechatEnv):
    await regions()
    admin = await bureau(wechat.svc)
    batch = await published_batch(wechat.client, admin)
    token = await wechat.verified("alice")
    center = await wechat.client.get(f"{API}/card-center", headers=auth(token))
    assert center.status == 200
    claimed = await wechat.client.post(
        f"{API}/claims", json={"batch_id": batch["id"], "group": "失业人员"}, headers=auth(token)
    )
    assert claimed.status == 201, await claimed.text()
    wallet = await (await wechat.client.get(f"{API}/vouchers", headers=auth(token))).json()
    assert [v["code"] for v in wallet["items"]] == [(await claimed.json())["code"]]


async def test_one_time_consents_are_counted(wechat: WechatEnv):
    token = await wechat.login("alice")
    for _ in range(2):
        response = await wechat.client.post(
            f"{API}/wechat/subscriptions", json={"results": {"tpl-a": "accept", "tpl-b": "reject"}}, headers=auth(token)
        )
        assert response.status == 200
    assert (await response.json())["remaining"] == {"tpl-a": 2, "tpl-b": 0}
    banned = await wechat.client.post(
        f"{API}/wechat/subscriptions", json={"results": {"tpl-a": "ban"}}, headers=auth(token)
    )
    assert (await banned.json())["remaining"] == {"tpl-a": 0}
    row = await SubscriptionConsent.get(template_id="tpl-a")
    assert row.refused_at is not None
    bad = await wechat.client.post(
        f"{API}/wechat/subscriptions", json={"results": {"tpl-a": "maybe"}}, headers=auth(token)
    )
    assert bad.status == 422


async def test_wechat_only_routes_refuse_other_channels(wechat: WechatEnv):
    _, h5 = await trainee(wechat.svc)
    response = await wechat.client.post(
        f"{API}/wechat/subscriptions", json={"results": {"tpl-a": "accept"}}, headers=auth(h5)
    )
    assert response.status == 403 and await _error(response) == "wechat_only"
    face = await wechat.client.post(
        f"{API}/wechat/face-verifications", json={"name": PASSING_NAME, "id_number": PASSING_ID}, headers=auth(h5)
    )
    assert face.status == 403 and await _error(face) == "wechat_only"
