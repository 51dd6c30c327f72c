"""Per-process caches (infra.ttl_cache): a miss is loaded once however many ask together, an
entry expires, and a failed, abandoned or forgotten load does not leave a wrong value behind."""

from __future__ import annotations

import asyncio

import pytest

from infra import ttl_cache
from infra.ttl_cache import TtlCache


class Source:
    """Counts loads; a load takes `delay_s` and answers the key with the current version."""

    def __init__(self, delay_s: float = 0.01) -> None:
        self.delay_s = delay_s
        self.loads = 0
        self.version = 1
        self.fail: Exception | None = None

    async def load(self, key: str) -> str:
        self.loads += 1
        version = self.version  # what the database said when the read ran
        await asyncio.sleep(self.delay_s)
        if self.fail is not None:
            raise self.fail
        return f"{key}-v{version}"


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(ttl_cache.time, "monotonic", lambda: now[0])
    return now


async def test_many_misses_at_once_load_once_and_all_get_the_value():
    source = Source()
    cache = TtlCache(source.load, ttl_s=30)
    values = await asyncio.gather(*(cache.get("inst") for _ in range(64)))
    assert values == ["inst-v1"] * 64
    assert source.loads == 1
    assert await cache.get("inst") == "inst-v1"
    assert source.loads == 1


async def test_an_entry_is_read_again_once_it_is_older_than_its_ttl(clock):
    source = Source(delay_s=0)
    cache = TtlCache(source.load, ttl_s=30)
    assert await cache.get("inst") == "inst-v1"
    source.version = 2
    clock[0] += 29
    assert await cache.get("inst") == "inst-v1"
    clock[0] += 2
    assert await cache.get("inst") == "inst-v2"
    assert source.loads == 2


async def test_fresh_answers_only_a_fresh_entry_and_never_loads(clock):
    source = Source(delay_s=0)
    cache = TtlCache(source.load, ttl_s=30)
    assert cache.fresh("inst") is None
    assert source.loads == 0  # asking what is there does not load it
    assert await cache.get("inst") == "inst-v1"
    clock[0] += 29
    assert cache.fresh("inst") == "inst-v1"
    clock[0] += 2
    assert cache.fresh("inst") is None  # stale: the caller must `get` it, which loads it again
    assert await cache.get("inst") == "inst-v1" and source.loads == 2
    cache.forget("inst")
    assert cache.fresh("inst") is None


async def test_a_failed_load_reaches_every_caller_and_the_next_one_loads_again():
    source = Source()
    source.fail = RuntimeError("database down")
    cache = TtlCache(source.load, ttl_s=30)
    results = await asyncio.gather(*(cache.get("inst") for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert source.loads == 1
    source.fail = None
    assert await cache.get("inst") == "inst-v1"
    assert source.loads == 2


async def test_a_caller_that_goes_away_leaves_the_load_to_the_others():
    source = Source(delay_s=0.05)
    cache = TtlCache(source.load, ttl_s=30)
    first = asyncio.ensure_future(cache.get("inst"))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(cache.get("inst"))
    await asyncio.sleep(0)
    first.cancel()
    assert await second == "inst-v1"
    assert first.cancelled()
    assert await cache.get("inst") == "inst-v1"
    assert source.loads == 1


async def test_a_value_read_before_forget_is_not_kept():
    source = Source(delay_s=0.05)
    cache = TtlCache(source.load, ttl_s=30)
    early = asyncio.ensure_future(cache.get("batch"))
    await asyncio.sleep(0.01)  # the read of version 1 is under way
    source.version = 2
    cache.forget("batch")  # e.g. the batch was published
    assert await cache.get("batch") == "batch-v2"
    assert await early == "batch-v1"  # asked before the change: it may hear the old value
    assert await cache.get("batch") == "batch-v2"
    assert source.loads == 2


async def test_a_full_cache_starts_over_instead_of_growing():
    source = Source(delay_s=0)
    cache = TtlCache(source.load, ttl_s=30, max_entries=3)
    for key in "abcd":
        await cache.get(key)
    await cache.get("a")  # dropped when "d" came in
    assert source.loads == 5
