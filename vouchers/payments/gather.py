"""Gather approved claims into payment lists (拨付清单), one drafted list per payee and region.

Every approved claim within the scope (a region of the user's, default its own, and below; a
payee kind; an institution's claims) that is on no live list goes onto one. Lists are grouped by
the voucher batch's region and the payee recorded at approval:

- an institution: one list per institution;
- an employer: one list per employer name;
- trainees (paid to their social-security cards' bank accounts): one list per region for all of
  them, a line per claim. A list per trainee would be a transfer order per person; the bank pays
  a batch file anyway, and the XLSX gives each trainee's line with the ID number.

Numbers are `BF-<region>-<yyyymmdd>-<seq>` (local date, a sequence per region and day). The
regions' rows are locked while the lists are built, so two gatherings at once in a region wait
for each other: the second finds the claims already taken and the sequence moved on. The unique
(claim, live) index of the lines is the last guard.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from models import (
    BureauUser,
    ClaimStatus,
    Institution,
    PayeeKind,
    PaymentList,
    PaymentListLine,
    Region,
    SettlementClaim,
)
from vouchers.common import errors
from vouchers.common.clock import local_date, utcnow
from vouchers.identity.bureau_auth import region_in_scope

TRAINEE_PAYEE_NAME = "参训人员社会保障卡银行账户"


@dataclass(frozen=True)
class GatherScope:
    region: str | None = None  # default: the user's own region
    payee_kind: PayeeKind | None = None
    institution_id: int | None = None  # the claims of one training institution


@dataclass(frozen=True)
class _Group:
    region: str
    kind: PayeeKind
    key: str
    institution_id: int | None
    employer_name: str | None


async def gather_lists(user: BureauUser, scope: GatherScope) -> list[PaymentList]:
    region = await region_in_scope(user, scope.region)
    now = utcnow()
    try:
        async with in_transaction() as conn:
            first_look = await _free_claims(region, scope, conn)
            codes = sorted({c.voucher.batch.region_id for c in first_look})
            if not codes:
                return []
            # One gathering per region at a time; then read again what is still free.
            await Region.select_for_update().using_db(conn).filter(code__in=codes).order_by("code")
            claims = await _free_claims(region, scope, conn)
            return await _build_lists(user, claims, now, conn)
    except IntegrityError:  # a claim went onto another list meanwhile (the unique index)
        raise errors.PaymentListBusy() from None


async def _free_claims(region: Region, scope: GatherScope, conn: Any) -> list[SettlementClaim]:
    live = PaymentListLine.filter(live=True).values("claim_id")
    query = SettlementClaim.filter(
        status=ClaimStatus.APPROVED,
        voucher__batch__region__path__startswith=region.path,
    ).exclude(id__in=Subquery(live))
    if scope.payee_kind:
        query = query.filter(payee__kind=scope.payee_kind)
    if scope.institution_id:
        query = query.filter(institution_id=scope.institution_id)
    found = await query.using_db(conn).order_by("id").prefetch_related("voucher__batch", "payee")
    return [c for c in found if c.payee is not None]  # every approval records one


def _group_of(claim: SettlementClaim) -> _Group:
    payee = claim.payee
    region = claim.voucher.batch.region_id
    if payee.kind == PayeeKind.INSTITUTION:
        return _Group(region, payee.kind, f"institution:{payee.institution_id}", payee.institution_id, None)
    if payee.kind == PayeeKind.EMPLOYER:
        return _Group(region, payee.kind, f"employer:{payee.employer_name}", None, payee.employer_name)
    return _Group(region, PayeeKind.TRAINEE, "trainee", None, None)


async def _build_lists(user: BureauUser, claims: list[SettlementClaim], now: datetime, conn: Any) -> list[PaymentList]:
    groups: dict[_Group, list[SettlementClaim]] = defaultdict(list)
    for claim in claims:
        groups[_group_of(claim)].append(claim)
    institution_ids = {g.institution_id for g in groups if g.institution_id}
    names = dict(await Institution.filter(id__in=institution_ids).using_db(conn).values_list("id", "name"))
    day = local_date(now).strftime("%Y%m%d")
    next_seq: dict[str, int] = {}
    made = []
    for group in sorted(groups, key=lambda g: (g.region, g.kind, g.key)):
        members = groups[group]
        prefix = f"BF-{group.region}-{day}-"
        if group.region not in next_seq:
            next_seq[group.region] = await PaymentList.filter(number__startswith=prefix).using_db(conn).count() + 1
        number = f"{prefix}{next_seq[group.region]:03d}"
        next_seq[group.region] += 1
        payment_list = await PaymentList.create(
            number=number,
            region_id=group.region,
            payee_kind=group.kind,
            payee_key=group.key,
            payee_name=_payee_name(group, names),
            institution_id=group.institution_id,
            total_fen=sum(c.payee.amount_fen for c in members),
            line_count=len(members),
            created_by_id=user.id,
            created_at=now,
            using_db=conn,
        )
        lines = [
            PaymentListLine(payment_list_id=payment_list.id, claim_id=c.id, amount_fen=c.payee.amount_fen)
            for c in members
        ]
        await PaymentListLine.bulk_create(lines, using_db=conn)
        made.append(payment_list)
    return made


def _payee_name(group: _Group, institution_names: dict[int, str]) -> str:
    if group.kind == PayeeKind.INSTITUTION:
        return institution_names.get(group.institution_id or 0, "")
    if group.kind == PayeeKind.EMPLOYER:
        return group.employer_name or ""
    return TRAINEE_PAYEE_NAME
