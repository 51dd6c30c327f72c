"""The bureau's voucher export as XLSX: the same rows as the CSV, written chunk by chunk into a
write-only workbook in a worker thread (openpyxl is synchronous), saved to a temporary file the
caller streams and deletes."""

from __future__ import annotations

import asyncio
import os
import tempfile
from contextlib import aclosing
from pathlib import Path

from vouchers.common.personal_data import PersonalDataKeys
from vouchers.common.spreadsheets import XlsxBook
from vouchers.reporting.export import export_rows
from vouchers.reporting.statistics import Period

SHEET = "培训券明细"


async def export_xlsx(keys: PersonalDataKeys, scope: dict[int, tuple[str, str]], period: Period | None) -> Path:
    """A temporary .xlsx file; the caller deletes it."""
    book = XlsxBook(SHEET)
    async with aclosing(export_rows(keys, scope, period)) as chunks:
        async for rows in chunks:
            await asyncio.to_thread(book.append, rows)
    return await asyncio.to_thread(_save, book)


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
