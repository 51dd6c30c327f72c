"""A verify may answer on what the previous verify of the same code read (vouchers.scanning.recent_reads);
whatever changed since must still show: a revocation, an enrolment, a corrected name, a disabled
or logged-out staff member. PostgreSQL only: that is where reads are reused (checked by row
versions at the insert)."""

from __future__ import annotations

import pytest
from tortoise import connections

from models import Person, ScanRecord, Voucher
from models.database import is_postgres
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.institutions import (
    API,
    claimed_voucher,
    post_scan,
    scan_body,
    scanner,
    setup_institution,
    staff_login,
    voucher_payload,
)


@pytest.fixture
async def env(client, svc, monkeypatch):
    if not is_postgres(connections.get("default")):
        pytest.skip("reads are reused on PostgreSQL only")
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    env = await setup_institution(client, token)
    session, code = await claimed_voucher(client, svc, batch["id"])
    env.update(bureau=token, session=session, code=code)
    env["payload"] = await voucher_payload(client, session, code)
    # Count the database reads of scans, to know which verifies reused one.
    reads = svc.scan_reads
    env["reads"] = 0
    submit = reads.submit

    async def counted(key):
        env["reads"] += 1
        return await submit(key)

    monkeypatch.setattr(reads, "submit", counted)
    return env


async def verify(client, token: str, payload: str) -> dict:
    return await post_scan(client, token, scan_body(payload, "verify"))


async def test_a_repeated_verify_reuses_the_read_and_a_revocation_still_shows(client, env):
    first = await verify(client, env["scanner"], env["payload"])
    second = await verify(client, env["scanner"], env["payload"])
    assert first["result"] == second["result"] == "ok"
    assert first["voucher"] == second["voucher"]
    assert env["reads"] == 1  # the second answered on the first one's read
    # The same answer, built once, but each scan's own record and time.
    assert second["scan_id"] > first["scan_id"] and second["at"] >= first["at"]
    assert not first["replayed"] and not second["replayed"]
    record = await ScanRecord.get(id=second["scan_id"])  # what a replay of its nonce will send
    assert record.answer == {k: v for k, v in second.items() if k not in ("scan_id", "replayed", "at")}
    r = await client.post(
        f"{API}/admin/vouchers/{env['code']}/revoke", json={"reason": "重复领取"}, headers=auth(env["bureau"])
    )
    assert r.status == 200
    third = await verify(client, env["scanner"], env["payload"])
    assert (third["result"], third["reason"], third["voucher"]["status"]) == ("error", "revoked", "revoked")
    assert env["reads"] == 2  # the reused read was found out of date, and read again
    # One record per scan: the out-of-date attempt wrote nothing.
    records = await ScanRecord.filter(action="verify").order_by("id").values_list("result", flat=True)
    assert records == ["ok", "ok", "error"]


async def test_an_enrolment_between_two_verifies_shows_in_the_second(client, env):
    assert (await verify(client, env["scanner"], env["payload"]))["voucher"]["status"] == "claimed"
    enrolled = await post_scan(client, env["scanner"], scan_body(env["payload"], "enrol", env["class"]["id"]))
    assert enrolled["result"] == "ok"
    answer = await verify(client, env["scanner"], env["payload"])
    assert (answer["result"], answer["voucher"]["status"]) == ("ok", "enrolled")


async def test_a_corrected_holder_name_shows_in_the_next_verify(client, svc, env):
    assert (await verify(client, env["scanner"], env["payload"]))["voucher"]["holder_name"] == "李*"
    voucher = await Voucher.get(code=env["code"])
    await Person.filter(id=voucher.person_id).update(name_cipher=svc.keys.encrypt("欧阳小明", b"name"))
    assert (await verify(client, env["scanner"], env["payload"]))["voucher"]["holder_name"] == "欧**明"


async def test_after_a_logout_the_new_login_verifies_and_the_old_token_is_refused(client, env):
    member, token = await scanner(client, env["commissioner"], "desk-reuse")
    assert (await verify(client, token, env["payload"]))["result"] == "ok"
    assert (await client.post(f"{API}/institution/logout", headers=auth(token))).status == 200

    async def refused() -> None:
        r = await client.post(f"{API}/scans", json=scan_body(env["payload"], "verify"), headers=auth(token))
        assert (r.status, (await r.json())["error"]["code"]) == (401, "unauthenticated")

    await refused()  # its staff row as last read says this token's version: the insert finds it changed
    fresh = await staff_login(client, "desk-reuse")
    assert (await verify(client, fresh, env["payload"]))["result"] == "ok"
    await refused()
    assert await ScanRecord.filter(staff_id=member["id"]).count() == 2
