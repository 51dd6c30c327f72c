"""Read an institution's completion and assessment results (CSV or JSON) into rows.

One row per trainee: the voucher code or the ID number, passed or failed, and for a pass the
certificate's kind, number and level. Headers may be English or Chinese; CSV may be UTF-8 or
GBK (Excel on Chinese Windows).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from vouchers.common import errors
from vouchers.common.upload_text import cell_text, decode_upload

MAX_ROWS = 5000  # a class, not a province

_ALIASES = {
    "voucher": "voucher",
    "voucher_code": "voucher",
    "券码": "voucher",
    "培训券编号": "voucher",
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


def parse_completion(raw: bytes, content_type: str) -> list[CompletionRow]:
    if "json" in content_type or raw.lstrip()[:1] in (b"[", b"{"):
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
    columns = [_column(h) for h in header]
    if "voucher" not in columns and "id_number" not in columns:
        raise errors.InvalidInput("缺少券码列或身份证号列（voucher / 券码 / id_number / 身份证号）")
    if "passed" not in columns:
        raise errors.InvalidInput("缺少考核结果列（passed / 考核结果）")
    rows = []
    line = 0
    try:
        for line, values in enumerate(reader, start=1):
            if any(v.strip() for v in values):
                rows.append(CompletionRow(line, {c: cell_text(v) for c, v in zip(columns, values, strict=False) if c}))
            if len(rows) > MAX_ROWS:
                break
    except csv.Error:
        raise errors.InvalidInput(f"CSV 第 {line + 1} 行格式无效") from None
    return rows


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
