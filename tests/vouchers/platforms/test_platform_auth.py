"""A platform's request is signed and cannot be replayed: a stale timestamp, a reused nonce or a
bad signature is refused (401, with why) and changes nothing. Keys rotate without downtime: two
work during the overlap, the retired one is refused after. The examples of the document sign as
the project does."""

from __future__ import annotations

import json
import time
from pathlib import Path

from models import Enrolment, OutboxMessage, StudyReport, Voucher, VoucherHistory
from tests.support.factories import auth
from tests.support.platforms import API, platform_env, register
from vouchers.platforms.signature import SignedRequest, canonical_query, sign

ENROL = f"{API}/platform/enrolments"
DOC = Path(__file__).resolve().parents[3] / "docs" / "online-platforms.md"


async def _error(response, status: int = 401) -> str:
    text = await response.text()
    assert response.status == status, text
    return json.loads(text)["error"]["code"]


async def _nothing_changed(env) -> None:
    voucher = await Voucher.get(code=env["voucher"])
    assert voucher.status == "claimed"
    assert await Enrolment.all().count() == 0
    assert [h.action for h in await VoucherHistory.filter(voucher_id=voucher.id)] == ["claimed"]
    assert not await OutboxMessage.filter(kind="voucher_enrolled_online").exists()


def _enrol_body(env) -> dict:
    return {"code": env["payload"], "course": "ELEC-101"}


async def test_a_stale_timestamp_is_refused_either_way_and_changes_nothing(client, svc):
    env = await platform_env(client, svc)
    platform, now = env["platform"], int(time.time())
    for off in (-301, 301, -3600, 10**9):
        r = await platform.call("POST", ENROL, _enrol_body(env), timestamp=now + off)
        assert await _error(r) == "platform_timestamp_stale"
    await _nothing_changed(env)
    # Inside the window, either way, it goes through.
    r = await platform.call("POST", ENROL, _enrol_body(env), timestamp=now - 290)
    assert r.status == 200, await r.text()
    assert (await Voucher.get(code=env["voucher"])).status == "enrolled"


async def test_a_reused_nonce_is_refused_and_changes_nothing(client, svc):
    env = await platform_env(client, svc)
    platform = env["platform"]
    raw = json.dumps(_enrol_body(env)).encode()
    headers = platform.headers("POST", ENROL, None, raw, nonce="replayed-nonce-0001")
    assert (await client.post(ENROL, data=raw, headers=headers)).status == 200
    enrolled = await VoucherHistory.all().count()

    # The same request again, byte for byte: a replay.
    assert await _error(await client.post(ENROL, data=raw, headers=headers)) == "platform_nonce_reused"
    # Another request, correctly signed, with the nonce used before.
    progress = {"report_id": "r-1", "voucher": env["voucher"], "course": "ELEC-101", "unit": "第一章", "hours": 1}
    r = await platform.call("POST", f"{API}/platform/progress", progress, nonce="replayed-nonce-0001")
    assert await _error(r) == "platform_nonce_reused"
    assert await StudyReport.all().count() == 0
    assert await VoucherHistory.all().count() == enrolled
    assert await Enrolment.all().count() == 1
    # A nonce is the platform's own: another platform may happen to pick the same one.
    other, _ = await register(client, env["bureau"])
    r = await other.call("GET", f"{API}/platform/courses", nonce="replayed-nonce-0001")
    assert r.status == 200, await r.text()


