"""Spreadsheets going out (CSV and XLSX): the one place where every text cell is made inert.

A cell a spreadsheet would run as a formula (OWASP "CSV injection": text starting with `=`, `+`,
`-`, `@`, a tab or a carriage return, also behind leading whitespace, which Excel and LibreOffice
skip) gets a leading apostrophe: shown as typed, never evaluated. The full-width forms typed by
Chinese input methods are treated the same. Numbers stay numbers. Every export writes through
`CsvRows` or `XlsxBook`; a test keeps `csv.writer` and openpyxl's Workbook out of other modules.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell

_FORMULA_START = frozenset("=+-@\t\r\n＝＋－＠")
# What may stand before a formula and be skipped or dropped on the way: blanks, control characters
# (a reader or a cleaning step may drop them), no-break, ideographic and zero-width spaces.
_LEADING = "".join(chr(c) for c in range(0x21)) + "\u00a0\u3000\u200b\ufeff"


def inert(value: Any) -> Any:
    """The cell as a spreadsheet shows it but never runs it; anything not text is unchanged."""
    if (
        isinstance(value, str)
        and value
        and (value[0] in _FORMULA_START or value.lstrip(_LEADING)[:1] in _FORMULA_START)
    ):
        return "'" + value
    return value


class CsvRows:
    """Rows rendered to CSV text, chunk by chunk (an export streams its chunks as they come)."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)

    def render(self, rows: Iterable[Iterable[Any]]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerows([inert(cell) for cell in row] for row in rows)
        return self._buffer.getvalue()


class XlsxBook:
    """One sheet, written row by row (openpyxl's write-only mode keeps the rows on disk, not in
    memory) and saved once. Text cells are inert and always text (an ID number stays text).

    With `text_format`, text cells are also formatted as text ("@"), so a number typed over one in
    Excel stays text too, and Decimal amounts show two decimals: for the small sheets people edit
    and sum (payment lists), at the cost of a cell object per cell."""

    def __init__(self, title: str, *, text_format: bool = False) -> None:
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title)
        self._text_format = text_format

    def append(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            cells = [inert(_xlsx_text(cell)) if isinstance(cell, str) else cell for cell in row]
            self._sheet.append([self._formatted(c) for c in cells] if self._text_format else cells)

    def _formatted(self, value: Any) -> Any:
        if isinstance(value, str):
            cell = WriteOnlyCell(self._sheet, value)
            cell.number_format = "@"
            return cell
        if isinstance(value, Decimal):
            cell = WriteOnlyCell(self._sheet, value)
            cell.number_format = "0.00"
            return cell
        return value

    def save(self, path: Path) -> None:
        self._book.save(path)

    def to_bytes(self) -> bytes:
        """For a small sheet (a class's): the whole file in memory."""
        buffer = io.BytesIO()
        self._book.save(buffer)
        return buffer.getvalue()


def _xlsx_text(text: str) -> str:
    # Control characters cannot be stored in XLSX: openpyxl refuses the whole file for one of them.
    return ILLEGAL_CHARACTERS_RE.sub("", text)
