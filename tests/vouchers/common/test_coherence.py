"""Cache changes reach every process through Redis pub/sub (`vouchers.common.coherence`): here two
`Services` on one Redis stand for two processes; tests/e2e/test_coherence_processes.py runs two
real servers."""

from __future__ import annotations

import asyncio

from models import ChannelAccount
from tests.support.factories import trainee
from vouchers.common.coherence import CHANNEL
from vouchers.services import Services

STOPS: dict[asyncio.Task, asyncio.Event] = {}


async def _other_process(svc: Services) -> tuple[Services, asyncio.Task]:
    other = Services(redis=svc.redis, keys=svc.keys, tokens=svc.tokens)
    subscribed, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(other.coherence.listen(stop, subscribed))
    STOPS[task] = stop
    await asyncio.wait_for(subscribed.wait(), 5)
    return other, task


async def _stop(task: asyncio.Task) -> None:
    STOPS.pop(task).set()
    await asyncio.wait_for(task, 5)  # stops by itself, within a poll


async def _until(predicate, within_s: float = 1.0) -> bool:
    deadline = asyncio.get_running_loop().time() + within_s
    while asyncio.get_running_loop().time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.01)
    return predicate()


async def test_a_logout_drops_the_account_in_the_other_process(svc):
    account, _ = await trainee(svc)
    other, task = await _other_process(svc)
    try:
        assert await other.accounts.get(account.id) is not None  # cached there
        await ChannelAccount.filter(id=account.id).update(token_version=7)
        await svc.coherence.forget("accounts", account.id)
        assert await _until(lambda: account.id not in other.accounts._bound)
        assert (await other.accounts.get(account.id)).token_version == 7
    finally:
        await _stop(task)


async def test_unknown_or_malformed_messages_change_nothing(svc):
    account, _ = await trainee(svc)
    other, task = await _other_process(svc)
    try:
        await other.accounts.get(account.id)
        for message in ("nothing:1", "accounts:x", "accounts", ""):
            await svc.redis.publish(CHANNEL, message)
        await svc.redis.publish(CHANNEL, f"accounts:{account.id}")  # after the others: all were read
        assert await _until(lambda: account.id not in other.accounts._bound)
    finally:
        await _stop(task)


async def test_a_subscription_clears_what_may_have_been_missed(svc):
    account, _ = await trainee(svc)
    other = Services(redis=svc.redis, keys=svc.keys, tokens=svc.tokens)
    await other.accounts.get(account.id)
    subscribed, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(other.coherence.listen(stop, subscribed))
    STOPS[task] = stop
    try:
        await asyncio.wait_for(subscribed.wait(), 5)
        assert account.id not in other.accounts._bound
    finally:
        await _stop(task)
