"""The lifelong training archive: the trainee's own, and the bureau's look-up by ID number."""

from __future__ import annotations

from tests.support.factories import auth, id_number, unverified
from tests.support.institutions import API
from tests.support.settlement import decide, passed, settlement_env, submit


async def test_trainee_reads_vouchers_classes_attendance_and_certificates(client, svc):
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    claim_id = (await submit(client, env, [passed(t["code"], number="CERT-0001")]))["rows"][0]["claim_id"]

    before = await (await client.get(f"{API}/archive", headers=auth(t["session"]))).json()
    assert before["certificates"] == []  # only an approved assessment reaches the archive
    assert (await decide(client, env, claim_id, decision="approve")).status == 200

    r = await client.get(f"{API}/archive", headers=auth(t["session"]))
    assert r.status == 200
    archive = await r.json()
    assert archive["holder_name"] == "李*" and archive["id_number"].startswith("3202") and "*" in archive["id_number"]
    assert [(v["code"], v["status"]) for v in archive["vouchers"]] == [(t["code"], "settled")]
    [klass] = archive["classes"]
    assert (klass["class_name"], klass["institution"]) == (env["class"]["name"], env["institution"]["name"])
    assert (klass["lessons"], klass["attended"]) == (1, 1)
    [cert] = archive["certificates"]
    assert (cert["kind"], cert["number"], cert["level"], cert["voucher_code"]) == (
        "职业技能等级证书",
        "CERT-0001",
        "五级",
        t["code"],
    )

    # The bureau finds the same archive by ID number (in the body, never the URL).
    r = await client.post(
        f"{API}/admin/archive/lookup", json={"id_number": t["id_number"]}, headers=auth(env["bureau"])
    )
    assert r.status == 200
    assert (await r.json())["certificates"] == archive["certificates"]
    r = await client.post(f"{API}/admin/archive/lookup", json={"id_number": id_number()}, headers=auth(env["bureau"]))
    assert r.status == 404
    r = await client.post(f"{API}/admin/archive/lookup", json={"id_number": "123"}, headers=auth(env["bureau"]))
    assert r.status == 422 and (await r.json())["error"]["code"] == "invalid_id_number"


async def test_archive_needs_a_verified_identity(client, svc):
    _, token = await unverified(svc)
    r = await client.get(f"{API}/archive", headers=auth(token))
    assert r.status == 403 and (await r.json())["error"]["code"] == "identity_required"
    r = await client.post(f"{API}/admin/archive/lookup", json={"id_number": id_number()}, headers=auth(token))
    assert r.status == 401
