"""The statistics' daily rollups (`statistics_day`, kept by PostgreSQL triggers in the transaction
of each change) equal a full recount after a term of real work: claims, a return, enrolments,
scanned and manual check-ins, an annulled one, results filed again after a rejection, approvals,
an evaluation given and changed, a sign-up, an expiry. The statistics the bureau reads from them
are the ones counted from the rows. SQLite keeps no rollups: there statistics count the rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from models import Attendance, SettlementClaim, StatisticsDay, Voucher
from models.database import is_postgres
from peixunquan.worker_setup import build_jobs
from tests.support.catalogue import open_class, signed_up
from tests.support.cli import run_cli
from tests.support.evaluation import evaluate
from tests.support.factories import auth
from tests.support.institutions import API, claimed_voucher
from tests.support.settlement import decide, lesson_started, passed, settlement_env, submit
from vouchers.reporting.rollup_check import rebuild_rollup, rollup_differences
from vouchers.reporting.statistics import Period, counted_figures, rolled_up_figures


@pytest.fixture
def postgres_only(config):
    if not is_postgres(config.database.url):
        pytest.skip("the rollups are kept on PostgreSQL (SQLite counts the rows)")


async def _a_term_of_work(client, svc, config) -> dict:
    env = await settlement_env(client, svc, trainees=3)
    a, b, c = env["trainees"]
    # A manual check-in (补签) for c at a lesson whose window has closed; c's scanned one annulled.
    late = await lesson_started(client, env, minutes_ago=90)
    body = {"lesson_id": late["id"], "voucher_code": c["code"], "reason": "手机没电，已核对身份证"}
    url = f"{API}/institution/classes/{env['class']['id']}/attendance/manual"
    assert (await client.post(url, json=body, headers=auth(env["scanner"]))).status == 201
    await Attendance.filter(voucher__code=c["code"], method="scan").update(annulled_at=datetime.now(UTC))
    # Results: a approved; b rejected, filed again, then approved (b counts once as completed).
    report = await submit(client, env, [passed(a["code"]), passed(b["code"], number="WRONG")])
    claims = {row["voucher_code"]: row["claim_id"] for row in report["rows"]}
    assert (await decide(client, env, claims[a["code"]], decision="approve")).status == 200
    r = await decide(client, env, claims[b["code"]], decision="reject", reason="证书编号与鉴定系统不符")
    assert r.status == 200
    again = await submit(client, env, [passed(b["code"])])
    assert (await decide(client, env, again["rows"][0]["claim_id"], decision="approve")).status == 200
    # a rates the training, then changes the rating.
    given = await evaluate(client, a["session"], a["code"])
    changed = {"teaching": 2, "organisation": 3, "usefulness": 4}
    r = await client.put(f"{API}/evaluations/{given['id']}", json=changed, headers=auth(a["session"]))
    assert r.status == 200, await r.text()
    # A new trainee signs up for the next intake; another gives the voucher back; one expires.
    intake = await open_class(client, env["commissioner"], [env["site"]["id"]], name="下一期")
    session, code = await claimed_voucher(client, svc, env["batch"]["id"])
    await signed_up(client, session, intake["id"], code)
    session, code = await claimed_voucher(client, svc, env["batch"]["id"])
    assert (await client.post(f"{API}/vouchers/{code}/return", headers=auth(session))).status == 200
    _, code = await claimed_voucher(client, svc, env["batch"]["id"])
    await Voucher.filter(code=code).update(valid_until=datetime.now(UTC) - timedelta(minutes=1))
    async with aiohttp.ClientSession() as http:
        [sweep] = [job for job in build_jobs(config, svc, http) if job.name == "sweep"]
        await sweep.run(svc)
    return env


async def test_the_rollups_equal_a_recount_after_a_term_of_work(client, svc, config, postgres_only):
    env = await _a_term_of_work(client, svc, config)
    assert await rollup_differences() == []
    this_year = Period(datetime.now(UTC).year)
    rolled = await rolled_up_figures([env["batch"]["id"]], this_year)
    assert rolled == await counted_figures([env["batch"]["id"]], this_year)
    f = rolled[env["batch"]["id"]]
    # 6 claimed, one given back; 3 enrolled; a and b completed once each and both settled at
    # 500 yuan; 3 scanned check-ins, one annulled, and one manual; 1 sign-up; 1 expired.
    assert (f["issued"], f["claimed"], f["enrolled"], f["completed"], f["settled"]) == (5, 5, 3, 2, 2)
    assert (f["subsidy_fen"], f["checkins"], f["manual_checkins"], f["signups"], f["expired"]) == (
        100_000,
        3,
        1,
        1,
        1,
    )
    assert (f["evaluations"], f["evaluation_points"]) == (1, 9)
    # The bureau's page reads the same figures (the points as the mean score: 9 / 3 = 3.0).
    r = await client.get(f"{API}/admin/statistics?year={this_year.year}", headers=auth(env["bureau"]))
    region = (await r.json())["region"]
    shown = {k: v for k, v in f.items() if k != "evaluation_points"}
    assert {k: region["figures"][k] for k in shown} == shown
    assert region["figures"]["evaluation_score"] == 3.0


async def test_a_damaged_rollup_is_found_and_rebuilt(client, svc, config, postgres_only):
    env = await settlement_env(client, svc, trainees=2)
    await StatisticsDay.filter(batch_id=env["batch"]["id"]).update(issued=7)
    [difference] = await rollup_differences()
    assert (difference.batch_id, difference.figure, difference.kept, difference.counted) == (
        env["batch"]["id"],
        "issued",
        7,
        2,
    )
    assert await rebuild_rollup() >= 1
    assert await rollup_differences() == []


def _cli_env(config) -> dict[str, str]:
    return {"PXQ_DATABASE_URL": config.database.url, "PXQ_REDIS_URL": "memory://cli"}


async def test_verify_statistics_tells_the_operator_and_repairs(client, svc, config, tmp_path, postgres_only):
    env = await settlement_env(client, svc, trainees=1)
    ok = run_cli(tmp_path, "verify-statistics", **_cli_env(config))
    assert ok.returncode == 0 and "一致" in ok.stdout, ok.stderr
    await StatisticsDay.filter(batch_id=env["batch"]["id"]).update(enrolled=0)
    found = run_cli(tmp_path, "verify-statistics", **_cli_env(config))
    assert found.returncode == 1 and "enrolled: 汇总 kept 0, 清点 counted 1" in found.stdout
    assert "--repair" in found.stdout
    repaired = run_cli(tmp_path, "verify-statistics", "--repair", **_cli_env(config))
    assert repaired.returncode == 0 and "已按清点结果重建" in repaired.stdout
    assert await rollup_differences() == []


async def test_on_sqlite_there_is_nothing_to_verify(config, tmp_path, db):
    if is_postgres(config.database.url):
        pytest.skip("SQLite's answer")
    answer = run_cli(tmp_path, "verify-statistics", **_cli_env(config))
    assert answer.returncode == 2 and "只在 PostgreSQL 上维护" in answer.stderr


async def test_a_voucher_filed_again_counts_once_as_completed(client, svc):
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    claim_id = (await submit(client, env, [passed(t["code"], number="WRONG")]))["rows"][0]["claim_id"]
    r = await decide(client, env, claim_id, decision="reject", reason="证书编号与鉴定系统不符")
    assert r.status == 200
    await submit(client, env, [passed(t["code"])])
    assert await SettlementClaim.filter(voucher__code=t["code"]).count() == 2
    r = await client.get(f"{API}/admin/statistics?year={datetime.now(UTC).year}", headers=auth(env["bureau"]))
    assert (await r.json())["region"]["figures"]["completed"] == 1
