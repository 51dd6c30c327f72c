"""Claim a voucher (领券): Redis gate first, then one database transaction.

Never oversell, never two vouchers of one batch for one person (also when the same person
claims from two channels at the same instant). The gate turns losers away without touching
the database; the transaction is the truth (stock `WHERE remaining > 0`, unique(batch, person));
a failed transaction releases the reservation.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from models import (
    Batch,
    BatchStatus,
    ChannelAccount,
    DistributionMode,
    EligibilityEntry,
    Person,
    ValidityMode,
    Voucher,
    VoucherStatus,
)
from models.database import is_postgres
from models.sql.claim import ClaimRow
from vouchers.claiming.declared_group import declare_group
from vouchers.claiming.gate import Reservation
from vouchers.common import errors, policy
from vouchers.common.clock import end_of_local_day, local_date, utcnow
from vouchers.common.history import Actor, history_row
from vouchers.common.outbox import outbox_row
from vouchers.services import Services


def new_voucher_code() -> str:
    """16 characters, no personal data, easy to type from a scan gun: base32 of 80 random bits."""
    return base64.b32encode(secrets.token_bytes(10)).decode()


def valid_until_for(batch: Batch, claimed_at: datetime) -> datetime:
    if batch.validity_mode == ValidityMode.FIXED_DATE:
        assert batch.valid_until_date is not None
        return end_of_local_day(batch.valid_until_date)
    assert batch.valid_days is not None
    # N days of use, the day of claiming the first: a 90-day voucher claimed today has 90 days left.
    return end_of_local_day(local_date(claimed_at) + timedelta(days=batch.valid_days - 1))


def precheck(batch: Batch, now: datetime, group: str | None) -> str | None:
    """Rules that need no database: refuse early. Returns the eligible group to record."""
    if batch.status != BatchStatus.PUBLISHED:
        raise errors.ClaimClosed("该批次培训券未在发放中")
    if batch.distribution == DistributionMode.TARGETED:
        raise errors.TargetedOnly()
    if (batch.claim_start and now < batch.claim_start) or (batch.claim_end and now >= batch.claim_end):
        raise errors.ClaimClosed()
    # N days from claiming (N >= 1) ends at 24:00 today at the earliest; only a fixed end date can have passed.
    if batch.validity_mode == ValidityMode.FIXED_DATE and valid_until_for(batch, now) <= now:
        raise errors.ClaimClosed("该批次培训券有效期已过")
    if batch.requires_eligibility_list:
        if group is not None:
            raise errors.GroupNotDeclarable()
        return None  # the group comes from the bureau's list
    if not batch.eligible_groups:
        return group
    if group is None:
        if len(batch.eligible_groups) == 1:
            return batch.eligible_groups[0]
        raise errors.GroupRequired()
    if group not in batch.eligible_groups:
        raise errors.NotEligible()
    return group


async def claim_voucher(svc: Services, account: ChannelAccount, batch_id: int, group: str | None = None) -> Voucher:
    if account.person_id is None:
        raise errors.IdentityRequired()
    person_id = account.person_id
    batch = await svc.batches.get(batch_id)
    if batch is None:
        raise errors.NotFound("批次不存在")
    now = utcnow()
    group = precheck(batch, now, group)

    gate = svc.gate
    reservation = await gate.reserve(batch.id, person_id)
    if reservation is Reservation.ALREADY_CLAIMED:
        raise await why_held(batch, person_id)
    if reservation is Reservation.SOLD_OUT:
        raise errors.SoldOut()

    try:
        if group is not None and batch.eligible_groups and not batch.requires_eligibility_list:
            await declare_group(svc.keys, person_id, group, batch.id, now)
        return await _claim_in_transaction(svc, account, batch, person_id, group, now)
    except errors.AlreadyClaimed:
        await gate.release(batch.id, person_id, keep_member=True)
        raise await why_held(batch, person_id) from None
    except errors.SoldOut:
        await gate.release(batch.id, person_id)
        await gate.mark_sold_out(batch.id)
        raise
    except BaseException:
        await gate.release(batch.id, person_id)
        raise


async def why_held(batch: Batch, person_id: int) -> errors.DomainError:
    """The refusal for a person the gate or the database counts as a claimant of `batch`: one who
    gave a voucher of it back (退券) is told that, where the batch may not be claimed again."""
    if not batch.allow_reclaim_after_return:
        statuses = await Voucher.filter(batch_id=batch.id, person_id=person_id).values_list("status", flat=True)
        if statuses and all(s == VoucherStatus.RETURNED for s in statuses):
            return errors.ReturnedNotReclaimable()
    return errors.AlreadyClaimed()


async def _claim_in_transaction(
    svc: Services, account: ChannelAccount, batch: Batch, person_id: int, group: str | None, now: datetime
) -> Voucher:
    rule = svc.policy.for_region(batch.region.path)
    scope = svc.policy.scope_of(batch.region.path)
    voucher = Voucher(
        code=new_voucher_code(),
        batch=batch,
        person_id=person_id,
        status=VoucherStatus.CLAIMED,
        voucher_type=batch.voucher_type,
        eligible_group=group,
        claimed_via_id=account.id,
        claimed_at=now,
        valid_until=valid_until_for(batch, now),
    )
    needs_checks = batch.requires_eligibility_list or policy.limits_claims(rule)
    database = connections.get("default")
    if not needs_checks and is_postgres(database):
        # One statement, its own transaction, shared with the other winners of this moment.
        row = ClaimRow(
            code=voucher.code,
            person_id=person_id,
            eligible_group=voucher.eligible_group,
            account_id=account.id,
            claimed_at=now,
            valid_until=voucher.valid_until,
            detail_json=json.dumps({"channel": str(account.channel)}),
        )
        voucher.id = await svc.claim_writer.write(database, batch.id, batch.voucher_type, row)
        return voucher
    async with in_transaction() as conn:
        if needs_checks:
            # Serialises one person's claims so the yearly policy counts cannot race.
            person = await Person.select_for_update().using_db(conn).get(id=person_id)
            if batch.requires_eligibility_list:
                entry = await EligibilityEntry.get_or_none(batch_id=batch.id, id_hash=person.id_hash).using_db(conn)
                if entry is None:
                    raise errors.NotEligible()
                voucher.eligible_group = entry.group
            await policy.check_claim(rule, person_id, batch, now, conn, voucher.valid_until, scope)
        await _write(conn, voucher, account, batch)
    return voucher


async def _write(conn: Any, voucher: Voucher, account: ChannelAccount, batch: Batch) -> None:
    """Voucher, history, outbox and stock in the caller's transaction."""
    actor = Actor("trainee", str(account.id))
    detail = {"channel": str(account.channel)}
    if not batch.allow_reclaim_after_return:
        # The unique index lets a returned voucher's person have another; this batch does not.
        returned = Voucher.filter(batch_id=batch.id, person_id=voucher.person_id, status=VoucherStatus.RETURNED)
        if await returned.using_db(conn).exists():
            raise errors.AlreadyClaimed()
    try:
        await voucher.save(using_db=conn)
    except IntegrityError:
        raise errors.AlreadyClaimed() from None
    await history_row(voucher, "claimed", actor, voucher.claimed_at, None, detail=detail).save(using_db=conn)
    await outbox_row("voucher_claimed", voucher.claimed_at, person_id=voucher.person_id, voucher_id=voucher.id).save(
        using_db=conn
    )
    # Last, so the hot batch row is locked for as short a time as possible.
    taken = (
        await Batch.filter(id=voucher.batch_id, status=BatchStatus.PUBLISHED, remaining__gt=0)
        .using_db(conn)
        .update(remaining=F("remaining") - 1)
    )
    if not taken:
        raise errors.SoldOut()