async def test_a_bad_signature_is_refused_changes_nothing_and_leaves_the_nonce_unused(client, svc):
    env = await platform_env(client, svc)
    platform = env["platform"]
    body = _enrol_body(env)
    raw = json.dumps(body).encode()
    nonce = "first-try-nonce-0001"
    signed = platform.headers("POST", ENROL, None, raw, nonce=nonce)
    tampered = json.dumps({**body, "course": "ELEC-999"}).encode()
    attempts = [
        # the body changed after signing
        (ENROL, tampered, signed),
        # signed with another secret
        (ENROL, raw, platform.headers("POST", ENROL, None, raw, nonce=nonce, secret="x" * 43)),
        # signed for another path, or another method
        (ENROL, raw, platform.headers("POST", f"{API}/platform/vouchers/verify", None, raw, nonce=nonce)),
        (ENROL, raw, platform.headers("PUT", ENROL, None, raw, nonce=nonce)),
        # a query added that was not signed
        (ENROL + "?course=ELEC-999", raw, signed),
        # the signature itself altered
        (
            ENROL,
            raw,
            {
                **signed,
                "X-Pxq-Signature": ("0" if signed["X-Pxq-Signature"][0] != "0" else "1")
                + signed["X-Pxq-Signature"][1:],
            },
        ),
        # the timestamp moved after signing
        (ENROL, raw, {**signed, "X-Pxq-Timestamp": str(int(signed["X-Pxq-Timestamp"]) - 1)}),
    ]
    for path, data, headers in attempts:
        assert await _error(await client.post(path, data=data, headers=headers)) == "platform_signature_invalid"
    await _nothing_changed(env)
    # None of them used the nonce up: the genuine request with it goes through.
    r = await client.post(ENROL, data=raw, headers=signed)
    assert r.status == 200, await r.text()


async def test_missing_malformed_or_unknown_credentials_are_refused(client, svc):
    env = await platform_env(client, svc)
    platform = env["platform"]
    raw = json.dumps(_enrol_body(env)).encode()
    signed = platform.headers("POST", ENROL, None, raw)
    for name in ("X-Pxq-Platform", "X-Pxq-Key-Id", "X-Pxq-Timestamp", "X-Pxq-Nonce", "X-Pxq-Signature"):
        headers = {k: v for k, v in signed.items() if k != name}
        assert await _error(await client.post(ENROL, data=raw, headers=headers)) == "platform_auth_missing"
    for name, bad in (("X-Pxq-Nonce", "short"), ("X-Pxq-Timestamp", "-5"), ("X-Pxq-Signature", "zz" * 32)):
        r = await client.post(ENROL, data=raw, headers={**signed, name: bad})
        assert await _error(r) == "platform_auth_missing"
    # A bearer token is no way in either.
    r = await client.post(ENROL, data=raw, headers={**auth(env["bureau"]), "Content-Type": "application/json"})
    assert await _error(r) == "platform_auth_missing"
    # Another platform's key id under this platform's code, and a code nobody registered.
    other, _ = await register(client, env["bureau"])
    assert (
        await _error(await platform.call("POST", ENROL, _enrol_body(env), key_id=other.key_id))
        == "platform_key_unknown"
    )
    platform_code, platform.code = platform.code, "9999999"
    assert await _error(await platform.call("POST", ENROL, _enrol_body(env))) == "platform_key_unknown"
    platform.code = platform_code
    await _nothing_changed(env)


async def test_a_suspended_platform_is_refused_until_resumed(client, svc):
    env = await platform_env(client, svc)
    place = f"{API}/admin/institutions/{env['registered']['institution_id']}"
    r = await client.post(f"{place}/suspend", json={"reason": "平台课程质量检查"}, headers=auth(env["bureau"]))
    assert r.status == 200, await r.text()
    assert await _error(await env["platform"].call("POST", ENROL, _enrol_body(env)), 403) == "platform_suspended"
    await _nothing_changed(env)
    assert (await client.post(f"{place}/resume", headers=auth(env["bureau"]))).status == 200
    assert (await env["platform"].call("POST", ENROL, _enrol_body(env))).status == 200


