"""The settlement queue: filters by institution, class, batch and status, with the count and the
subsidy total of the whole filter across pages, within the reviewer's regions."""

from __future__ import annotations

from tests.support.factories import auth, bureau, published_batch
from tests.support.institutions import API
from tests.support.settlement import class_with_trainees, passed, settlement_env, submit

QUEUE = f"{API}/admin/settlement/claims"


async def _queue(client, token: str, query: str = "") -> dict:
    r = await client.get(f"{QUEUE}?{query}", headers=auth(token))
    assert r.status == 200, await r.text()
    return await r.json()


async def test_filters_and_totals_cover_the_whole_selection(client, svc):
    env = await settlement_env(client, svc, trainees=2)  # 500 yuan vouchers: 50,000 fen each
    a, b = env["trainees"]
    cheaper = await published_batch(client, env["bureau"], title="300元电工券", face_value_fen=30_000)
    other = await class_with_trainees(client, svc, env["bureau"], cheaper["id"], trainees=1)
    [c] = other["trainees"]
    claims = {
        r["voucher_code"]: r["claim_id"]
        for r in (await submit(client, env, [passed(a["code"]), passed(b["code"])]))["rows"]
    }
    claims |= {r["voucher_code"]: r["claim_id"] for r in (await submit(client, other, [passed(c["code"])]))["rows"]}
    token = env["bureau"]
    r = await client.post(f"{QUEUE}/{claims[a['code']]}/decision", json={"decision": "approve"}, headers=auth(token))
    assert r.status == 200

    everything = await _queue(client, token)
    assert (everything["total"], everything["total_subsidy_fen"]) == (3, 130_000)
    by_institution = await _queue(client, token, f"institution_id={other['institution']['id']}")
    assert (by_institution["total"], by_institution["total_subsidy_fen"]) == (1, 30_000)
    assert [i["voucher_code"] for i in by_institution["items"]] == [c["code"]]
    by_class = await _queue(client, token, f"class_id={env['class']['id']}")
    assert sorted(i["voucher_code"] for i in by_class["items"]) == sorted([a["code"], b["code"]])
    by_batch = await _queue(client, token, f"batch_id={cheaper['id']}")
    assert (by_batch["total"], [i["voucher_code"] for i in by_batch["items"]]) == (1, [c["code"]])
    pending = await _queue(client, token, "status=pending")
    assert (pending["total"], pending["total_subsidy_fen"]) == (2, 80_000)
    approved = await _queue(client, token, f"status=approved&class_id={env['class']['id']}")
    assert (approved["total"], approved["total_subsidy_fen"]) == (1, 50_000)
    assert approved["items"][0]["decided_by"]["name"] == "wuxi"

    # A page of one still counts the whole selection.
    page = await _queue(client, token, "limit=1&offset=1")
    assert (len(page["items"]), page["total"], page["total_subsidy_fen"], page["offset"]) == (1, 3, 130_000, 1)
    nothing = await _queue(client, token, "batch_id=999999")
    assert (nothing["items"], nothing["total"], nothing["total_subsidy_fen"]) == ([], 0, 0)

    # With two levels, a first approval shows under its own status.
    r = await client.put(
        f"{API}/admin/settlement/review-levels", json={"region": "320200", "levels": 2}, headers=auth(token)
    )
    assert r.status == 200
    r = await client.post(f"{QUEUE}/{claims[b['code']]}/decision", json={"decision": "approve"}, headers=auth(token))
    assert (await r.json())["status"] == "first_approved"
    first = await _queue(client, token, "status=first_approved")
    assert (first["total"], [i["voucher_code"] for i in first["items"]]) == (1, [b["code"]])
    assert first["items"][0]["review_levels"] == 2

    # Another region's reviewer sees none of it; a bad status is a 422.
    chongqing = await bureau(svc, "cq", "500000")
    assert (await _queue(client, chongqing))["total"] == 0
    r = await client.get(f"{QUEUE}?status=paid", headers=auth(token))
    assert r.status == 422
