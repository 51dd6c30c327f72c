"""`peixunquan import-roster FILE --batch ID`: the bureau console's roster import from the
command line, with a progress bar and the same row-by-row report."""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from peixunquan.config import Config
from peixunquan.runtime import open_services, run

EXIT_REJECTED_ROWS = 3  # the import ran, some rows were refused (listed on stdout)


def import_roster_command(config: Config, path: str, batch_id: int, username: str | None) -> int:
    raw = Path(path).read_bytes()
    content_type = "application/json" if path.lower().endswith(".json") else "text/csv"

    async def import_file() -> int:
        async with open_services(config) as services:
            return await _import(services, raw, content_type, batch_id, username)

    return run(import_file())


async def _import(services, raw: bytes, content_type: str, batch_id: int, username: str | None) -> int:
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
        bar = tqdm(total=len(rows), unit="行", desc="导入名单", file=sys.stderr)
        bar.set_postfix_str("校验中")

        def progress(done: int, total: int) -> None:
            # Validation is done once the first chunk is written: bad rows are already counted.
            bar.set_postfix_str("写入中")
            bar.update(len(rows) - total + done - bar.n)

        try:
            report = await import_roster(services, user, batch_id, rows, progress)
            bar.update(len(rows) - bar.n)
        finally:
            bar.close()
    except errors.DomainError as exc:
        print(f"{exc.code}: {exc.text}", file=sys.stderr)
        return 1
    print(f"共 {report.total} 行：新发放 {report.created}，已存在 {report.unchanged}，未通过 {len(report.problems)}")
    for problem in report.problems:
        print(f"第 {problem.line} 行\t{problem.code}\t{problem.message}")
    return EXIT_REJECTED_ROWS if report.problems else 0