async def test_keys_rotate_without_downtime(client, svc):
    env = await platform_env(client, svc)
    platform, h = env["platform"], auth(env["bureau"])
    place = f"{API}/admin/platforms/{platform.id}"
    old_key = platform.key_id
    r = await client.post(f"{place}/keys", headers=h)
    assert r.status == 201, await r.text()
    new = await r.json()
    assert new["secret"] and new["active"] and new["key_id"] != old_key
    shown = await (await client.get(place, headers=h)).json()
    assert [k["key_id"] for k in shown["keys"] if k["active"]] == [old_key, new["key_id"]]
    assert new["secret"] not in json.dumps(shown)  # answered once

    # During the overlap both keys sign.
    courses = f"{API}/platform/courses"
    assert (await platform.call("GET", courses)).status == 200
    r = await platform.call("GET", courses, key_id=new["key_id"], secret=new["secret"])
    assert r.status == 200, await r.text()
    # Two at once at most, and a key signs only with its own secret.
    assert await _error(await client.post(f"{place}/keys", headers=h), 409) == "platform_keys_full"
    r = await platform.call("GET", courses, key_id=new["key_id"])  # the old secret under the new key id
    assert await _error(r) == "platform_signature_invalid"

    retired = await client.post(f"{place}/keys/{old_key}/retire", headers=h)
    assert retired.status == 200, await retired.text()
    assert (await retired.json())["active"] is False
    assert await _error(await platform.call("GET", courses)) == "platform_key_retired"
    assert (await platform.call("GET", courses, key_id=new["key_id"], secret=new["secret"])).status == 200
    assert await _error(await client.post(f"{place}/keys/{old_key}/retire", headers=h), 409) == (
        "platform_key_already_retired"
    )
    assert await _error(await client.post(f"{place}/keys/nokey/retire", headers=h), 404) == "platform_key_not_found"
    # With one retired, another may be added (the next rotation).
    assert (await client.post(f"{place}/keys", headers=h)).status == 201


async def test_the_query_is_signed_in_any_order_and_cannot_be_changed(client, svc):
    env = await platform_env(client, svc)
    platform = env["platform"]
    assert (await platform.call("POST", ENROL, _enrol_body(env))).status == 200
    path = f"{API}/platform/progress"
    query = {"voucher": env["voucher"], "course": "ELEC-101"}
    headers = platform.headers("GET", path, query)
    # The URL's order is not the signed order: the canonical query sorts them.
    r = await client.get(f"{path}?course=ELEC-101&voucher={env['voucher']}", headers=headers)
    assert r.status == 200, await r.text()
    headers = platform.headers("GET", path, query)
    r = await client.get(f"{path}?course=ELEC-102&voucher={env['voucher']}", headers=headers)
    assert await _error(r) == "platform_signature_invalid"


def test_the_documents_examples_sign_as_the_project_does():
    secret, key = "tX3v9c0m5Q2bN8yE1rL7uW4kZ6hA0sD3fG5jK8pM2qR", "k20260301-a1b2c3"
    body = b'{"code":"PXQ1.V.ABCDEFGHIJKLMNOP.58871234.K260101000000.c2lnbmF0dXJl","course":"ELEC-101"}'
    post = SignedRequest("POST", ENROL, (), "3299001", key, "1767225600", "n0nce-0123456789abcdef", "", body)
    query = (("voucher", "ABCDEFGHIJKLMNOP"), ("course", "ELEC-101"))
    get = SignedRequest(
        "GET", f"{API}/platform/progress", query, "3299001", key, "1767225600", "n0nce-0123456789abcdeg", "", b""
    )
    doc = DOC.read_text(encoding="utf-8")
    assert body.decode() in doc
    for request in (post, get):
        assert sign(secret, request) in doc
    assert "`a%20b%2F%E4%BA%8C`" in doc and canonical_query([("q", "a b/二")]) == "q=a%20b%2F%E4%BA%8C"
    # Encoded, then sorted: "%E4..." sorts before letters, though "二" would sort after them.
    assert canonical_query([("a", "二"), ("a", "b"), ("a-b", "1"), ("a", "~")]) == "a=%E4%BA%8C&a=b&a=~&a-b=1"
