"""Read an institution's completion and assessment results (CSV, XLSX or JSON) into rows.

One row per trainee: the voucher code or the ID number, passed or failed, and for a pass the
certificate's kind, number and level. Headers may be English or Chinese; CSV may be UTF-8 or
GBK (Excel on Chinese Windows).

A row's `line` is the row number a spreadsheet shows for it, the header being row 1: blank rows
count, a cell spanning several lines is still one row. For JSON, the item's number (from 1).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from openpyxl import load_workbook

from vouchers.common import errors
from vouchers.common.upload_text import cell_text, decode_upload

MAX_ROWS = 5000  # a class, not a province

_ALIASES = {
    "voucher": "voucher",
    "voucher_code": "voucher",
    "券码": "voucher",
    "培训券编号": "voucher",
    "培训券号": "voucher",
    "券号": "voucher",
    "id_number": "id_number",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "passed": "passed",
    "result": "passed",
    "考核结果": "passed",
    "是否合格": "passed",
    "certificate_kind": "certificate_kind",
    "证书类别": "certificate_kind",
    "证书类型": "certificate_kind",
    "certificate_number": "certificate_number",
    "证书编号": "certificate_number",
    "certificate_level": "certificate_level",
    "level": "certificate_level",
    "等级": "certificate_level",
    "证书等级": "certificate_level",
}
_PASSED = {"passed", "pass", "true", "1", "yes", "合格", "通过", "是"}
_FAILED = {"failed", "fail", "false", "0", "no", "不合格", "未通过", "否"}


@dataclass(frozen=True)
class CompletionRow:
    line: int
    fields: dict[str, str]

    def passed(self) -> bool | None:
        value = self.fields.get("passed", "").strip().lower()
        if value in _PASSED:
            return True
        if value in _FAILED:
            return False
        return None


def _column(header: str) -> str | None:
    return _ALIASES.get(header.strip().lower(), _ALIASES.get(header.strip()))


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def parse_completion(raw: bytes, content_type: str) -> list[CompletionRow]:
    if raw[:4] == b"PK\x03\x04":  # a ZIP: an XLSX workbook, whatever the browser called it
        rows = _parse_xlsx(raw)
    elif "json" in content_type or raw.lstrip()[:1] in (b"[", b"{"):
        rows = _parse_json(raw)
    else:
        rows = _parse_csv(raw)
    if len(rows) > MAX_ROWS:
        raise errors.PayloadTooLarge(f"结业名单最多 {MAX_ROWS} 行")
    return rows


def _parse_csv(raw: bytes) -> list[CompletionRow]:
    reader = csv.reader(io.StringIO(decode_upload(raw)))
    try:
        header = next(reader)
    except StopIteration:
        raise errors.InvalidInput("文件为空") from None
    except csv.Error:
        raise errors.InvalidInput("CSV 格式无效") from None
    columns = _columns(header)
    rows = []
    line = 1
    try:
        for line, values in enumerate(reader, start=2):
            if any(v.strip() for v in values):
                rows.append(CompletionRow(line, {c: cell_text(v) for c, v in zip(columns, values, strict=False) if c}))
            if len(rows) > MAX_ROWS:
                break
    except csv.Error:
        raise errors.InvalidInput(f"CSV 第 {line + 1} 行格式无效") from None
    return rows


def _columns(header: list[str]) -> list[str | None]:
    columns = [_column(str(h or "")) for h in header]
    if "voucher" not in columns and "id_number" not in columns:
        raise errors.InvalidInput("缺少券码列或身份证号列（培训券号 / 券码 / 身份证号码）")
    if "passed" not in columns:
        raise errors.InvalidInput("缺少考核结果列（考核结果）")
    return columns


def _xlsx_cell(value: object) -> str:
    # A number typed into Excel arrives as a float: 5 is "5", not "5.0".
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return cell_text("" if value is None else str(value))


def _parse_xlsx(raw: bytes) -> list[CompletionRow]:
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise errors.InvalidInput("Excel 文件无法读取，请另存为 .xlsx 后重新上传") from None
    try:
        sheet = book.worksheets[0]
        cells = sheet.iter_rows(values_only=True)
        header = next(cells, None)
        if header is None:
            raise errors.InvalidInput("文件为空")
        columns = _columns(list(header))
        rows = []
        for line, values in enumerate(cells, start=2):
            if any(v is not None and str(v).strip() for v in values):
                rows.append(CompletionRow(line, {c: _xlsx_cell(v) for c, v in zip(columns, values, strict=False) if c}))
            if len(rows) > MAX_ROWS:
                break
        return rows
    finally:
        book.close()


def _parse_json(raw: bytes) -> list[CompletionRow]:
    try:
        data = json.loads(decode_upload(raw))
    except (ValueError, RecursionError):
        raise errors.InvalidInput("JSON 格式无效") from None
    if isinstance(data, dict):
        data = data.get("rows")
    if not isinstance(data, list):
        raise errors.InvalidInput("JSON 应为对象数组，或包含 rows 数组的对象")
    rows = []
    for line, item in enumerate(data[: MAX_ROWS + 1], start=1):
        fields: dict[str, str] = {}
        if isinstance(item, dict):
            for key, value in item.items():
                column = _column(str(key))
                if column and isinstance(value, bool):
                    fields[column] = "true" if value else "false"
                elif column and isinstance(value, str | int):
                    fields[column] = cell_text(str(value))
        rows.append(CompletionRow(line, fields))
    return rows
