"""The bureau's voucher export as XLSX: the same rows as the CSV, for people: statuses in
Chinese (the CSV keeps the codes, for tools), every cell text so Excel keeps an 18-digit ID
number whole. Written chunk by chunk into a write-only workbook in a worker thread (openpyxl is
synchronous), saved to a temporary file the caller streams and deletes."""

from __future__ import annotations

import asyncio
import os
import tempfile
from contextlib import aclosing
from pathlib import Path

from vouchers.common.labels import status_label
from vouchers.common.personal_data import PersonalDataKeys
from vouchers.common.spreadsheets import XlsxBook
from vouchers.reporting.export import HEADER, export_rows
from vouchers.reporting.statistics import Period

SHEET = "培训券明细"
STATUS = HEADER.index("状态")


async def export_xlsx(keys: PersonalDataKeys, scope: dict[int, tuple[str, str]], period: Period | None) -> Path:
    """A temporary .xlsx file; the caller deletes it."""
    book = XlsxBook(SHEET)
    async with aclosing(export_rows(keys, scope, period)) as chunks:
        async for rows in chunks:
            await asyncio.to_thread(book.append, [_for_people(row) for row in rows])
    return await asyncio.to_thread(_save, book)


def _for_people(row: list[str]) -> list[str]:
    if row[STATUS] == HEADER[STATUS]:
        return row
    return [*row[:STATUS], status_label(row[STATUS]) or "", *row[STATUS + 1 :]]


def _save(book: XlsxBook) -> Path:
    handle, name = tempfile.mkstemp(prefix="pxq-export-", suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        book.save(path)
    except BaseException:
        path.unlink(missing_ok=True)  # a half-written file of decrypted ID numbers
        raise
    return path
