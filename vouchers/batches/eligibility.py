"""The bureau's pre-selection (data matching): only listed people may claim such a batch."""

from __future__ import annotations

from models import BureauUser, EligibilityEntry
from vouchers.batches.import_report import ImportReport
from vouchers.batches.manage import get_batch
from vouchers.batches.roster_file import RosterRow
from vouchers.common import errors
from vouchers.common.personal_data import normalize_id_number
from vouchers.services import Services


async def import_eligibility(svc: Services, user: BureauUser, batch_id: int, rows: list[RosterRow]) -> ImportReport:
    batch = await get_batch(user, batch_id)
    if not batch.requires_eligibility_list:
        raise errors.BatchStateConflict("该批次不需要资格名单")
    report = ImportReport(total=len(rows))
    entries: dict[str, tuple[int, str | None]] = {}
    for row in rows:
        try:
            id_hash = svc.keys.id_hash(normalize_id_number(row.fields.get("id_number", "")))
            group = row.fields.get("group") or None
            if group is not None and len(group) > 32:
                raise errors.FieldTooLong("人员类别不能超过32个字符")
            if batch.eligible_groups and group is not None and group not in batch.eligible_groups:
                raise errors.NotEligible("人员类别不在本批次的发放对象中")
            if group is None and len(batch.eligible_groups) == 1:
                group = batch.eligible_groups[0]
        except errors.DomainError as problem:
            report.reject(row.line, problem)
            continue
        entries.setdefault(id_hash, (row.line, group))
    existing = set(
        await EligibilityEntry.filter(batch_id=batch.id, id_hash__in=list(entries)).values_list("id_hash", flat=True)
    )
    new = [
        EligibilityEntry(batch_id=batch.id, id_hash=h, group=g) for h, (_, g) in entries.items() if h not in existing
    ]
    await EligibilityEntry.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    report.created = len(new)
    report.unchanged = len(rows) - report.rejected - len(new)
    return report
