"""Group commit of claims on PostgreSQL: each claimant's outcome is their own, whatever the group."""

from __future__ import annotations

import asyncio
import json

import pytest
from tortoise import connections

from models import Batch, OutboxMessage, Voucher, VoucherHistory
from models.database import is_postgres
from models.sql.claim import ClaimRow
from tests.support.factories import bureau, published_batch, regions, trainee
from vouchers.claiming.claim import new_voucher_code
from vouchers.claiming.writer import ClaimWriter
from vouchers.common import errors
from vouchers.common.clock import utcnow


@pytest.fixture
async def setting(client, svc):
    if not is_postgres(connections.get("default")):
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


async def test_when_no_connection_can_be_had_every_waiting_claimant_hears_why() -> None:
    class Unreachable:
        def acquire_connection(self):
            return self

        async def __aenter__(self):
            raise ConnectionRefusedError("database down")

        async def __aexit__(self, *exc) -> None:
            return None

    writer = ClaimWriter()
    rows = [ClaimRow(new_voucher_code(), p, None, p, utcnow(), utcnow(), "{}") for p in (1, 2, 3)]
    outcomes = await asyncio.gather(
        *(writer.write(Unreachable(), 1, "职业培训券", r) for r in rows), return_exceptions=True
    )
    assert all(isinstance(o, ConnectionRefusedError) for o in outcomes)
    assert not writer._writing  # the next claim starts a fresh drain


async def test_after_a_connection_breaks_mid_rush_the_rest_are_written_on_a_fresh_one(setting, monkeypatch) -> None:
    batch_id, accounts = setting
    monkeypatch.setattr("vouchers.claiming.writer.MAX_GROUP", 1)  # one claimant per statement
    real = connections.get("default")
    handed_out = []

    class Broken:
        async def fetchrow(self, *args):
            raise ConnectionResetError("server closed the connection")

    class FirstOneBroken:
        def acquire_connection(self):
            handed_out.append(len(handed_out) == 0)
            return _Lend(real.acquire_connection(), broken=handed_out[-1])

    class _Lend:
        def __init__(self, inner, broken: bool) -> None:
            self.inner, self.broken = inner, broken

        async def __aenter__(self):
            conn = await self.inner.__aenter__()
            return Broken() if self.broken else conn

        async def __aexit__(self, *exc):
            return await self.inner.__aexit__(*exc)

    writer = ClaimWriter()
    rows = [_row(a) for a in accounts[:3]]
    outcomes = await asyncio.gather(
        *(writer.write(FirstOneBroken(), batch_id, "职业培训券", r) for r in rows), return_exceptions=True
    )
    assert isinstance(outcomes[0], ConnectionResetError)  # the group on the broken connection
    assert all(isinstance(o, int) for o in outcomes[1:])  # the others, on the next connection
    assert handed_out == [True, False]
    assert await Voucher.filter(batch_id=batch_id).count() == 2
