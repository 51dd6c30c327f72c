"""The bureau's history API: one voucher's rows, each checked against its seal, and the daily
roots to keep elsewhere (JSON and a CSV download), within the bureau's regions."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from tests.support.factories import auth, bureau
from tests.support.history import execute, history_scenario, reseal_chain, rows_of
from vouchers.common.clock import local_date, utcnow

API = "/api/v1/admin"
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture
async def scenario(client, svc):
    return await history_scenario(client, svc)


async def _history(client, token: str, code: str):
    return await client.get(f"{API}/vouchers/{code}/history", headers=auth(token))


async def test_a_voucher_history_with_labels_seals_and_a_masked_holder(client, scenario):
    r = await _history(client, scenario["bureau"], scenario["enrolled"])
    assert r.status == 200, await r.text()
    body = await r.json()
    assert body["voucher"] == {
        "code": scenario["enrolled"],
        "status": "revoked",
        "status_label": "已作废",
        "batch_id": scenario["batch"]["id"],
        "batch_title": "2026年无锡市职业培训券",
        "holder_name": "王*明",
        "holder_id_number": body["voucher"]["holder_id_number"],
    }
    assert re.fullmatch(r"3202\*{10}\d{3}[\dX]", body["voucher"]["holder_id_number"])
    assert "王小明" not in await r.text()
    assert body["intact"] is True and body["breaks"] == []
    rows = body["rows"]
    assert [(h["action"], h["action_label"], h["from_status_label"], h["to_status_label"]) for h in rows] == [
        ("claimed", "领取", None, "待使用"),
        ("enrolled", "用券报名", "待使用", "已报名"),
        ("revoked", "作废", "已报名", "已作废"),
    ]
    assert all(h["intact"] is True and h["problems"] == [] and HEX64.match(h["row_hash"]) for h in rows)
    assert rows[2]["detail"] == {"reason": "冒名报名，经核实作废"} and rows[2]["actor_kind"] == "bureau"
    assert [h["id"] for h in rows] == sorted(h["id"] for h in rows)


async def test_a_row_edited_in_the_database_is_named_on_the_history(client, scenario):
    _, enrolled, _ = await rows_of(scenario["enrolled"])
    await execute(f"UPDATE voucher_history SET to_status = 'completed' WHERE id = {enrolled.id}")
    body = await (await _history(client, scenario["bureau"], scenario["enrolled"])).json()
    assert body["intact"] is False
    assert body["breaks"] == [{"history_id": enrolled.id, "problem": "内容被修改"}]
    assert [(h["intact"], h["problems"]) for h in body["rows"]] == [(True, []), (False, ["内容被修改"]), (True, [])]
    assert body["rows"][1]["to_status_label"] == "已结业"  # shown as it now reads, flagged
    # The other vouchers are unaffected.
    assert (await (await _history(client, scenario["bureau"], scenario["revoked"])).json())["intact"] is True


async def test_a_deleted_row_names_the_row_after_it(client, scenario):
    _, enrolled, revoked = await rows_of(scenario["enrolled"])
    await execute(f"DELETE FROM voucher_history WHERE id = {enrolled.id}")
    body = await (await _history(client, scenario["bureau"], scenario["enrolled"])).json()
    assert body["breaks"] == [{"history_id": revoked.id, "problem": "前一条记录缺失或被修改"}]


async def test_another_regions_bureau_may_not_read_it_and_unknown_codes_are_404(client, svc, scenario):
    chongqing = await bureau(svc, "cq", "500000")
    jiangyin = await bureau(svc, "jy", "320281")  # below Wuxi: the city's batch is not its own
    for token in (chongqing, jiangyin):
        r = await _history(client, token, scenario["enrolled"])
        assert r.status == 403
        assert (await r.json())["error"]["code"] == "out_of_region"
    jiangsu = await bureau(svc, "js", "320000")
    assert (await _history(client, jiangsu, scenario["enrolled"])).status == 200
    missing = await _history(client, scenario["bureau"], "AAAAAAAAAAAAAAAA")
    assert missing.status == 404
    assert (await client.get(f"{API}/vouchers/{scenario['enrolled']}/history")).status == 401


async def test_daily_roots_as_json_and_as_a_csv_download(client, svc, scenario):
    today = local_date(utcnow()).isoformat()
    r = await client.get(
        f"{API}/history/roots", params={"date_from": today, "date_to": today}, headers=auth(scenario["bureau"])
    )
    assert r.status == 200, await r.text()
    body = await r.json()
    assert body["region"] == "320200"
    [root] = body["roots"]
    assert (root["date"], root["count"], root["complete"]) == (today, 6, False)
    assert HEX64.match(root["root"])

    csv = await client.get(
        f"{API}/history/roots",
        params={"date_from": today, "date_to": today, "format": "csv"},
        headers=auth(scenario["bureau"]),
    )
    assert csv.status == 200
    assert csv.headers["Content-Type"].startswith("text/csv")
    disposition = csv.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "培训券历史日根-320200-" in unquote(disposition.split("filename*=UTF-8''")[1])
    assert (await csv.text()).splitlines() == ["date,count,root", f"{today},6,{root['root']}"]

    # A bureau elsewhere has its own roots: none of Wuxi's rows.
    chongqing = await bureau(svc, "cq", "500000")
    other = await client.get(
        f"{API}/history/roots", params={"date_from": today, "date_to": today}, headers=auth(chongqing)
    )
    assert (await other.json())["roots"][0]["count"] == 0

    # A row edited and its chain re-sealed passes the history check; the root moves.
    _, enrolled, _ = await rows_of(scenario["enrolled"])
    await execute(f"UPDATE voucher_history SET actor_id = '42' WHERE id = {enrolled.id}")
    await reseal_chain(scenario["enrolled"])
    assert (await (await _history(client, scenario["bureau"], scenario["enrolled"])).json())["intact"] is True
    again = await client.get(
        f"{API}/history/roots", params={"date_from": today, "date_to": today}, headers=auth(scenario["bureau"])
    )
    assert (await again.json())["roots"][0]["root"] != root["root"]


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-05-02", "date_to": "2026-05-01"},
        {"date_from": "2024-01-01", "date_to": "2026-01-01"},
        {"date_from": "yesterday"},
        {"format": "xml"},
    ],
)
async def test_a_bad_range_is_422(client, svc, params):
    from tests.support.factories import regions

    await regions()
    token = await bureau(svc)
    r = await client.get(f"{API}/history/roots", params=params, headers=auth(token))
    assert r.status == 422
    assert (await r.json())["error"]["message"]
