"""Redis's master fails in the middle of a claim rush, on a real Redis Cluster and a real Sentinel
set-up (tests/support/redis_ha.py, each started for the test alone since it kills a process).

The master holding the batch's gate is killed (SIGKILL, no goodbye): Sentinel promotes the replica,
or the cluster promotes the dead master's replica. Requests meanwhile may be refused with 503
`service_busy` and a message in Chinese, never a 500; a refused trainee who tries again once Redis
answers gets an answer. The database stays the truth: every voucher answered 201 is in it, no
other, nobody holds two, and once the worker's periodic gate check (`reconcile_gates`) has run the
whole stock is issued, however many reservations the failover lost or left behind.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace

import pytest
from tortoise.functions import Count

from models import Batch, Voucher
from peixunquan.config import RedisConfig
from tests.support.factories import auth, bureau, published_batch, regions, trainee
from tests.support.redis_ha import (
    READY_S,
    RedisClusterSetup,
    RedisProcess,
    RedisSentinelSetup,
    skip_or_fail_without_redis_server,
    skip_unless_redis_ha,
    start_cluster,
    start_sentinel,
    wait_until,
)
from vouchers.claiming import reconcile_gates as reconcile
from vouchers.claiming.gate import _keys
from vouchers.common import errors

QUANTITY = 40
PEOPLE = 100
WAVE = 10  # claims sent at once
FAIL_BEFORE_WAVE = 2  # two waves are answered by the old master


pytestmark = skip_unless_redis_ha


@pytest.fixture(params=["cluster", "sentinel"])
def fresh_ha(request, tmp_path):
    skip_or_fail_without_redis_server()
    start = start_cluster if request.param == "cluster" else start_sentinel
    setup = start(tmp_path / "redis")
    yield setup
    setup.stop()


@pytest.fixture
def config(config, fresh_ha):
    return replace(config, redis=RedisConfig(url=fresh_ha.url))


def fail_master(setup: RedisClusterSetup | RedisSentinelSetup, batch_id: int) -> RedisProcess:
    if isinstance(setup, RedisClusterSetup):
        master = setup.master_of(_keys(batch_id)[0])
    else:
        master = setup.current_master()
    master.kill()
    return master


def failed_over(setup: RedisClusterSetup | RedisSentinelSetup, batch_id: int, old: RedisProcess) -> bool:
    if isinstance(setup, RedisClusterSetup):
        return setup.healthy() and setup.master_of(_keys(batch_id)[0]) is not old
    new = setup.current_master()
    return new is not old and new.client().info("replication")["role"] == "master"


@dataclass
class Answer:
    session: str
    status: int
    code: str | None  # the error code, or None when issued
    message: str | None
    voucher: str | None  # the voucher code when issued


async def test_a_master_failing_mid_rush_loses_no_voucher_and_oversells_none(client, svc, fresh_ha, monkeypatch):
    await regions()
    batch = await published_batch(client, await bureau(svc), quantity=QUANTITY)
    sessions = [(await trainee(svc))[1] for _ in range(PEOPLE)]
    answers: list[Answer] = []

    async def claim(session: str) -> Answer:
        response = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
        body = await response.json()
        error = body.get("error", {})
        answer = Answer(session, response.status, error.get("code"), error.get("message"), body.get("code"))
        answers.append(answer)
        return answer

    old_master = None
    for n, start in enumerate(range(0, PEOPLE, WAVE)):
        if n == FAIL_BEFORE_WAVE:
            old_master = await asyncio.to_thread(fail_master, fresh_ha, batch["id"])
        await asyncio.gather(*(claim(s) for s in sessions[start : start + WAVE]))
    assert old_master is not None
    await asyncio.to_thread(wait_until, "failover", lambda: failed_over(fresh_ha, batch["id"], old_master))

    # Whoever was told "busy" tries again until Redis answers them.
    deadline = time.monotonic() + READY_S
    busy = [a.session for a in answers if a.status == 503]
    while busy and time.monotonic() < deadline:
        again = await asyncio.gather(*(claim(s) for s in busy))
        busy = [a.session for a in again if a.status == 503]
        await asyncio.sleep(0.2)
    assert not busy, "Redis answered again, but claims are still refused as busy"

    # The worker's periodic check puts right what the failover lost or left behind in the gate;
    # then whoever heard "sold out" tries once more.
    monkeypatch.setattr(reconcile, "GRACE_S", 0.0)
    for _ in range(2):  # a claim seemingly in flight is replaced only when seen twice
        await reconcile.reconcile_gates(svc)
    sold_out = {a.session for a in answers if a.code == "sold_out"} - {a.session for a in answers if a.voucher}
    await asyncio.gather(*(claim(s) for s in sold_out))

    # Never a 500: issued, a refusal the trainee understands, or busy (in Chinese) during the failover.
    assert {a.status for a in answers} <= {201, 409, 503}
    assert {a.code for a in answers if a.status == 409} <= {"sold_out", "already_claimed"}
    busy_answers = [a for a in answers if a.status == 503]
    assert all(a.code == "service_busy" and a.message == errors.ServiceBusy.message for a in busy_answers)
    # The database holds exactly the vouchers answered 201: none lost, none issued unannounced.
    issued = [a.voucher for a in answers if a.status == 201]
    in_database = await Voucher.filter(batch_id=batch["id"]).values_list("code", flat=True)
    assert sorted(in_database) == sorted(issued)
    # The whole stock, never more, nobody twice.
    assert len(issued) == QUANTITY
    per_person = (
        await Voucher.filter(batch_id=batch["id"])
        .annotate(n=Count("id"))
        .group_by("person_id")
        .values_list("person_id", "n")
    )
    assert all(n == 1 for _, n in per_person)
    assert (await Batch.get(id=batch["id"])).remaining == 0
