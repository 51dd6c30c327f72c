"""A class that holds places for sign-ups keeps its capacity when sign-ups and walk-in enrolments
arrive at once: the class's row lock serialises them (PostgreSQL in CI; SQLite serialises
writers anyway)."""

from __future__ import annotations

import asyncio

from models import Enrolment, Signup, TrainingClass
from tests.support.catalogue import catalogue_env, open_class, post_signup
from tests.support.factories import auth
from tests.support.institutions import API, claimed_voucher, post_scan, scan_body, voucher_payload

CAPACITY = 4


async def _holding_class(client, env) -> dict:
    small = await open_class(client, env["commissioner"], [env["site"]["id"]], name="小班", capacity=CAPACITY)
    body = {k: small[k] for k in ("name", "project_type", "occupation", "start_date", "end_date", "site_ids")}
    r = await client.put(
        f"{API}/institution/classes/{small['id']}",
        json=body | {"capacity": CAPACITY, "hold_places_for_signups": True},
        headers=auth(env["commissioner"]),
    )
    assert r.status == 200, await r.text()
    return small


async def test_concurrent_sign_ups_never_take_more_places_than_the_class_has(client, svc):
    env = await catalogue_env(client, svc, quantity=40)
    small = await _holding_class(client, env)
    trainees = [await claimed_voucher(client, svc, env["batch"]["id"]) for _ in range(12)]
    answers = await asyncio.gather(*(post_signup(client, s, small["id"], code) for s, code in trainees))
    statuses = sorted(a.status for a in answers)
    assert statuses == [201] * CAPACITY + [409] * (len(trainees) - CAPACITY), statuses
    for refused in [a for a in answers if a.status == 409]:
        assert (await refused.json())["error"]["code"] == "class_full"
    assert await Signup.filter(training_class_id=small["id"], status="pending").count() == CAPACITY


async def test_concurrent_sign_ups_and_walk_ins_share_the_places(client, svc):
    env = await catalogue_env(client, svc, quantity=40)
    small = await _holding_class(client, env)
    online = [await claimed_voucher(client, svc, env["batch"]["id"]) for _ in range(6)]
    walk_ins = [await claimed_voucher(client, svc, env["batch"]["id"]) for _ in range(6)]
    payloads = [await voucher_payload(client, s, code) for s, code in walk_ins]
    signups, scans = await asyncio.gather(
        asyncio.gather(*(post_signup(client, s, small["id"], code) for s, code in online)),
        asyncio.gather(*(post_scan(client, env["scanner"], scan_body(p, "enrol", small["id"])) for p in payloads)),
    )
    signed = sum(1 for r in signups if r.status == 201)
    enrolled = sum(1 for a in scans if a["result"] == "ok")
    assert signed + enrolled == CAPACITY, (signed, enrolled)
    assert {a["reason"] for a in scans if a["result"] != "ok"} <= {"class_full"}
    klass = await TrainingClass.get(id=small["id"])
    assert klass.enrolled == enrolled == await Enrolment.filter(training_class_id=small["id"]).count()
    assert await Signup.filter(training_class_id=small["id"], status="pending").count() == signed


async def test_giving_the_voucher_back_frees_the_place_its_sign_up_held(client, svc):
    env = await catalogue_env(client, svc, quantity=10)
    small = await _holding_class(client, env)
    holders = [await claimed_voucher(client, svc, env["batch"]["id"]) for _ in range(CAPACITY)]
    for session, code in holders:
        assert (await post_signup(client, session, small["id"], code)).status == 201
    late_session, late_code = await claimed_voucher(client, svc, env["batch"]["id"])
    full = await post_signup(client, late_session, small["id"], late_code)
    assert (await full.json())["error"]["code"] == "class_full"

    quitter, quitter_code = holders[0]
    r = await client.post(f"{API}/vouchers/{quitter_code}/return", headers=auth(quitter))
    assert r.status == 200, await r.text()
    # At once, not at the worker's next sweep: the trainee's list says why, and the place is free.
    [mine] = (await (await client.get(f"{API}/signups", headers=auth(quitter))).json())["items"]
    assert (mine["status"], mine["reason"]) == ("lapsed", "培训券已退回")
    assert (await post_signup(client, late_session, small["id"], late_code)).status == 201
    assert await Signup.filter(training_class_id=small["id"], status="pending").count() == CAPACITY
