"""`peixunquan verify-history` and `peixunquan history-roots`, run as an operator would, on the
suite's database: exit 0 while the history is intact, 1 naming the row once one is edited."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.history import execute, history_scenario, rows_of
from vouchers.audit.daily_roots import daily_roots
from vouchers.common.clock import local_date, utcnow


async def _cli(tmp_path: Path, database_url: str, *args: str):
    return await asyncio.to_thread(run_cli, tmp_path, *args, PXQ_DATABASE_URL=database_url)


async def test_verify_history_exits_1_naming_an_edited_row(client, svc, database_url, tmp_path):
    scenario = await history_scenario(client, svc)

    intact = await _cli(tmp_path, database_url, "verify-history")
    assert intact.returncode == 0, intact.stderr
    assert "rows checked: 6" in intact.stdout and "完好" in intact.stdout

    _, enrolled, _ = await rows_of(scenario["enrolled"])
    await execute(f"UPDATE voucher_history SET to_status = 'settled' WHERE id = {enrolled.id}")
    broken = await _cli(tmp_path, database_url, "verify-history")
    assert broken.returncode == 1, broken.stderr
    [line] = [line for line in broken.stdout.splitlines() if "内容被修改" in line]
    assert f"#{enrolled.id} " in line and scenario["enrolled"] in line

    one = await _cli(tmp_path, database_url, "verify-history", "--voucher", scenario["revoked"])
    assert one.returncode == 0 and "rows checked: 2" in one.stdout
    unknown = await _cli(tmp_path, database_url, "verify-history", "--voucher", "AAAAAAAAAAAAAAAA")
    assert unknown.returncode == 2 and "培训券不存在" in unknown.stderr


async def test_history_roots_prints_csv(client, svc, database_url, tmp_path):
    await history_scenario(client, svc)
    today = local_date(utcnow())
    done = await _cli(tmp_path, database_url, "history-roots", "--from", today.isoformat(), "--to", today.isoformat())
    assert done.returncode == 0, done.stderr
    [root] = await daily_roots(today, today)
    assert done.stdout.splitlines() == ["date,count,root", f"{today.isoformat()},6,{root.root}"]
    backwards = await _cli(tmp_path, database_url, "history-roots", "--from", "2026-05-02", "--to", "2026-05-01")
    assert backwards.returncode == 2 and "结束日期不能早于开始日期" in backwards.stderr
