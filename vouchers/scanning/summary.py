"""The masked summary of a voucher and its holder that a scan answer shows staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.scan_statements import ScannedVoucher
from vouchers.claiming.wallet import effective_status
from vouchers.common.personal_data import PersonalDataKeys, mask_id_number


def mask_name(name: str) -> str:
    """王小明 -> 王*明, 李四 -> 李*: enough to recognise the person at the desk, no more."""
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# Masked holder fields by ciphertext: a trainee is scanned at every lesson, and two AES-GCM
# decryptions per scan were a visible share of the call. Only the masked text is kept.
MASKED_CACHE_SIZE = 100_000
_masked: dict[tuple[str, str], tuple[str, str]] = {}


def masked_holder(name_cipher: str, id_cipher: str, keys: PersonalDataKeys) -> tuple[str, str]:
    hit = _masked.get((name_cipher, id_cipher))
    if hit is None:
        hit = (mask_name(keys.decrypt(name_cipher, b"name")), mask_id_number(keys.decrypt(id_cipher, b"id")))
        if len(_masked) >= MASKED_CACHE_SIZE:
            _masked.clear()
        _masked[(name_cipher, id_cipher)] = hit
    return hit


def voucher_summary(voucher: ScannedVoucher, keys: PersonalDataKeys, now: datetime) -> dict[str, Any]:
    batch = voucher.batch
    assert batch is not None
    holder_name, holder_id_number = masked_holder(voucher.holder_name_cipher, voucher.holder_id_cipher, keys)
    return {
        "code": voucher.code,
        "status": str(effective_status(voucher, now)),
        "title": batch.title,
        "value_mode": str(batch.value_mode),
        "face_value_fen": batch.face_value_fen,
        "project_types": batch.project_types,
        "occupation": batch.occupation,
        "valid_until": voucher.valid_until.isoformat(),
        "holder_name": holder_name,
        "holder_id_number": holder_id_number,
    }
