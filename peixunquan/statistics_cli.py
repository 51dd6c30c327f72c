"""`peixunquan verify-statistics [--repair]`: an operator checks that the statistics' daily
rollups (kept by triggers) equal a full recount of the rows, and rebuilds them if not."""

from __future__ import annotations

import sys

from peixunquan.config import Config
from peixunquan.runtime import open_database, run
from vouchers.common.errors import DomainError
from vouchers.reporting.rollup_check import Difference, rebuild_rollup, rollup_differences

EXIT_DIFFERENT = 1


def verify_statistics_command(config: Config, repair: bool) -> int:
    async def check() -> tuple[list[Difference], int | None]:
        async with open_database(config):
            found = await rollup_differences()
            return found, (await rebuild_rollup() if found and repair else None)

    try:
        found, rebuilt = run(check())
    except DomainError as exc:
        print(exc.text, file=sys.stderr)
        return 2
    if not found:
        print("统计汇总与逐条清点一致 / the statistics rollups equal a full recount")
        return 0
    print(f"统计汇总与逐条清点不一致 / rollups differ from a recount ({len(found)} listed):")
    for d in found:
        print(f"  批次 batch {d.batch_id}  {d.day}  {d.figure}: 汇总 kept {d.kept}, 清点 counted {d.counted}")
    if rebuilt is not None:
        print(f"已按清点结果重建汇总表 / rebuilt from the recount: {rebuilt} rows")
        return 0
    print("运行 peixunquan verify-statistics --repair 按清点结果重建 / --repair rebuilds it from the recount")
    return EXIT_DIFFERENT
