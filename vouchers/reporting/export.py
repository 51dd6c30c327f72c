"""The bureau's voucher export as CSV (and the rows of its XLSX form, `export_xlsx`), produced in
chunks so a province-sized export never sits in memory: keyset pagination on the voucher id (each
chunk one indexed range query), each chunk rendered and handed to the caller before the next is
read.

The export covers the batches of one region of the user's (and the regions below it). ID numbers
and names are decrypted only for those rows, which are the user's own by construction; nothing is
decrypted for a region the user does not cover (the request is refused).

Each chunk reads from the standby where there is one (`models.replica.on_replica`): an export is a
report, as old as the standby's lag. Should the standby fail mid-export, the chunk is read again on
the primary and the export goes on from the same voucher id (the primary is never behind it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import datetime, timedelta

from tortoise.queryset import QuerySet

from models import Batch, BureauUser, Region, Voucher
from models.replica import on_replica
from vouchers.common import errors
from vouchers.common.clock import LOCAL_TZ, local_date
from vouchers.common.personal_data import PersonalDataKeys
from vouchers.common.spreadsheets import CsvRows
from vouchers.identity.bureau_auth import ensure_covers
from vouchers.reporting.statistics import Period

CHUNK = 2000
HEADER = ["券码", "批次", "发券地区", "状态", "人员类别", "姓名", "身份证号", "领取时间", "用券时间", "有效期至（含）"]
_FIELDS = (
    "id",
    "code",
    "batch_id",
    "status",
    "eligible_group",
    "claimed_at",
    "used_at",
    "valid_until",
    "person__id_cipher",
    "person__name_cipher",
)


def _local(moment: datetime | None) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


async def export_scope(user: BureauUser, region_code: str | None) -> dict[int, tuple[str, str]]:
    """Batch id -> (title, region code) of the batches the export covers; refuses other regions."""
    root = await Region.get_or_none(code=region_code) if region_code else user.region
    if root is None:
        raise errors.NotFound("地区不存在")
    ensure_covers(user, root)
    rows = await Batch.filter(region__path__startswith=root.path).values_list("id", "title", "region_id")
    return {batch_id: (title, region) for batch_id, title, region in rows}


async def export_rows(
    keys: PersonalDataKeys, scope: dict[int, tuple[str, str]], period: Period | None
) -> AsyncIterator[list[list[str]]]:
    """The export's rows, one chunk at a time, header first. Cells are as stored: the writers
    (`vouchers.common.spreadsheets`) make them inert."""
    yield [HEADER]
    if not scope:
        return
    query = Voucher.filter(batch_id__in=list(scope))
    if period is not None:
        start, end = period.bounds()
        query = query.filter(claimed_at__gte=start, claimed_at__lt=end)
    last_id = 0
    while True:
        rows = await on_replica(_chunk, query, last_id)
        if not rows:
            return
        chunk = []
        for _id, code, batch_id, status, group, claimed, used, valid_until, id_cipher, name_cipher in rows:
            title, region = scope[batch_id]
            chunk.append(
                [
                    code,
                    title,
                    region,
                    status,
                    group or "",
                    keys.decrypt(name_cipher, b"name"),
                    keys.decrypt(id_cipher, b"id"),
                    _local(claimed),
                    _local(used),
                    local_date(valid_until - timedelta(microseconds=1)).isoformat(),  # the last valid day
                ]
            )
        last_id = rows[-1][0]
        yield chunk
        if len(rows) < CHUNK:
            return


async def _chunk(query: QuerySet[Voucher], after_id: int) -> list[tuple]:
    return await query.filter(id__gt=after_id).order_by("id").limit(CHUNK).values_list(*_FIELDS)


async def export_csv(
    keys: PersonalDataKeys, scope: dict[int, tuple[str, str]], period: Period | None
) -> AsyncIterator[bytes]:
    """UTF-8 CSV with a BOM (Excel on Chinese Windows reads it right), one chunk of rows at a time."""
    sheet = CsvRows()
    bom = "\ufeff"
    async with aclosing(export_rows(keys, scope, period)) as chunks:
        async for rows in chunks:
            yield (bom + sheet.render(rows)).encode()
            bom = ""
