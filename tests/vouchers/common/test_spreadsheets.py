"""The one place where export cells are made inert, and nothing that writes a spreadsheet around it."""

from __future__ import annotations

import csv
import io
import re

import openpyxl

from peixunquan import PROJECT_ROOT
from vouchers.common.spreadsheets import CsvRows, XlsxBook, inert

EDGE_AND_DOMAIN = ("bot", "miniapp_api", "web", "jobs", "vouchers", "platforms", "channels", "models", "peixunquan")
WRITERS = re.compile(r"csv\.writer\(|csv\.DictWriter\(|Workbook\(|xlsxwriter")


def test_formula_text_is_made_inert_and_numbers_stay_numbers():
    for text in ("=1+1", "+1", "-1", "@A1", "\t=1", " =1", "\r=1", "\n=1", "　=1", "＝1+1"):
        assert inert(text) == "'" + text
    for text in ("王小明", "阿卜杜·热西提", "Anna Smith", "2021-03-04", "", "a=b"):
        assert inert(text) == text
    for number in (500, -3, 0, 1.5, -0.25, None):
        assert inert(number) == number


def test_both_writers_neutralise_and_keep_numbers(tmp_path):
    row = ["=1+1", "-2", 500, -3, "320202199003071234"]
    text = CsvRows().render([row])
    assert next(csv.reader(io.StringIO(text))) == ["'=1+1", "'-2", "500", "-3", "320202199003071234"]
    book = XlsxBook("x")
    book.append([row, ["\x01=1+1"]])  # a control character XLSX cannot hold, before a formula
    book.save(tmp_path / "x.xlsx")
    first, second = openpyxl.load_workbook(tmp_path / "x.xlsx").active.iter_rows()
    assert [c.value for c in first] == ["'=1+1", "'-2", 500, -3, "320202199003071234"]
    assert [c.data_type for c in first] == ["s", "s", "n", "n", "s"]
    assert second[0].value == "'=1+1" and second[0].data_type == "s"


def test_no_module_writes_a_spreadsheet_around_the_neutraliser():
    allowed = PROJECT_ROOT / "vouchers" / "common" / "spreadsheets.py"
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for package in EDGE_AND_DOMAIN
        for path in (PROJECT_ROOT / package).rglob("*.py")
        if path != allowed and WRITERS.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
