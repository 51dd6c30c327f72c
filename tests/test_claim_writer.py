"""Group commit of claims on PostgreSQL: each claimant's outcome is their own, whatever the group."""

from __future__ import annotations

import asyncio
import json

import pytest
from tortoise import connections

from models import Batch, OutboxMessage, Voucher, VoucherHistory
from models.claim_statement import ClaimRow, supports_claim_statement
from tests.factories import bureau, published_batch, regions, trainee
from vouchers import errors
from vouchers.claim import new_voucher_code
from vouchers.claim_writer import ClaimWriter
from vouchers.clock import utcnow


@pytest.fixture
async def setting(client, svc):
    if not supports_claim_statement(connections.get("default")):
        pytest.skip("group commit is the PostgreSQL path; SQLite claims through the ORM")
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token, quantity=3)
    accounts = [(await trainee(svc))[0] for _ in range(5)]
    return batch["id"], accounts


def _row(account) -> ClaimRow:
    now = utcnow()
    return ClaimRow(new_voucher_code(), account.person_id, "失业人员", account.id, now, now, json.dumps({"c": 1}))


async def _write_all(batch_id: int, accounts) -> list[int | str]:
    writer = ClaimWriter()
    db = connections.get("default")

    async def one(account) -> int | str:
        try:
            return await writer.write(db, batch_id, "职业培训券", _row(account))
        except errors.DomainError as exc:
            return exc.code

    return await asyncio.gather(*(one(a) for a in accounts))


async def test_a_group_larger_than_the_stock_fills_it_exactly(setting) -> None:
    batch_id, accounts = setting
    outcomes = await _write_all(batch_id, accounts)
    assert sorted(o for o in outcomes if isinstance(o, str)) == ["sold_out", "sold_out"]
    assert await Voucher.filter(batch_id=batch_id).count() == 3
    assert (await Batch.get(id=batch_id)).remaining == 0
    ids = [o for o in outcomes if isinstance(o, int)]
    assert await VoucherHistory.filter(voucher_id__in=ids, action="claimed").count() == 3
    assert await OutboxMessage.filter(voucher_id__in=ids, kind="voucher_claimed").count() == 3


async def test_one_who_already_holds_a_voucher_does_not_spoil_the_group(setting) -> None:
    batch_id, accounts = setting
    first = await _write_all(batch_id, accounts[:1])
    assert isinstance(first[0], int)
    outcomes = await _write_all(batch_id, accounts[:3])  # the same person again, in a group
    assert outcomes[0] == "already_claimed"
    assert all(isinstance(o, int) for o in outcomes[1:])
    assert (await Batch.get(id=batch_id)).remaining == 0
    vouchers = await Voucher.filter(batch_id=batch_id).values_list("id", "person_id")
    assert sorted(p for _, p in vouchers) == sorted(a.person_id for a in accounts[:3])
    assert {o for o in outcomes[1:]} | {first[0]} == {i for i, _ in vouchers}
