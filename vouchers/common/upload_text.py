"""Text out of an uploaded spreadsheet or JSON file, as the bureau's and institutions' tools
export it."""

from __future__ import annotations

from vouchers.common import errors


def decode_upload(raw: bytes) -> str:
    """UTF-8 (with or without a BOM) or GB18030, which Excel on Chinese Windows saves."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise errors.InvalidInput("文件编码无法识别，请使用 UTF-8 或 GBK")


def cell_text(value: str) -> str:
    """NUL and lone surrogates (JSON "\\u0000", "\\ud800") cannot be stored in PostgreSQL text or
    encoded as UTF-8: unchecked, one such class name turns the whole import into a 500."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8").strip()
