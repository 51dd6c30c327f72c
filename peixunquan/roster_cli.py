"""`peixunquan import-roster FILE --batch ID`: the bureau console's roster import from the
command line, with a progress bar and the same row-by-row report.

Rows are written in chunks, each one transaction. An import that stops half-way (a crash, Ctrl-C,
a database error) keeps the chunks it wrote; running the same command again issues the rest and
skips the persons who already hold a voucher of the batch, saying how many.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from tortoise.exceptions import BaseORMException
from tqdm import tqdm

from peixunquan.config import Config
from peixunquan.runtime import open_services, run

EXIT_REJECTED_ROWS = 3  # the import ran, some rows were refused (listed on stdout)
EXIT_INTERRUPTED = 4  # stopped half-way: what was written stays, run it again to finish


@dataclass
class _Written:
    rows: int = 0  # rows of the file in committed chunks
    total: int = 0


def import_roster_command(config: Config, path: str, batch_id: int, username: str | None) -> int:
    raw = Path(path).read_bytes()
    content_type = "application/json" if path.lower().endswith(".json") else "text/csv"
    written = _Written()

    async def import_file() -> int:
        async with open_services(config) as services:
            return await _import(services, raw, content_type, batch_id, username, written)

    try:
        return run(import_file())
    except KeyboardInterrupt:
        return _interrupted(written, "已取消")
    except BaseORMException as exc:  # the database refused or failed: the written chunks stay
        return _interrupted(written, f"数据库错误：{exc}")


def _interrupted(written: _Written, reason: str) -> int:
    print(
        f"导入中断（{reason}）：已写入 {written.rows} / {written.total} 行。"
        "重新运行同一命令即可继续，已导入的人员会跳过，不会重复发券。",
        file=sys.stderr,
    )
    return EXIT_INTERRUPTED


async def _import(
    services, raw: bytes, content_type: str, batch_id: int, username: str | None, written: _Written
) -> int:
    from models import Batch, BureauUser
    from vouchers.batches.roster_file import parse_roster
    from vouchers.claiming.roster_import import import_roster
    from vouchers.common import errors

    try:
        rows = parse_roster(raw, content_type)
        batch = await Batch.get_or_none(id=batch_id)
        if batch is None:
            raise errors.NotFound("批次不存在")
        # Acts as the named bureau user (region scope applies), by default the batch's creator.
        lookup = {"username": username} if username else {"id": batch.created_by_id}
        user = await BureauUser.get_or_none(**lookup).prefetch_related("region")
        if user is None or not user.active:
            raise errors.NotFound("找不到该人社用户")
        written.total = len(rows)
        bar = tqdm(total=len(rows), unit="行", desc="导入名单", file=sys.stderr)
        bar.set_postfix_str("校验中")

        def progress(done: int, total: int) -> None:
            # Validation is done once the first chunk is written: bad rows are already counted.
            bar.set_postfix_str("写入中")
            written.rows = len(rows) - total + done
            bar.update(written.rows - bar.n)

        try:
            report = await import_roster(services, user, batch_id, rows, progress)
            bar.update(len(rows) - bar.n)
        finally:
            bar.close()
    except errors.DomainError as exc:
        print(f"{exc.code}: {exc.text}", file=sys.stderr)
        return 1
    print(f"共 {report.total} 行：新发放 {report.created}，已存在 {report.unchanged}，未通过 {report.rejected}")
    if report.unchanged:
        print(f"跳过此前已导入的 {report.unchanged} 行（这些人员已持有本批次培训券，不会重复发券）")
    for problem in report.problems:
        print(f"第 {problem.line} 行\t{problem.code}\t{problem.message}")
    if report.problems_not_shown:
        print(f"另有 {report.problems_not_shown} 行未通过，未逐行列出（只列出前 {len(report.problems)} 行）")
    return EXIT_REJECTED_ROWS if report.rejected else 0
