"""Statistics per region, rolled up the region tree, per period, against the yearly targets;
and the streamed CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from models import Batch
from tests.support.factories import auth, bureau
from tests.support.institutions import API
from tests.support.reporting import wuxi_2021
from tests.support.settlement import decide, passed, settlement_env, submit
from vouchers.reporting import export as export_vouchers


async def _stats(client, token: str, query: str) -> dict:
    r = await client.get(f"{API}/admin/statistics?{query}", headers=auth(token))
    assert r.status == 200, await r.text()
    return await r.json()


async def test_figures_roll_up_the_region_tree_against_the_targets(client, svc):
    data = await wuxi_2021(svc)
    stats = await _stats(client, data["token"], "year=2021")
    wuxi = stats["region"]
    assert (wuxi["code"], wuxi["name"]) == ("320200", "无锡市")
    f = wuxi["figures"]
    assert (f["issued"], f["claimed"], f["enrolled"], f["expired"]) == (6, 3, 1, 1)
    assert (wuxi["issue_target"], wuxi["use_target"]) == (90_000, 9_000)  # Wuxi's 2021 plan
    assert wuxi["issue_rate"] == round(6 / 90_000, 4) and wuxi["use_rate"] == round(1 / 9_000, 4)
    children = {c["code"]: c for c in stats["children"]}
    assert set(children) == {"320281", "320282"}
    assert children["320281"]["figures"]["issued"] == 3 and children["320281"]["figures"]["claimed"] == 0
    assert children["320281"]["issue_target"] == 13_000 and children["320281"]["use_target"] == 1_300
    assert children["320282"]["figures"]["issued"] == 0

    # A month, in local time; the province rolls Wuxi up; a region can be asked for by code.
    january = await _stats(client, data["token"], "year=2021&month=1")
    assert january["region"]["figures"]["issued"] == 4 and january["region"]["figures"]["enrolled"] == 1
    assert (await _stats(client, data["token"], "year=2020"))["region"]["figures"]["issued"] == 1
    jiangyin = await _stats(client, data["token"], "year=2021&region=320281")
    assert jiangyin["region"]["figures"]["issued"] == 3 and jiangyin["children"] == []
    province = await bureau(svc, "js", "320000")
    js = await _stats(client, province, "year=2021")
    assert js["region"]["figures"]["issued"] == 6 and [c["code"] for c in js["children"]] == ["320200"]

    chongqing = await bureau(svc, "cq", "500000")
    r = await client.get(f"{API}/admin/statistics?year=2021&region=320200", headers=auth(chongqing))
    assert r.status == 403
    cq = await _stats(client, chongqing, "year=2021")
    assert cq["region"]["use_target"] == 120_000 and {c["code"]: c["use_target"] for c in cq["children"]} == {
        "500101": 7_000,
        "500119": 500,
        "500154": 9_000,
    }
    r = await client.get(f"{API}/admin/statistics?year=2021&month=13", headers=auth(chongqing))
    assert r.status == 422


async def test_completion_settlement_and_subsidy_paid_are_counted(client, svc):
    env = await settlement_env(client, svc, trainees=2)
    a, b = env["trainees"]
    report = await submit(client, env, [passed(a["code"]), passed(b["code"])])
    assert (await decide(client, env, report["rows"][0]["claim_id"], decision="approve")).status == 200
    stats = await _stats(client, env["bureau"], f"year={datetime.now(UTC).year}")
    f = stats["region"]["figures"]
    assert (f["issued"], f["claimed"], f["enrolled"], f["completed"], f["settled"]) == (2, 2, 2, 2, 1)
    assert f["subsidy_fen"] == 50_000


async def test_export_streams_csv_with_id_numbers_of_my_own_regions_only(client, svc, monkeypatch):
    monkeypatch.setattr(export_vouchers, "CHUNK", 2)  # several chunks even for a few rows
    data = await wuxi_2021(svc)
    r = await client.get(f"{API}/admin/exports/vouchers.csv?year=2021&region=320200", headers=auth(data["token"]))
    assert r.status == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in r.headers
    raw = await r.read()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:7] == ["券码", "批次", "发券地区", "状态", "人员类别", "姓名", "身份证号"]
    body = rows[1:]
    assert len(body) == 6  # 2021 only
    by_code = {row[0]: row for row in body}
    for code, number in data["numbers"].items():
        assert by_code[code][5] == "王小明" and by_code[code][6] == number
    assert {row[2] for row in body} == {"320200", "320281"}

    everything = await client.get(f"{API}/admin/exports/vouchers.csv?all_time=true", headers=auth(data["token"]))
    assert len((await everything.read()).decode("utf-8-sig").strip().splitlines()) == 1 + 7
    url = f"{API}/admin/exports/vouchers.csv?year=2021&region=320281"
    jiangyin = await client.get(url, headers=auth(data["token"]))
    assert {row[2] for row in list(csv.reader(io.StringIO((await jiangyin.read()).decode("utf-8-sig"))))[1:]} == {
        "320281"
    }
    # Another bureau gets nothing decrypted: refused before the first byte.
    chongqing = await bureau(svc, "cq", "500000")
    r = await client.get(f"{API}/admin/exports/vouchers.csv?year=2021&region=320200", headers=auth(chongqing))
    assert r.status == 403 and (await r.json())["error"]["code"] == "out_of_region"
    r = await client.get(f"{API}/admin/exports/vouchers.csv?year=2021", headers=auth(chongqing))
    assert (await r.read()).decode("utf-8-sig").strip().splitlines()[1:] == []


async def test_export_quotes_cells_a_spreadsheet_would_run(client, svc):
    data = await wuxi_2021(svc)
    await Batch.filter(id=data["city"].id).update(title='=HYPERLINK("http://x")')
    r = await client.get(f"{API}/admin/exports/vouchers.csv?year=2021&region=320200", headers=auth(data["token"]))
    rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig"))))[1:]
    assert {row[1] for row in rows if row[2] == "320200"} == {'\'=HYPERLINK("http://x")'}


async def test_a_client_leaving_mid_export_stops_it_quietly(client, svc, monkeypatch, caplog):
    import asyncio

    monkeypatch.setattr(export_vouchers, "CHUNK", 1)
    data = await wuxi_2021(svc)
    sent = []
    original = export_vouchers.export_csv

    async def slow(*args, **kwargs):
        async for chunk in original(*args, **kwargs):
            sent.append(chunk)
            await asyncio.sleep(0.05)
            yield chunk

    monkeypatch.setattr("miniapp_api.statistics.export_csv", slow)
    r = await client.get(f"{API}/admin/exports/vouchers.csv?all_time=true", headers=auth(data["token"]))
    assert r.status == 200
    await r.content.readany()
    r.close()  # the user closed the tab
    await asyncio.sleep(0.5)
    assert len(sent) < 8  # the header and 7 rows: it stopped before the end
    assert "unhandled error" not in caplog.text
