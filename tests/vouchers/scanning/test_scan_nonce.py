"""A scan nonce stands for one request: sent again with the same request it gets the first
answer; with another request (another code, action or class) it is refused as reused, the way
payment APIs treat a reused idempotency key."""

from __future__ import annotations

import asyncio

import pytest

from models import ScanRecord
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.institutions import API, claimed_voucher, post_scan, scan_body, setup_institution, voucher_payload


@pytest.fixture
async def env(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    env = await setup_institution(client, token)
    first = await voucher_payload(client, *await claimed_voucher(client, svc, batch["id"]))
    second = await voucher_payload(client, *await claimed_voucher(client, svc, batch["id"]))
    env.update(first=first, second=second)
    return env


async def _scan(client, env, body):
    return await client.post(f"{API}/scans", json=body, headers=auth(env["scanner"]))


async def test_the_same_nonce_with_another_code_is_refused_not_answered_ok(client, env):
    ok = await post_scan(client, env["scanner"], scan_body(env["first"], "verify", nonce="reused-nonce-1"))
    assert ok["result"] == "ok"

    other = await _scan(client, env, scan_body(env["second"], "verify", nonce="reused-nonce-1"))
    assert other.status == 409
    error = (await other.json())["error"]
    assert error["code"] == "nonce_reused"
    assert "请求" in error["message"]
    assert await ScanRecord.all().count() == 1


async def test_the_same_nonce_with_another_action_or_class_is_refused(client, env):
    await post_scan(client, env["scanner"], scan_body(env["first"], "verify", nonce="reused-nonce-2"))
    enrol = await _scan(client, env, scan_body(env["first"], "enrol", env["class"]["id"], nonce="reused-nonce-2"))
    assert enrol.status == 409 and (await enrol.json())["error"]["code"] == "nonce_reused"

    await post_scan(client, env["scanner"], scan_body(env["first"], "enrol", env["class"]["id"], nonce="reused-3"))
    elsewhere = await _scan(client, env, scan_body(env["first"], "enrol", env["class"]["id"] + 1, nonce="reused-3"))
    assert elsewhere.status == 409 and (await elsewhere.json())["error"]["code"] == "nonce_reused"


async def test_a_true_retry_still_gets_the_first_answer(client, env):
    body = scan_body(env["first"], "enrol", env["class"]["id"], nonce="retried-nonce-1")
    first = await post_scan(client, env["scanner"], body)
    again = await post_scan(client, env["scanner"], {**body, "scanned_at": body["scanned_at"]})
    assert again["replayed"] is True and again["scan_id"] == first["scan_id"]
    assert again["result"] == first["result"] == "ok"


async def test_at_once_one_request_wins_and_the_others_are_refused(client, env):
    bodies = [scan_body(p, "verify", nonce="raced-nonce-1") for p in (env["first"], env["second"]) * 3]
    responses = await asyncio.gather(*(_scan(client, env, b) for b in bodies))
    answered = [await r.json() for r in responses if r.status == 200]
    refused = [(await r.json())["error"]["code"] for r in responses if r.status != 200]
    # The winner and its two exact repeats share one recorded scan; the other code's three are refused.
    assert len(answered) == 3 and len({a["scan_id"] for a in answered}) == 1
    assert refused == ["nonce_reused"] * 3
    assert await ScanRecord.all().count() == 1
