"""The gate's sold-out snapshot answers exactly as the Lua script would, and lets go in time."""

from __future__ import annotations

import asyncio

from vouchers import claim_gate
from vouchers.claim_gate import ClaimGate, Reservation

BATCH = 9001


async def _sold_out_gate(svc, stock: int = 2) -> ClaimGate:
    gate = ClaimGate(svc.redis)
    await gate.forget(BATCH)
    await svc.redis.set(f"pxq:gate:{{b{BATCH}}}:stock", stock)
    for person in range(1, stock + 1):
        assert await gate.reserve(BATCH, person) is Reservation.RESERVED
    assert await gate.reserve(BATCH, 100) is Reservation.SOLD_OUT
    return gate


async def test_after_sell_out_winners_hear_already_claimed_and_others_sold_out(svc, monkeypatch) -> None:
    gate = await _sold_out_gate(svc)
    calls = 0
    script = gate._reserve

    async def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return await script(*args, **kwargs)

    monkeypatch.setattr(gate, "_reserve", counting)
    answers = await asyncio.gather(*(gate.reserve(BATCH, p) for p in (1, 2, 3, 4, 1)))
    assert answers == [
        Reservation.ALREADY_CLAIMED,
        Reservation.ALREADY_CLAIMED,
        Reservation.SOLD_OUT,
        Reservation.SOLD_OUT,
        Reservation.ALREADY_CLAIMED,
    ]
    assert calls == 0  # answered from the snapshot, no Redis round trip


async def test_a_released_unit_is_offered_again_at_once(svc) -> None:
    gate = await _sold_out_gate(svc)
    await gate.release(BATCH, 2)  # the claim transaction of person 2 failed
    assert await gate.reserve(BATCH, 2) is Reservation.RESERVED


async def test_stock_returned_elsewhere_is_seen_once_the_snapshot_ends(svc, monkeypatch) -> None:
    monkeypatch.setattr(claim_gate, "SOLD_OUT_TTL_S", 0.05)
    gate = await _sold_out_gate(svc)
    other_process = ClaimGate(svc.redis)
    await other_process.release(BATCH, 1)
    assert await gate.reserve(BATCH, 7) is Reservation.SOLD_OUT  # still the snapshot
    await asyncio.sleep(0.06)
    assert await gate.reserve(BATCH, 7) is Reservation.RESERVED
    assert await gate.reserve(BATCH, 8) is Reservation.SOLD_OUT
