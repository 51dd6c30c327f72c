"""Each morning, per institution: its enrolled trainees whose vouchers end within the reminder
window, as one outbox row per institution and local day (the dedupe key makes repeated sweeps
and several workers queue it once)."""

from __future__ import annotations

from datetime import datetime, timedelta

from models import Enrolment, OutboxMessage, VoucherStatus
from vouchers.common.clock import end_of_local_day, local_date
from vouchers.common.outbox import insert_new, outbox_row
from vouchers.common.personal_data import PersonalDataKeys
from vouchers.scanning.summary import mask_name

DIGEST = "institution_digest"


async def schedule_digests(keys: PersonalDataKeys, now: datetime, window_days: int, send_at: datetime) -> int:
    today = local_date(now)
    upper = end_of_local_day(today + timedelta(days=window_days))
    enrolments = (
        await Enrolment.filter(
            annulled_at__isnull=True,
            voucher__status=VoucherStatus.ENROLLED,
            voucher__valid_until__gt=now,
            voucher__valid_until__lte=upper,
        )
        .select_related("voucher__person", "training_class")
        .order_by("voucher__valid_until")
    )
    by_institution: dict[int, list[dict[str, str]]] = {}
    for e in enrolments:
        voucher = e.voucher
        by_institution.setdefault(e.training_class.institution_id, []).append(
            {
                "voucher_code": voucher.code,
                "holder_name": mask_name(keys.decrypt(voucher.person.name_cipher, b"name")),
                "class_name": e.training_class.name,
                "last_day": local_date(voucher.valid_until - timedelta(microseconds=1)).isoformat(),
            }
        )
    keys_wanted = {f"{DIGEST}:{i}:{today.isoformat()}": i for i in by_institution}
    existing = set(await OutboxMessage.filter(dedupe_key__in=list(keys_wanted)).values_list("dedupe_key", flat=True))
    rows = [
        outbox_row(
            DIGEST,
            send_at,
            payload={"institution_id": i, "date": today.isoformat(), "trainees": by_institution[i]},
            dedupe_key=key,
        )
        for key, i in keys_wanted.items()
        if key not in existing
    ]
    await insert_new(rows)
    return len(rows)
