"""Read a roster (CSV or JSON) into rows. Header names may be English or Chinese.

CSV is UTF-8 (with or without BOM) or GBK, as exported by Excel on Chinese Windows.
JSON is a list of objects, or `{"rows": [...]}`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from vouchers.common import errors
from vouchers.common.upload_text import cell_text, decode_upload

MAX_ROWS = 200_000

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
    if "json" in content_type or raw.lstrip()[:1] in (b"[", b"{"):
        return _parse_json(raw)
    return _parse_csv(raw)


def _parse_csv(raw: bytes) -> list[RosterRow]:
    reader = csv.reader(io.StringIO(decode_upload(raw)))
    try:
        header = next(reader)
    except StopIteration:
        raise errors.InvalidInput("文件为空") from None
    except csv.Error:
        raise errors.InvalidInput("CSV 格式无效") from None
    columns = [_ALIASES.get(h.strip().lower(), _ALIASES.get(h.strip())) for h in header]
    if "id_number" not in columns:
        raise errors.InvalidInput("缺少身份证号列（id_number / 身份证号）")
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


def _parse_json(raw: bytes) -> list[RosterRow]:
    try:
        data = json.loads(decode_upload(raw))
    except (ValueError, RecursionError):  # bad JSON, over-long integers, deep nesting ([[[[...)
        raise errors.InvalidInput("JSON 格式无效") from None
    if isinstance(data, dict):
        data = data.get("rows")
    if not isinstance(data, list):
        raise errors.InvalidInput("JSON 应为对象数组，或包含 rows 数组的对象")
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
    return rows
