"""Two-level settlement review: a region may need a first (初审) and a second reviewer (复审), two
different bureau users; the setting is inherited down the region tree; one level works as before."""

from __future__ import annotations

import asyncio

from models import Certificate, OutboxMessage, Payee, SettlementClaim, Voucher, VoucherHistory
from tests.support.factories import auth, bureau
from tests.support.institutions import API
from tests.support.settlement import passed, settlement_env, submit

LEVELS = f"{API}/admin/settlement/review-levels"


async def _two_levels(client, env) -> None:
    r = await client.put(LEVELS, json={"region": "320200", "levels": 2}, headers=auth(env["bureau"]))
    assert r.status == 200, await r.text()


async def _decide(client, token: str, claim_id: int, **body):
    return await client.post(f"{API}/admin/settlement/claims/{claim_id}/decision", json=body, headers=auth(token))


async def test_the_second_approval_must_be_another_reviewers_and_settles(client, svc):
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    await _two_levels(client, env)
    second = await bureau(svc, "wuxi-fushen", "320200")
    claim_id = (await submit(client, env, [passed(t["code"])]))["rows"][0]["claim_id"]

    r = await _decide(client, env["bureau"], claim_id, decision="approve")
    assert r.status == 200, await r.text()
    body = await r.json()
    assert body["status"] == "first_approved" and body["review_levels"] == 2
    assert body["first_reviewer"]["name"] == "wuxi" and body["first_reviewed_at"]
    assert body["decided_by"] is None and body["second_reviewer"] is None
    # Nothing settled, paid or told yet.
    voucher = await Voucher.get(code=t["code"])
    assert voucher.status == "completed"
    assert not await Payee.exists(claim_id=claim_id)
    assert not await OutboxMessage.exists(voucher_id=voucher.id, kind__in=["voucher_settled", "institution_settlement"])
    assert await VoucherHistory.exists(voucher_id=voucher.id, action="settlement_first_approved")

    # The first reviewer cannot also be the second, approving or rejecting.
    for decision in ({"decision": "approve"}, {"decision": "reject", "reason": "再看看"}):
        r = await _decide(client, env["bureau"], claim_id, **decision)
        assert r.status == 409
        error = (await r.json())["error"]
        assert error == {"code": "same_reviewer", "message": "复审人不能与初审人为同一人"}
    assert (await SettlementClaim.get(id=claim_id)).status == "first_approved"

    r = await _decide(client, second, claim_id, decision="approve")
    assert r.status == 200, await r.text()
    body = await r.json()
    assert body["status"] == "approved"
    assert body["first_reviewer"]["name"] == "wuxi"
    assert body["second_reviewer"]["name"] == "wuxi-fushen" and body["decided_by"]["name"] == "wuxi-fushen"
    claim = await SettlementClaim.get(id=claim_id)
    assert claim.decided_by_id == body["decided_by"]["id"] and claim.first_reviewer_id == body["first_reviewer"]["id"]
    voucher = await Voucher.get(code=t["code"])
    assert voucher.status == "settled"
    [settled] = await VoucherHistory.filter(voucher_id=voucher.id, action="settled")
    assert settled.detail["first_reviewer_id"] == claim.first_reviewer_id
    assert await Payee.exists(claim_id=claim_id)
    assert await Certificate.exists(person_id=voucher.person_id)
    assert await OutboxMessage.filter(voucher_id=voucher.id, kind="voucher_settled").count() == 1
    # And it is decided: a third click changes nothing.
    r = await _decide(client, second, claim_id, decision="approve")
    assert r.status == 409 and (await r.json())["error"]["code"] == "claim_decided"


async def test_rejection_at_the_second_level_ends_the_claim(client, svc):
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    await _two_levels(client, env)
    second = await bureau(svc, "wuxi-fushen", "320200")
    claim_id = (await submit(client, env, [passed(t["code"])]))["rows"][0]["claim_id"]
    assert (await _decide(client, env["bureau"], claim_id, decision="approve")).status == 200

    r = await _decide(client, second, claim_id, decision="reject", reason="证书编号与鉴定系统不符")
    assert r.status == 200, await r.text()
    body = await r.json()
    assert body["status"] == "rejected" and body["reason"] == "证书编号与鉴定系统不符"
    assert body["second_reviewer"]["name"] == "wuxi-fushen"
    voucher = await Voucher.get(code=t["code"])
    assert voucher.status == "completed"  # the institution may correct and submit again
    notice = await OutboxMessage.get(voucher_id=voucher.id, kind="institution_settlement")
    assert notice.payload["decision"] == "rejected"
    report = await submit(client, env, [passed(t["code"], number="RIGHT")])
    assert report["created"] == 1


async def test_rejection_at_the_first_level_needs_no_second_reviewer(client, svc):
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    await _two_levels(client, env)
    claim_id = (await submit(client, env, [passed(t["code"])]))["rows"][0]["claim_id"]
    r = await _decide(client, env["bureau"], claim_id, decision="reject", reason="材料不全")
    assert r.status == 200 and (await r.json())["status"] == "rejected"
    assert (await Voucher.get(code=t["code"])).status == "completed"


