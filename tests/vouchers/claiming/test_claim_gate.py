"""The gate's sold-out snapshot answers exactly as the Lua script would, and lets go in time."""

from __future__ import annotations

import asyncio

from vouchers.claiming import gate as claim_gate
from vouchers.claiming.gate import ClaimGate, Reservation

BATCH = 9001


class Clock:
    """The gate's monotonic clock, moved by the test: a snapshot's age is what the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _checks_done(gate: ClaimGate) -> None:
    """Let the background checks the presses started finish (they take no time on the clock)."""
    await asyncio.gather(*list(gate._checking.values()))


async def _sold_out_gate(svc, stock: int = 2, clock: Clock | None = None) -> ClaimGate:
    gate = ClaimGate(svc.redis, clock or Clock())
    await gate.forget(BATCH)
    await svc.redis.set(f"pxq:gate:{{b{BATCH}}}:stock", stock)
    for person in range(1, stock + 1):
        assert await gate.reserve(BATCH, person) is Reservation.RESERVED
    assert await gate.reserve(BATCH, 100) is Reservation.SOLD_OUT
    return gate


def _count_script_calls(gate: ClaimGate, monkeypatch) -> list[int]:
    """A one-item list holding how many times the gate has called its reserve script."""
    calls = [0]
    script = gate._reserve

    async def counting(*args, **kwargs):
        calls[0] += 1
        return await script(*args, **kwargs)

    monkeypatch.setattr(gate, "_reserve", counting)
    return calls


async def test_after_sell_out_winners_hear_already_claimed_and_others_sold_out(svc, monkeypatch) -> None:
    gate = await _sold_out_gate(svc)
    calls = _count_script_calls(gate, monkeypatch)
    answers = await asyncio.gather(*(gate.reserve(BATCH, p) for p in (1, 2, 3, 4, 1)))
    assert answers == [
        Reservation.ALREADY_CLAIMED,
        Reservation.ALREADY_CLAIMED,
        Reservation.SOLD_OUT,
        Reservation.SOLD_OUT,
        Reservation.ALREADY_CLAIMED,
    ]
    assert calls == [0]  # answered from the snapshot, no Redis round trip


async def test_a_released_unit_is_offered_again_at_once(svc) -> None:
    gate = await _sold_out_gate(svc)
    await gate.release(BATCH, 2)  # the claim transaction of person 2 failed
    assert await gate.reserve(BATCH, 2) is Reservation.RESERVED


async def test_stock_returned_elsewhere_is_seen_once_the_snapshot_ends(svc) -> None:
    clock = Clock()
    gate = await _sold_out_gate(svc, clock=clock)
    other_process = ClaimGate(svc.redis)
    await other_process.release(BATCH, 1)
    assert await gate.reserve(BATCH, 7) is Reservation.SOLD_OUT  # still the snapshot
    clock.now += claim_gate.SOLD_OUT_TTL_S
    assert await gate.reserve(BATCH, 7) is Reservation.RESERVED
    assert await gate.reserve(BATCH, 8) is Reservation.SOLD_OUT


async def test_steady_pressing_never_waits_for_redis_and_still_sees_freed_stock(svc, monkeypatch) -> None:
    clock = Clock()
    gate = await _sold_out_gate(svc, clock=clock)
    calls = _count_script_calls(gate, monkeypatch)
    step = claim_gate.SOLD_OUT_TTL_S / 20
    # Three snapshot lifetimes of pressing: renewed in the background each time, never expired.
    for _ in range(60):
        assert await gate.reserve(BATCH, 7) is Reservation.SOLD_OUT
        clock.now += step
        await _checks_done(gate)
    assert calls == [0]

    await ClaimGate(svc.redis).release(BATCH, 1)  # another process's claim of person 1 failed
    answers = []
    for _ in range(60):  # well past one lifetime
        answers.append(await gate.reserve(BATCH, 7))
        if answers[-1] is Reservation.RESERVED:
            break
        clock.now += step
        await _checks_done(gate)
    assert answers[-1] is Reservation.RESERVED
    assert len(answers) <= 13  # half a lifetime (10 presses), the press that checks again, the next


async def test_claims_of_one_turn_share_one_script_call_in_arrival_order(svc, monkeypatch) -> None:
    gate = ClaimGate(svc.redis)
    await gate.forget(BATCH)
    await svc.redis.set(f"pxq:gate:{{b{BATCH}}}:stock", 2)
    calls = _count_script_calls(gate, monkeypatch)
    # Person 1 twice at the same instant (two channels), then three more for the one unit left.
    answers = await asyncio.gather(*(gate.reserve(BATCH, p) for p in (1, 1, 2, 3, 4)))
    assert answers == [
        Reservation.RESERVED,
        Reservation.ALREADY_CLAIMED,
        Reservation.RESERVED,
        Reservation.SOLD_OUT,
        Reservation.SOLD_OUT,
    ]
    assert calls == [1]
    assert int(await svc.redis.get(f"pxq:gate:{{b{BATCH}}}:stock")) == 0
    assert sorted(int(m) for m in await svc.redis.smembers(f"pxq:gate:{{b{BATCH}}}:claimed")) == [1, 2]


async def test_a_claimant_who_left_before_the_answer_gives_the_unit_back(svc) -> None:
    gate = ClaimGate(svc.redis)
    await gate.forget(BATCH)
    await svc.redis.set(f"pxq:gate:{{b{BATCH}}}:stock", 1)
    leaving = asyncio.ensure_future(gate.reserve(BATCH, 1))
    await asyncio.sleep(0)  # queued for this turn's script call
    leaving.cancel()
    for _ in range(50):
        await asyncio.sleep(0.01)
        if not gate._tasks:
            break
    assert int(await svc.redis.get(f"pxq:gate:{{b{BATCH}}}:stock")) == 1
    assert await gate.reserve(BATCH, 2) is Reservation.RESERVED


async def test_an_unloaded_gate_is_rebuilt_once_for_everyone_waiting(svc, monkeypatch) -> None:
    gate = ClaimGate(svc.redis)
    await gate.forget(BATCH)  # no keys: the script answers "not loaded"
    rebuilds = 0

    async def rebuild(batch_id: int) -> None:
        nonlocal rebuilds
        rebuilds += 1
        await svc.redis.set(f"pxq:gate:{{b{batch_id}}}:stock", 3)

    monkeypatch.setattr(gate, "rebuild", rebuild)
    answers = await asyncio.gather(*(gate.reserve(BATCH, p) for p in (1, 2, 3, 4)))
    assert answers.count(Reservation.RESERVED) == 3 and answers[-1] is Reservation.SOLD_OUT
    assert rebuilds == 1
