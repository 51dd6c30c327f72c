"""Targeted issuing (定向券): the institution's roster becomes vouchers, claimed automatically.

Persons are matched by ID number. Bad rows are reported with the reason while the good rows go
in, in chunks, each chunk one transaction with the batch row locked so concurrent imports into
one batch cannot oversell. Importing the same file again creates nothing new.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from models import (
    Batch,
    BatchStatus,
    BureauUser,
    DistributionMode,
    OutboxMessage,
    Person,
    Region,
    Voucher,
    VoucherHistory,
    VoucherStatus,
)
from vouchers.batches.import_report import ImportReport
from vouchers.batches.manage import get_batch
from vouchers.batches.roster_file import RosterRow
from vouchers.claiming.claim import new_voucher_code, valid_until_for
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.common.history import Actor, history_row
from vouchers.common.outbox import outbox_row
from vouchers.common.personal_data import normalize_id_number, normalize_name
from vouchers.services import Services

CHUNK = 1000
_PHONE = re.compile(r"^1[0-9]{10}$")


@dataclass
class _Good:
    line: int
    name: str
    id_number: str
    id_hash: str
    phone: str | None
    class_name: str | None


async def import_roster(
    svc: Services,
    user: BureauUser,
    batch_id: int,
    rows: list[RosterRow],
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    batch = await get_batch(user, batch_id)
    if batch.distribution != DistributionMode.TARGETED:
        raise errors.BatchStateConflict("只有定向券批次可以导入名单")
    if batch.status != BatchStatus.PUBLISHED:
        raise errors.BatchStateConflict("请先发布批次再导入名单")
    if valid_until_for(batch, utcnow()) <= utcnow():
        raise errors.BatchStateConflict("该批次培训券有效期已过")
    report = ImportReport(total=len(rows))
    good = await _validate(svc, batch, rows, report)
    actor = Actor("bureau", str(user.id))
    for start in range(0, len(good), CHUNK):
        await _import_chunk(svc, batch, good[start : start + CHUNK], report, actor)
        if progress:
            progress(min(start + CHUNK, len(good)), len(good))
    return report


async def _validate(svc: Services, batch: Batch, rows: list[RosterRow], report: ImportReport) -> list[_Good]:
    usable = await Region.filter(code__in=batch.usable_regions)
    region_paths = (
        {r.code: r.path for r in await Region.all().only("code", "path")}
        if any("region" in r.fields for r in rows)
        else {}
    )
    seen: set[str] = set()
    good = []
    for row in rows:
        try:
            id_number = normalize_id_number(row.fields.get("id_number", ""))
            if not row.fields.get("name"):
                raise errors.NameRequired()
            name = normalize_name(row.fields["name"])
            phone = row.fields.get("phone") or None
            if phone and not _PHONE.match(phone):
                raise errors.InvalidPhone()
            region = row.fields.get("region")
            if region:
                path = region_paths.get(region)
                if path is None or not any(u.covers(path) for u in usable):
                    raise errors.WrongRegion("该人员所在地区不在本批次可用地区内")
            if len(row.fields.get("class_name") or "") > 100:
                raise errors.FieldTooLong("班级名称不能超过100个字符")
            id_hash = svc.keys.id_hash(id_number)
            if id_hash in seen:
                raise errors.DuplicateRow()
        except errors.DomainError as problem:
            report.reject(row.line, problem)
            continue
        seen.add(id_hash)
        good.append(_Good(row.line, name, id_number, id_hash, phone, row.fields.get("class_name") or None))
    return good


async def _import_chunk(svc: Services, batch: Batch, rows: list[_Good], report: ImportReport, actor: Actor) -> None:
    now = utcnow()
    async with in_transaction() as conn:
        locked = await Batch.select_for_update().using_db(conn).get(id=batch.id)
        hashes = [r.id_hash for r in rows]
        persons = {p.id_hash: p for p in await Person.filter(id_hash__in=hashes).using_db(conn)}
        missing = [r for r in rows if r.id_hash not in persons]
        if missing:
            await Person.bulk_create(
                [
                    Person(
                        id_hash=r.id_hash,
                        id_cipher=svc.keys.encrypt(r.id_number, b"id"),
                        name_cipher=svc.keys.encrypt(r.name, b"name"),
                        phone_cipher=svc.keys.encrypt(r.phone, b"phone") if r.phone else None,
                    )
                    for r in missing
                ],
                ignore_conflicts=True,
                using_db=conn,
            )
            persons = {p.id_hash: p for p in await Person.filter(id_hash__in=hashes).using_db(conn)}
        person_ids = [p.id for p in persons.values()]
        holding = set(
            await Voucher.filter(batch_id=batch.id, person_id__in=person_ids)
            .using_db(conn)
            .values_list("person_id", flat=True)
        )
        new_vouchers: list[Voucher] = []
        for row in rows:
            person = persons[row.id_hash]
            if person.id in holding:
                report.unchanged += 1
                continue
            if len(new_vouchers) >= locked.remaining:
                report.reject(row.line, errors.SoldOut("超出本批次发放数量"))
                continue
            new_vouchers.append(
                Voucher(
                    code=new_voucher_code(),
                    batch_id=batch.id,
                    person_id=person.id,
                    status=VoucherStatus.CLAIMED,
                    voucher_type=batch.voucher_type,
                    automatic=True,
                    roster_class=row.class_name,
                    claimed_at=now,
                    valid_until=valid_until_for(batch, now),
                )
            )
            holding.add(person.id)
        if not new_vouchers:
            return
        await Voucher.bulk_create(new_vouchers, using_db=conn)
        # Read the ids back by code: not every backend returns them from a bulk insert.
        created = await Voucher.filter(code__in=[v.code for v in new_vouchers]).using_db(conn)
        await _record_issue(created, actor, now, conn)
        await Batch.filter(id=batch.id).using_db(conn).update(remaining=locked.remaining - len(created))
        report.created += len(created)


async def _record_issue(vouchers: list[Voucher], actor: Actor, now: datetime, conn: Any) -> None:
    """History marked automatic, and an outbox row telling each trainee."""
    await VoucherHistory.bulk_create(
        [history_row(v, "claimed", actor, now, None, automatic=True, detail={"source": "roster"}) for v in vouchers],
        using_db=conn,
    )
    await OutboxMessage.bulk_create(
        [
            outbox_row(
                "voucher_issued", now, person_id=v.person_id, voucher_id=v.id, dedupe_key=f"voucher_issued:{v.id}"
            )
            for v in vouchers
        ],
        using_db=conn,
    )