async def test_two_reviewers_deciding_the_second_level_at_once_settle_once(client, svc):
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    await _two_levels(client, env)
    b = await bureau(svc, "wuxi-b", "320200")
    c = await bureau(svc, "wuxi-c", "320200")
    claim_id = (await submit(client, env, [passed(t["code"])]))["rows"][0]["claim_id"]
    assert (await _decide(client, env["bureau"], claim_id, decision="approve")).status == 200
    first, second = await asyncio.gather(
        _decide(client, b, claim_id, decision="approve"), _decide(client, c, claim_id, decision="approve")
    )
    assert sorted([first.status, second.status]) == [200, 409]
    voucher = await Voucher.get(code=t["code"])
    assert await VoucherHistory.filter(voucher_id=voucher.id, action="settled").count() == 1
    assert await Payee.filter(claim_id=claim_id).count() == 1


async def test_one_level_settles_at_the_first_approval_as_before(client, svc):
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    levels = await (await client.get(LEVELS, headers=auth(env["bureau"]))).json()
    assert (levels["region"], levels["levels"], levels["set_at"], levels["settings"]) == ("320200", 1, None, [])
    claim_id = (await submit(client, env, [passed(t["code"])]))["rows"][0]["claim_id"]
    r = await _decide(client, env["bureau"], claim_id, decision="approve")
    body = await r.json()
    assert body["status"] == "approved" and body["review_levels"] == 1
    assert body["first_reviewer"] is None and body["decided_by"]["name"] == "wuxi"
    assert (await Voucher.get(code=t["code"])).status == "settled"


async def test_levels_are_inherited_down_the_region_tree_and_set_within_scope(client, svc):
    env = await settlement_env(client, svc, trainees=0)
    province = await bureau(svc, "jiangsu", "320000")
    r = await client.put(LEVELS, json={"region": "320000", "levels": 2}, headers=auth(province))
    assert r.status == 200, await r.text()
    # Wuxi inherits the province's two levels, then sets its own.
    wuxi = await (await client.get(LEVELS, headers=auth(env["bureau"]))).json()
    assert (wuxi["levels"], wuxi["set_at"]) == (2, "320000")
    r = await client.put(LEVELS, json={"region": "320200", "levels": 1}, headers=auth(env["bureau"]))
    assert (await r.json())["levels"] == 1 and (await r.json())["set_at"] == "320200"
    jiangyin = await (await client.get(LEVELS + "?region=320281", headers=auth(env["bureau"]))).json()
    assert (jiangyin["levels"], jiangyin["set_at"]) == (1, "320200")
    whole = await (await client.get(LEVELS, headers=auth(province))).json()
    assert [(s["region"], s["levels"]) for s in whole["settings"]] == [("320000", 2), ("320200", 1)]

    # Wuxi's bureau cannot set the province's, nor Chongqing's; 3 levels do not exist.
    for body in ({"region": "320000", "levels": 1}, {"region": "500000", "levels": 2}):
        r = await client.put(LEVELS, json=body, headers=auth(env["bureau"]))
        assert r.status == 403, await r.text()
    r = await client.get(LEVELS + "?region=500000", headers=auth(env["bureau"]))
    assert r.status == 403
    r = await client.put(LEVELS, json={"region": "320200", "levels": 3}, headers=auth(env["bureau"]))
    assert r.status == 422


async def test_a_class_decision_applies_the_levels_claim_by_claim(client, svc):
    env = await settlement_env(client, svc, trainees=2)
    a, b = env["trainees"]
    await _two_levels(client, env)
    second = await bureau(svc, "wuxi-fushen", "320200")
    await submit(client, env, [passed(a["code"]), passed(b["code"])])
    url = f"{API}/admin/settlement/classes/{env['class']['id']}/decision"

    r = await client.post(url, json={"decision": "approve"}, headers=auth(env["bureau"]))
    assert [c["status"] for c in (await r.json())["items"]] == ["first_approved", "first_approved"]
    # The same reviewer again: nothing of theirs to decide.
    r = await client.post(url, json={"decision": "approve"}, headers=auth(env["bureau"]))
    assert r.status == 200 and (await r.json())["items"] == []
    r = await client.post(url, json={"decision": "approve"}, headers=auth(second))
    decided = (await r.json())["items"]
    assert [c["status"] for c in decided] == ["approved", "approved"]
    assert {c["second_reviewer"]["name"] for c in decided} == {"wuxi-fushen"}
    for t in (a, b):
        assert (await Voucher.get(code=t["code"])).status == "settled"


async def test_a_first_approved_claim_is_still_open_for_the_institution(client, svc):
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    await _two_levels(client, env)
    claim_id = (await submit(client, env, [passed(t["code"])]))["rows"][0]["claim_id"]
    assert (await _decide(client, env["bureau"], claim_id, decision="approve")).status == 200
    report = await submit(client, env, [passed(t["code"], number="AGAIN")])
    assert [p["code"] for p in report["problems"]] == ["already_submitted"]
    r = await client.get(f"{API}/institution/classes/{env['class']['id']}/claims", headers=auth(env["commissioner"]))
    [item] = (await r.json())["items"]
    assert (item["status"], item["status_text"]) == ("first_approved", "初审通过，待复审")
