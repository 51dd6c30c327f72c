"""Login and face verification from the Alipay mini program, against the sandbox gateway."""

from __future__ import annotations

from models import AccountChannel, ChannelAccount, IdentityVerification, VerificationStatus
from tests.support import factories
from tests.support.alipay import ID_NUMBER, NAME, AlipayEnv

auth = factories.auth


async def test_login_opens_an_alipay_session_keyed_by_open_id(alipay: AlipayEnv) -> None:
    answer = await alipay.http.post("/api/v1/alipay/login", json={"auth_code": "sandbox-lisi"})
    assert answer.status == 200
    body = await answer.json()
    assert body["verified"] is False and body["expires_in"] > 0
    account = await ChannelAccount.get(channel=AccountChannel.ALIPAY)
    assert account.subject == alipay.sandbox.open_id("lisi")
    assert account.app_id == alipay.client.settings.app_id
    # the same user logging in again is the same account
    again = await alipay.login("lisi")
    assert again and await ChannelAccount.filter(channel=AccountChannel.ALIPAY).count() == 1


async def test_a_used_or_unknown_auth_code_is_a_clear_400(alipay: AlipayEnv) -> None:
    first = await alipay.http.post("/api/v1/alipay/login", json={"auth_code": "sandbox-wangwu"})
    assert first.status == 200
    for code in ("sandbox-wangwu", "not-a-code"):
        answer = await alipay.http.post("/api/v1/alipay/login", json={"auth_code": code})
        assert answer.status == 400
        assert (await answer.json())["error"]["code"] == "alipay_auth_code_invalid"


async def test_bad_login_bodies_are_refused_before_alipay_is_asked(alipay: AlipayEnv) -> None:
    for body in ({}, {"auth_code": ""}, {"auth_code": "a b"}, {"auth_code": "x" * 200}, {"auth_code": 5}):
        answer = await alipay.http.post("/api/v1/alipay/login", json=body)
        assert answer.status == 422, body
    assert alipay.sandbox.calls == []


async def test_alipay_down_is_a_503_not_a_500(alipay: AlipayEnv) -> None:
    alipay.sandbox.fail("alipay.system.oauth.token", "isp.unknow-error", code="20000")
    answer = await alipay.http.post("/api/v1/alipay/login", json={"auth_code": "sandbox-x"})
    assert answer.status == 503
    assert (await answer.json())["error"]["code"] == "alipay_unavailable"


async def test_face_verification_binds_the_sealed_identity_and_trainee_routes_work(alipay: AlipayEnv) -> None:
    token = await alipay.verified_login()
    account = await ChannelAccount.get(channel=AccountChannel.ALIPAY)
    assert account.person_id is not None
    verification = await IdentityVerification.get(account_id=account.id)
    assert verification.status is VerificationStatus.PASSED and verification.provider == "alipay"
    assert verification.provider_ref in alipay.sandbox.certifications
    # what Alipay was asked to verify is what the trainee typed, and it is not stored in clear
    (certification,) = alipay.sandbox.certifications.values()
    assert (certification.cert_name, certification.cert_no) == (NAME, ID_NUMBER)
    assert ID_NUMBER not in (verification.id_cipher, verification.id_hash)
    # every trainee route of the core works with the Alipay session
    for path in ("/api/v1/card-center", "/api/v1/vouchers"):
        answer = await alipay.http.get(path, headers=auth(token))
        assert answer.status == 200, path
    login_again = await alipay.http.post("/api/v1/alipay/login", json={"auth_code": "sandbox-zhangsan.again"})
    assert (await login_again.json())["verified"] is True


async def _start(alipay: AlipayEnv, token: str, name: str = NAME, number: str = ID_NUMBER):
    answer = await alipay.http.post(
        "/api/v1/alipay/face-verifications", json={"name": name, "id_number": number}, headers=auth(token)
    )
    assert answer.status == 201, await answer.text()
    return await answer.json()


async def _confirm(alipay: AlipayEnv, token: str, verification_id: str):
    return await alipay.http.post(f"/api/v1/alipay/face-verifications/{verification_id}/confirm", headers=auth(token))


async def test_confirm_before_the_face_scan_is_pending_and_the_scan_can_still_pass(alipay: AlipayEnv) -> None:
    """Issue 17 item 8: a trainee who taps 确认 too early is told to finish the scan, not failed
    for good; the same certification passes once the face is scanned."""
    token = await alipay.login()
    alipay.sandbox.identities.add((NAME, ID_NUMBER))
    started = await _start(alipay, token)
    early = await _confirm(alipay, token, started["verification_id"])
    assert early.status == 409
    error = (await early.json())["error"]
    assert error["code"] == "verification_pending" and "完成" in error["message"]
    assert (await ChannelAccount.get(channel=AccountChannel.ALIPAY)).person_id is None
    async with alipay.http.session.get(started["certify_url"]) as page:
        assert "通过" in await page.text()
    confirmed = await _confirm(alipay, token, started["verification_id"])
    assert confirmed.status == 200, await confirmed.text()
    assert (await ChannelAccount.get(channel=AccountChannel.ALIPAY)).person_id is not None


