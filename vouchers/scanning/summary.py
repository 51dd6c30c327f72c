"""The masked summary of a voucher and its holder that a scan answer shows staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.sql.scan_rows import ScannedVoucher
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


class MaskedHolders:
    """One per process, on `Services.masked_holders`: built on the process's keys."""

    def __init__(self, keys: PersonalDataKeys, size: int = MASKED_CACHE_SIZE) -> None:
        self.keys = keys
        self.size = size
        self._masked: dict[tuple[str, str], tuple[str, str]] = {}

    def of(self, name_cipher: str, id_cipher: str) -> tuple[str, str]:
        hit = self._masked.get((name_cipher, id_cipher))
        if hit is None:
            keys = self.keys
            hit = (mask_name(keys.decrypt(name_cipher, b"name")), mask_id_number(keys.decrypt(id_cipher, b"id")))
            if len(self._masked) >= self.size:
                self._masked.clear()
            self._masked[(name_cipher, id_cipher)] = hit
        return hit


def voucher_summary(voucher: ScannedVoucher, holders: MaskedHolders, now: datetime) -> dict[str, Any]:
    batch = voucher.batch
    assert batch is not None
    holder_name, holder_id_number = holders.of(voucher.holder_name_cipher, voucher.holder_id_cipher)
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
