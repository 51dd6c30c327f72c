"""Read a roster (CSV or JSON) into rows. Header names may be English or Chinese.

CSV is UTF-8 (with or without BOM) or GBK, as exported by Excel on Chinese Windows.
JSON is a list of objects, or `{"rows": [...]}`.

A file that is no roster at all (binary, a workbook, a table without an ID number column, JSON
without ID numbers) is refused whole as `not_a_roster`, saying what a roster looks like. Read
row by row, a 10 MB file of garbage would "import" as a hundred thousand bad rows.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from vouchers.common import errors
from vouchers.common.upload_text import cell_text, decode_upload

MAX_ROWS = 200_000
_ZIP = b"PK\x03\x04"  # .xlsx, .docx, .zip
_SNIFF_CHARS = 65_536
EXPECTED = (
    "名单应为 CSV 文件（UTF-8 或 GBK 编码；Excel 表格请“另存为” CSV）或 JSON 对象数组，"
    "首行为表头，须含“身份证号”（id_number）列，定向券名单还须含“姓名”（name）列，"
    "可选“手机号”“班级”“地区代码”“人员类别”。"
)

_ALIASES = {
    "name": "name",
    "姓名": "name",
    "id_number": "id_number",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "证件号码": "id_number",
    "phone": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "联系电话": "phone",
    "class": "class_name",
    "class_name": "class_name",
    "班级": "class_name",
    "培训班": "class_name",
    "region": "region",
    "地区代码": "region",
    "区划代码": "region",
    "group": "group",
    "人员类别": "group",
}


@dataclass(frozen=True)
class RosterRow:
    line: int  # 1-based data row number, as a person counts rows in the file
    fields: dict[str, str]


def parse_roster(raw: bytes, content_type: str) -> list[RosterRow]:
    if raw.startswith(_ZIP):
        raise _not_a_roster("这是 Excel 工作簿或压缩文件，不能直接导入")
    try:
        text = decode_upload(raw)
    except errors.InvalidInput:
        raise _not_a_roster("文件不是文本（可能是图片、压缩包或其他二进制文件）") from None
    if not text.strip():
        raise errors.InvalidInput("文件为空")
    if _looks_binary(text):
        raise _not_a_roster("文件不是文本（可能是图片、压缩包或其他二进制文件）")
    if "json" in content_type or raw.lstrip()[:1] in (b"[", b"{"):
        return _parse_json(text)
    return _parse_csv(text)


def _not_a_roster(reason: str) -> errors.DomainError:
    return errors.NotARoster(f"文件不是人员名单：{reason}。{EXPECTED}")


def _looks_binary(text: str) -> bool:
    """Control characters (other than tab and line ends) in more than a tenth of the head: bytes
    under 0x80 decode as "text" in any encoding. A stray NUL in a cell is still a roster."""
    head = text[:_SNIFF_CHARS]
    controls = sum(1 for ch in head if ch < " " and ch not in "\t\r\n")
    return controls >= 8 and controls * 10 > len(head)


def _parse_csv(text: str) -> list[RosterRow]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise errors.InvalidInput("文件为空") from None
    except csv.Error:
        raise errors.InvalidInput("CSV 格式无效") from None
    columns = [_ALIASES.get(h.strip().lower(), _ALIASES.get(h.strip())) for h in header]
    if "id_number" not in columns:
        raise _not_a_roster("首行表头中没有身份证号列")
    rows = []
    line = 0  # a csv.Error on the first data row (e.g. a field over the size limit) names row 1
    try:
        for line, values in enumerate(reader, start=1):
            if not any(v.strip() for v in values):
                continue
            rows.append(RosterRow(line, {c: cell_text(v) for c, v in zip(columns, values, strict=False) if c}))
            if len(rows) > MAX_ROWS:
                raise errors.PayloadTooLarge(f"名单最多 {MAX_ROWS} 行")
    except csv.Error:
        raise errors.InvalidInput(f"CSV 第 {line + 1} 行格式无效") from None
    return rows


def _parse_json(text: str) -> list[RosterRow]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # bad JSON, over-long integers, deep nesting ([[[[...)
        raise errors.InvalidInput("JSON 格式无效") from None
    if isinstance(data, dict):
        data = data.get("rows")
    if not isinstance(data, list):
        raise _not_a_roster("JSON 应为对象数组，或包含 rows 数组的对象")
    if len(data) > MAX_ROWS:
        raise errors.PayloadTooLarge(f"名单最多 {MAX_ROWS} 行")
    rows = []
    for line, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            rows.append(RosterRow(line, {}))
            continue
        fields = {}
        for key, value in item.items():
            column = _ALIASES.get(str(key).strip().lower(), _ALIASES.get(str(key).strip()))
            if column and isinstance(value, str | int):
                fields[column] = cell_text(str(value))
        rows.append(RosterRow(line, fields))
    if rows and not any("id_number" in row.fields for row in rows):
        raise _not_a_roster("JSON 中没有一项带身份证号（身份证号 / id_number）")
    return rows