async def test_a_face_that_does_not_match_fails(alipay: AlipayEnv) -> None:
    token = await alipay.login()
    started = await _start(alipay, token)  # not one of the sandbox's test identities
    async with alipay.http.session.get(started["certify_url"]) as page:
        assert "未通过" in await page.text()
    answer = await _confirm(alipay, token, started["verification_id"])
    assert answer.status == 403
    assert (await ChannelAccount.get(channel=AccountChannel.ALIPAY)).person_id is None


async def test_someone_elses_verification_cannot_be_confirmed(alipay: AlipayEnv) -> None:
    owner = await alipay.login("owner")
    thief = await alipay.login("thief")
    alipay.sandbox.identities.add((NAME, ID_NUMBER))
    started = await _start(alipay, owner)
    async with alipay.http.session.get(started["certify_url"]):
        pass
    answer = await _confirm(alipay, thief, started["verification_id"])
    assert answer.status == 404
    assert await ChannelAccount.filter(person_id__isnull=False).count() == 0


async def test_face_verification_needs_an_alipay_session(alipay: AlipayEnv, svc) -> None:
    _, token = await factories.unverified(svc)  # an H5 session
    answer = await alipay.http.post(
        "/api/v1/alipay/face-verifications", json={"name": NAME, "id_number": ID_NUMBER}, headers=auth(token)
    )
    assert answer.status == 403
    assert (await answer.json())["error"]["code"] == "alipay_account_required"
    unauthenticated = await alipay.http.post(
        "/api/v1/alipay/face-verifications", json={"name": NAME, "id_number": ID_NUMBER}
    )
    assert unauthenticated.status == 401


async def test_bad_identity_input_is_refused_before_alipay_is_asked(alipay: AlipayEnv) -> None:
    token = await alipay.login()
    calls = len(alipay.sandbox.calls)
    for body, code in (
        ({"name": NAME, "id_number": factories.bad_check_digit(ID_NUMBER)}, "invalid_id_number"),
        ({"name": NAME, "id_number": "12345"}, "invalid_id_number"),
        ({"name": "", "id_number": ID_NUMBER}, "invalid_input"),
        ({"name": NAME}, "invalid_input"),
        ({"name": NAME, "id_number": ID_NUMBER, "passed": True}, "invalid_input"),
    ):
        answer = await alipay.http.post("/api/v1/alipay/face-verifications", json=body, headers=auth(token))
        assert answer.status == 422, body
        assert (await answer.json())["error"]["code"] == code, body
    assert len(alipay.sandbox.calls) == calls
    unknown = await _confirm(alipay, token, "alipay0123456789abcdef")
    assert unknown.status == 404


async def test_alipay_refusing_the_identity_or_failing_is_a_4xx_or_503(alipay: AlipayEnv) -> None:
    token = await alipay.login()
    alipay.sandbox.fail("alipay.user.certify.open.initialize", "INVALID_PARAMETER", code="40004")
    refused = await alipay.http.post(
        "/api/v1/alipay/face-verifications", json={"name": NAME, "id_number": ID_NUMBER}, headers=auth(token)
    )
    assert refused.status == 422
    assert (await refused.json())["error"]["code"] == "alipay_identity_refused"
    started = await _start(alipay, token)
    alipay.sandbox.fail("alipay.user.certify.open.query", "isp.unknow-error", code="20000")
    down = await _confirm(alipay, token, started["verification_id"])
    assert down.status == 503
    # the verification is still pending: once Alipay is back, the confirm goes through
    alipay.sandbox.identities.add((NAME, ID_NUMBER))
    async with alipay.http.session.get(started["certify_url"]):
        pass
    assert (await _confirm(alipay, token, started["verification_id"])).status == 200


async def test_without_open_id_the_user_id_is_the_subject_and_passes_still_reach_the_user(
    alipay: AlipayEnv, svc
) -> None:
    from platforms.alipay.card_pack import sync_card_pack
    from vouchers.common.clock import utcnow

    alipay.sandbox.gives_open_id = False
    _, batch = await alipay.bureau_batch()
    token = await alipay.verified_login("old_app_user")
    account = await ChannelAccount.get(channel=AccountChannel.ALIPAY)
    assert account.subject == alipay.sandbox.user_id("old_app_user")
    voucher = await alipay.claim(token, batch["id"])
    await sync_card_pack(utcnow(), svc.qr)
    await alipay.deliver_card_pack()
    assert alipay.sandbox.passes[voucher["code"]]["recognition_info"] == {"user_id": account.subject}
