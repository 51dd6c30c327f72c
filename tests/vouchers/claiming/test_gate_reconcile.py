"""A gate left in Redis by another life of the database (a backup restored next to a Redis that
kept its data) never answers for the database: publishing and the worker's periodic check
reconcile it, and the database wins."""

from __future__ import annotations

from models import Batch
from tests.support.factories import auth, batch_body, bureau, published_batch, regions, trainee
from vouchers.claiming import reconcile_gates as reconcile
from vouchers.claiming.gate import Reservation, _keys
from vouchers.claiming.reconcile_gates import reconcile_gates


async def _stale_gate(svc, batch_id: int, claimants: int) -> None:
    """What Redis kept of the batch that had this id before the restore: sold out."""
    stock_key, members_key = _keys(batch_id)
    await svc.redis.set(stock_key, 0)
    await svc.redis.sadd(members_key, *range(100_000, 100_000 + claimants))


async def _claim(client, svc, batch_id: int):
    _, session = await trainee(svc)
    return await client.post("/api/v1/claims", json={"batch_id": batch_id}, headers=auth(session))


async def test_publishing_over_a_stale_gate_offers_every_unit_the_database_has(client, svc):
    await regions()
    token = await bureau(svc)
    created = await client.post("/api/v1/admin/batches", json=batch_body(quantity=300), headers=auth(token))
    batch = await created.json()
    await _stale_gate(svc, batch["id"], claimants=300)

    published = await client.post(f"/api/v1/admin/batches/{batch['id']}/publish", headers=auth(token))
    assert published.status == 200, await published.text()

    response = await _claim(client, svc, batch["id"])
    assert response.status == 201, await response.text()
    assert (await Batch.get(id=batch["id"])).remaining == 299


async def test_the_periodic_check_replaces_a_gate_that_disagrees_with_the_database(client, svc, monkeypatch):
    await regions()
    batch = await published_batch(client, await bureau(svc), quantity=300)
    await _stale_gate(svc, batch["id"], claimants=300)  # Redis restored from elsewhere
    assert (await _claim(client, svc, batch["id"])).status == 409  # sold_out, wrongly

    # Claims in flight look like this for a moment (reserved in Redis, not committed yet): the
    # check fixes a disagreement it sees again after a grace period.
    monkeypatch.setattr(reconcile, "GRACE_S", 0.0)
    await reconcile_gates(svc)
    await reconcile_gates(svc)

    response = await _claim(client, svc, batch["id"])
    assert response.status == 201, await response.text()
    stock_key, members_key = _keys(batch["id"])
    assert int(await svc.redis.get(stock_key)) == 299
    assert await svc.redis.scard(members_key) == 1


async def test_the_periodic_check_leaves_a_claim_in_flight_alone(client, svc):
    await regions()
    batch = await published_batch(client, await bureau(svc), quantity=5)
    await svc.gate.rebuild(batch["id"])
    # A reservation whose transaction has not committed yet: stock down, member in, no voucher.
    assert await svc.gate.reserve(batch["id"], 424242) is Reservation.RESERVED
    await reconcile_gates(svc)
    await reconcile_gates(svc)  # seen twice, but within the grace period
    stock_key, members_key = _keys(batch["id"])
    assert int(await svc.redis.get(stock_key)) == 4
    assert await svc.redis.sismember(members_key, 424242)
