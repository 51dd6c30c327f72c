"""`peixunquan verify-history [--voucher CODE]` and `peixunquan history-roots --from D --to D`:
an operator or auditor checks the sealed voucher history, and exports the daily roots to keep
elsewhere (see docs/history.md)."""

from __future__ import annotations

import sys
from datetime import date

from peixunquan.config import Config
from peixunquan.runtime import open_database, run
from vouchers.audit.daily_roots import DailyRoot, daily_roots, roots_csv
from vouchers.audit.history_chain import Report, verify_history
from vouchers.common.errors import DomainError

EXIT_BROKEN = 1  # verify-history found a break

_ENGLISH = {
    "内容被修改": "content altered",
    "前一条记录缺失或被修改": "previous row missing or altered",
    "封存后写入的记录缺少校验值": "seal missing on a row written after sealing began",
}


def verify_history_command(config: Config, voucher_code: str | None) -> int:
    async def verify() -> Report:
        async with open_database(config):
            return await verify_history(voucher_code)

    try:
        report = run(verify())
    except DomainError as exc:
        print(f"{exc.text} ({voucher_code})", file=sys.stderr)
        return 2
    scope = f"培训券 {voucher_code}" if voucher_code else "全部培训券"
    print(f"校验历史记录 / verifying voucher history: {scope}")
    print(f"检查记录 rows checked: {report.checked}；封存前的记录 rows from before sealing: {report.unsealed}")
    if report.intact:
        print("结果：完好，未发现修改或删除 / intact: no row altered or deleted")
        return 0
    print(f"结果：发现 {report.broken_rows} 条记录有问题 / BROKEN: {report.broken_rows} row(s)")
    for b in report.breaks:
        english = _ENGLISH.get(b.problem, "")
        print(f"  记录 history row #{b.history_id}  培训券 voucher {b.voucher_code}  {b.problem} ({english})")
    if len(report.breaks) < report.broken_rows:
        print(f"  ……（只列出前 {len(report.breaks)} 处 / first {len(report.breaks)} listed）")
    return EXIT_BROKEN


def history_roots_command(config: Config, date_from: date, date_to: date) -> int:
    async def roots() -> list[DailyRoot]:
        async with open_database(config):
            return await daily_roots(date_from, date_to)

    try:
        found = run(roots())
    except DomainError as exc:
        print(exc.text, file=sys.stderr)
        return 2
    sys.stdout.write(roots_csv(found, newline="\n"))
    return 0
