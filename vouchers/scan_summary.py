"""The masked summary of a voucher and its holder that a scan answer shows staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import Voucher
from vouchers.personal_data import PersonalDataKeys, mask_id_number
from vouchers.wallet import effective_status


def mask_name(name: str) -> str:
    """王小明 -> 王*明, 李四 -> 李*: enough to recognise the person at the desk, no more."""
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def voucher_summary(voucher: Voucher, keys: PersonalDataKeys, now: datetime) -> dict[str, Any]:
    person = voucher.person
    batch = voucher.batch
    return {
        "code": voucher.code,
        "status": str(effective_status(voucher, now)),
        "title": batch.title,
        "value_mode": str(batch.value_mode),
        "face_value_fen": batch.face_value_fen,
        "project_types": batch.project_types,
        "occupation": batch.occupation,
        "valid_until": voucher.valid_until.isoformat(),
        "holder_name": mask_name(keys.decrypt(person.name_cipher, b"name")),
        "holder_id_number": mask_id_number(keys.decrypt(person.id_cipher, b"id")),
    }
