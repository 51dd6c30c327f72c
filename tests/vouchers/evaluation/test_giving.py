"""A trainee evaluates the training a voucher paid for: only once it is over, once per voucher,
and may change it for 7 days after first giving it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

import miniapp_api.evaluations
from models import Evaluation
from tests.support.evaluation import API, class_ended_env, evaluate, evaluation_body
from tests.support.factories import auth, unverified
from tests.support.institutions import claimed_voucher, post_scan, scan_body, voucher_payload
from tests.support.settlement import class_over, passed, settlement_env, submit
from vouchers.common.clock import utcnow


async def _pending(client, session: str) -> list[str]:
    r = await client.get(f"{API}/evaluations/pending", headers=auth(session))
    assert r.status == 200, await r.text()
    return [item["voucher_code"] for item in (await r.json())["items"]]


async def test_the_tags_and_limits_are_served(client):
    r = await client.get(f"{API}/evaluations/tags")
    assert r.status == 200
    tags = await r.json()
    assert "老师认真" in tags["positive"] and "组织混乱" in tags["negative"]
    assert (tags["comment_max"], tags["edit_days"]) == (200, 7)


async def test_not_before_the_training_is_over(client, svc):
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    # Enrolled, and the class's lesson has not even started: nothing to evaluate yet.
    assert await _pending(client, t["session"]) == []
    error = await evaluate(client, t["session"], t["code"], status=409)
    assert error["error"]["code"] == "evaluation_not_yet"
    # Claimed but never enrolled: there is no training to rate.
    session, idle = await claimed_voucher(client, svc, env["batch"]["id"])
    assert (await evaluate(client, session, idle, status=409))["error"]["code"] == "evaluation_not_yet"
    assert await Evaluation.all().count() == 0


async def test_after_the_last_lesson_or_the_results_it_can_be(client, svc):
    env = await settlement_env(client, svc, trainees=2)
    a, b = env["trainees"]
    # Results filed for one (completed): `submit` first moves the class into the past, so the
    # other, still enrolled, can evaluate too, its class's last lesson having ended.
    await submit(client, env, [passed(a["code"])])
    assert await _pending(client, a["session"]) == [a["code"]]
    assert await _pending(client, b["session"]) == [b["code"]]
    given = await evaluate(
        client, a["session"], a["code"], comment="  讲得很好  ", tags=["内容实用", "老师认真", "内容实用"]
    )
    assert given["class_name"] == env["class"]["name"]
    assert given["institution_id"] == env["institution"]["id"]
    assert (given["teaching"], given["organisation"], given["usefulness"]) == (5, 4, 5)
    assert given["tags"] == ["老师认真", "内容实用"]  # once each, in the list's order
    assert given["comment"] == "讲得很好" and given["editable"] is True
    await evaluate(client, b["session"], b["code"], comment="")
    assert await _pending(client, a["session"]) == []
    mine = await (await client.get(f"{API}/evaluations", headers=auth(a["session"]))).json()
    assert [e["voucher_code"] for e in mine["items"]] == [a["code"]]


async def test_someone_elses_voucher_is_not_found_and_an_unverified_account_is_refused(client, svc):
    env = await class_ended_env(client, svc, trainees=2)
    a, b = env["trainees"]
    assert (await evaluate(client, a["session"], b["code"], status=404))["error"]["code"] == "not_found"
    _, stranger = await unverified(svc)
    r = await client.get(f"{API}/evaluations/pending", headers=auth(stranger))
    assert (r.status, (await r.json())["error"]["code"]) == (403, "identity_required")
    error = await evaluate(client, stranger, a["code"], status=403)
    assert error["error"]["code"] == "identity_required"


@pytest.mark.parametrize(
    "field, value",
    [
        ("teaching", 0),
        ("usefulness", 6),
        ("organisation", True),
        ("tags", ["不存在的标签"]),
        ("comment", "长" * 201),
        ("voucher_code", "not-a-code"),
    ],
)
async def test_scores_tags_and_comment_are_checked(client, svc, field, value):
    env = await class_ended_env(client, svc)
    [t] = env["trainees"]
    error = await evaluate(client, t["session"], t["code"], status=422, **{field: value})
    assert error["error"]["code"] == "invalid_input"
    assert await Evaluation.all().count() == 0


async def test_a_comment_of_200_characters_is_kept_whole(client, svc):
    env = await class_ended_env(client, svc)
    [t] = env["trainees"]
    given = await evaluate(client, t["session"], t["code"], comment="好" * 200)
    assert given["comment"] == "好" * 200


async def test_once_per_voucher_even_when_sent_twice_at_once(client, svc):
    env = await class_ended_env(client, svc)
    [t] = env["trainees"]
    responses = await asyncio.gather(
        *[
            client.post(f"{API}/evaluations", json=evaluation_body(t["code"], teaching=n), headers=auth(t["session"]))
            for n in range(1, 6)
        ]
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [201, 409, 409, 409, 409]
    for r in responses:
        if r.status == 409:
            assert (await r.json())["error"]["code"] == "already_evaluated"
    assert await Evaluation.all().count() == 1
    again = await evaluate(client, t["session"], t["code"], status=409)
    assert again["error"]["code"] == "already_evaluated"


async def test_editable_for_7_days_then_locked(client, svc, monkeypatch):
    env = await class_ended_env(client, svc)
    [t] = env["trainees"]
    given = await evaluate(client, t["session"], t["code"])
    place = f"{API}/evaluations/{given['id']}"
    first = utcnow()

    def clock(days: float):
        monkeypatch.setattr(miniapp_api.evaluations, "utcnow", lambda: first + timedelta(days=days))

    change = {"teaching": 2, "organisation": 3, "usefulness": 1, "tags": ["课时不足"], "comment": "后来想想课时太少"}
    clock(6.9)
    r = await client.put(place, json=change, headers=auth(t["session"]))
    assert r.status == 200, await r.text()
    edited = await r.json()
    assert (edited["teaching"], edited["tags"], edited["comment"]) == (2, ["课时不足"], "后来想想课时太少")
    assert edited["given_at"] == given["given_at"]  # an edit does not move the 7 days

    clock(7.01)
    r = await client.put(place, json={**change, "teaching": 5}, headers=auth(t["session"]))
    assert (r.status, (await r.json())["error"]["code"]) == (409, "evaluation_locked")
    assert (await Evaluation.get(id=given["id"])).teaching == 2
    mine = await (await client.get(f"{API}/evaluations", headers=auth(t["session"]))).json()
    assert mine["items"][0]["editable"] is False


async def test_only_the_author_can_edit(client, svc):
    env = await class_ended_env(client, svc, trainees=2)
    a, b = env["trainees"]
    given = await evaluate(client, a["session"], a["code"])
    body = {k: v for k, v in evaluation_body(a["code"]).items() if k != "voucher_code"}
    r = await client.put(f"{API}/evaluations/{given['id']}", json=body, headers=auth(b["session"]))
    assert (r.status, (await r.json())["error"]["code"]) == (404, "evaluation_not_found")


async def test_an_annulled_enrolment_leaves_nothing_to_evaluate(client, svc):
    env = await settlement_env(client, svc, trainees=0)
    session, code = await claimed_voucher(client, svc, env["batch"]["id"])
    payload = await voucher_payload(client, session, code)
    answer = await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    r = await client.post(f"{API}/scans/{answer['scan_id']}/annul", headers=auth(env["scanner"]))
    assert r.status == 200, await r.text()
    await class_over(env["class"]["id"])
    assert await _pending(client, session) == []
    assert (await evaluate(client, session, code, status=409))["error"]["code"] == "evaluation_not_yet"
