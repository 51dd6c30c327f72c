"""Outbox delivery: sent once, the next channel when one cannot carry it, retries with backoff,
dead with the reasons, quota pauses, lease take-over, shared rate limits, concurrent workers."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from channels import errors as channel_errors
from jobs.delivery import Attempt, Deliverer, DeliverySettings
from models import OutboxMessage, OutboxStatus
from vouchers.common.clock import local_date, start_of_local_day, utcnow
from vouchers.notices import leases as outbox_leases


async def _rows(n: int, kind: str = "notice") -> list[OutboxMessage]:
    now = utcnow() - timedelta(seconds=1)
    return [await OutboxMessage.create(kind=kind, payload={"i": i}, next_attempt_at=now) for i in range(n)]


def _deliverer(svc, routes, **settings) -> Deliverer:
    return Deliverer(svc.redis, routes, per_second=lambda _c: 1000, settings=DeliverySettings(**settings))


class Channel:
    """A fake platform: records what it was asked to send, fails as told."""

    def __init__(self, name: str, fail: Exception | None = None) -> None:
        self.name = name
        self.fail = fail
        self.sent: list[int] = []

    def attempt(self, message: OutboxMessage, template: str | None = None) -> Attempt:
        async def send(key: str) -> str:
            if self.fail is not None:
                raise self.fail
            self.sent.append(message.id)
            return f"{self.name}-{message.id}"

        return Attempt(self.name, send, template)


async def test_sent_once_with_the_platform_message_id(svc) -> None:
    (row,) = await _rows(1)
    wechat = Channel("wechat_miniapp")

    async def route(m):
        return [wechat.attempt(m)]

    deliverer = _deliverer(svc, {"notice": route})
    assert await deliverer.run() == 1
    assert await deliverer.run() == 0
    stored = await OutboxMessage.get(id=row.id)
    assert (stored.status, stored.channel, stored.message_id) == (
        OutboxStatus.SENT,
        "wechat_miniapp",
        f"wechat_miniapp-{row.id}",
    )
    assert wechat.sent == [row.id]


async def test_no_consent_on_one_channel_goes_through_the_next(svc) -> None:
    (row,) = await _rows(1)
    wechat = Channel("wechat_miniapp", channel_errors.NoConsent(code=43101))
    alipay = Channel("alipay")

    async def route(m):
        return [wechat.attempt(m), alipay.attempt(m)]

    await _deliverer(svc, {"notice": route}).run()
    stored = await OutboxMessage.get(id=row.id)
    assert (stored.status, stored.channel) == (OutboxStatus.SENT, "alipay")


async def test_no_channel_left_is_dead_with_every_reason(svc) -> None:
    (row,) = await _rows(1)
    wechat = Channel("wechat_miniapp", channel_errors.NoConsent(code=43101))
    alipay = Channel("alipay", channel_errors.BadRecipient())

    async def route(m):
        return [wechat.attempt(m), alipay.attempt(m)]

    await _deliverer(svc, {"notice": route}).run()
    stored = await OutboxMessage.get(id=row.id)
    assert stored.status == OutboxStatus.DEAD
    assert "wechat_miniapp:NoConsent(43101)" in stored.last_error and "alipay:BadRecipient" in stored.last_error


async def test_unknown_kind_and_empty_route_are_dead_not_retried(svc) -> None:
    unknown, nobody = await _rows(1, "mystery") + await _rows(1, "nobody")

    async def empty(m):
        return []

    await _deliverer(svc, {"nobody": empty}).run()
    assert (await OutboxMessage.get(id=unknown.id)).last_error == "no_route"
    assert (await OutboxMessage.get(id=nobody.id)).last_error == "no_channel"


async def test_retryable_errors_back_off_then_give_up(svc) -> None:
    (row,) = await _rows(1)
    flaky = Channel("wechat_miniapp", channel_errors.Retryable("system busy", code=-1))

    async def route(m):
        return [flaky.attempt(m)]

    deliverer = _deliverer(svc, {"notice": route}, max_attempts=3, backoff_base_s=10)
    before = utcnow()
    await deliverer.run()
    stored = await OutboxMessage.get(id=row.id)
    assert stored.status == OutboxStatus.PENDING and stored.attempts == 1
    assert before + timedelta(seconds=5) <= stored.next_attempt_at <= utcnow() + timedelta(seconds=10)
    for _ in range(2):  # make it due again, twice
        await OutboxMessage.filter(id=row.id).update(next_attempt_at=utcnow() - timedelta(seconds=1))
        await deliverer.run()
    stored = await OutboxMessage.get(id=row.id)
    assert stored.status == OutboxStatus.DEAD and stored.attempts == 3
    assert "gave up after 3 attempts" in stored.last_error


async def test_quota_exhausted_pauses_the_channel_without_spending_attempts(svc) -> None:
    rows = await _rows(3)
    calls = Counter()

    async def route(m):
        async def send(key: str) -> str:
            calls["send"] += 1
            raise channel_errors.QuotaExhausted(code=45009)

        return [Attempt("wechat_official", send, "tmpl-1")]

    await _deliverer(svc, {"notice": route}).run()
    assert calls["send"] == 1  # the first hit the quota, the others saw the pause
    stored = await OutboxMessage.filter(id__in=[r.id for r in rows])
    assert all(s.status == OutboxStatus.PENDING and s.attempts == 0 for s in stored)
    assert all(s.next_attempt_at > utcnow() for s in stored)


async def test_a_killed_workers_rows_are_taken_over_and_its_late_answer_ignored(svc) -> None:
    rows = await _rows(3)
    killed = await outbox_leases.lease_due("killed-worker", 10, 60, utcnow())
    assert len(killed) == 3
    survivor_channel = Channel("alipay")

    async def route(m):
        return [survivor_channel.attempt(m)]

    survivor = _deliverer(svc, {"notice": route})
    assert await survivor.run() == 0  # still leased
    await OutboxMessage.filter(id__in=[r.id for r in rows]).update(lease_until=utcnow() - timedelta(seconds=1))
    assert await survivor.run() == 3
    assert sorted(survivor_channel.sent) == sorted(r.id for r in rows)
    assert not await outbox_leases.record_sent(killed[0], "killed-worker", "wechat_miniapp", "late", utcnow())
    assert (await OutboxMessage.get(id=rows[0].id)).channel == "alipay"


async def test_two_workers_at_once_send_every_message_exactly_once(svc) -> None:
    await _rows(120)
    sent: Counter[int] = Counter()

    async def route(m):
        async def send(key: str) -> str:
            await asyncio.sleep(0)  # let the other worker run in between
            sent[m.id] += 1
            return key

        return [Attempt("alipay", send)]

    workers = [_deliverer(svc, {"notice": route}, batch_size=7) for _ in range(2)]
    handled = await asyncio.gather(*(w.run() for w in workers))
    assert sum(handled) == 120 and len(sent) == 120 and set(sent.values()) == {1}
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 120


async def test_rate_limit_is_shared_by_workers(svc) -> None:
    await _rows(14)
    windows: list[int] = []

    async def route(m):
        async def send(key: str) -> str:
            return key

        return [Attempt("webhook", send)]

    workers = [
        Deliverer(svc.redis, {"notice": route}, per_second=lambda _c: 5, settings=DeliverySettings(batch_size=2))
        for _ in range(2)
    ]
    for worker in workers:  # the one-second window each send was let through in
        acquire = worker.limiter.acquire

        async def counted(channel: str, acquire=acquire) -> int | None:
            window = await acquire(channel)
            windows.append(window)
            return window

        worker.limiter.acquire = counted
    await asyncio.gather(*(w.run() for w in workers))
    per_window = Counter(windows)
    assert len(windows) == 14 and max(per_window.values()) == 5 and len(per_window) >= 3


def _samples(text: str) -> dict[str, float]:
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line[:1] != "#"}


async def test_metrics_show_claims_outbox_depth_and_deliveries(client, svc) -> None:
    from tests.support.factories import auth, bureau, published_batch, regions, trainee

    await regions()
    batch = await published_batch(client, await bureau(svc), quantity=1)
    before = _samples(await (await client.get("/metrics")).text())
    for _ in range(2):
        _, session = await trainee(svc)
        await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    await _rows(1)

    async def route(m):
        return [Channel("alipay").attempt(m)]

    await _deliverer(svc, {"notice": route}).run()
    after = _samples(await (await client.get("/metrics")).text())

    def grew(name: str) -> float:
        return after.get(name, 0) - before.get(name, 0)

    assert grew('pxq_claims_total{result="issued"}') == 1
    assert grew('pxq_claims_total{result="sold_out"}') == 1
    assert grew('pxq_http_request_duration_seconds_count{method="POST",route="/api/v1/claims",status="4xx"}') == 1
    assert after['pxq_outbox_messages{channel="alipay",status="sent"}'] == 1
    assert after['pxq_outbox_messages{channel="-",status="dead"}'] == 1  # the claim notice: no route here
    assert grew('pxq_deliveries_total{channel="alipay",reason="",result="sent"}') == 1
    assert grew('pxq_deliveries_total{channel="-",reason="no_route",result="dead"}') == 1


async def test_the_server_embeds_a_worker_when_configured(aiohttp_client, config, svc) -> None:
    """`make run` is one process: outbox rows get handled without a separate worker."""
    from dataclasses import replace

    from peixunquan.app import create_app
    from peixunquan.config import WorkerConfig

    embedded = replace(config, worker=WorkerConfig(embedded=True, poll_interval_ms=20))
    await aiohttp_client(create_app(embedded, services=svc, manage_db=False))
    (row,) = await _rows(1, "mystery")
    for _ in range(1500):  # a budget for a loaded machine (30 s), left as soon as the row settles
        # SENDING is the worker holding the row: wait for what it records.
        if (await OutboxMessage.get(id=row.id)).status not in (OutboxStatus.PENDING, OutboxStatus.SENDING):
            break
        await asyncio.sleep(0.02)
    stored = await OutboxMessage.get(id=row.id)
    assert (stored.status, stored.last_error) == (OutboxStatus.DEAD, "no_route")


async def test_a_quota_pause_holds_every_worker_until_local_midnight(svc) -> None:
    """The platform's daily quota is used up at 23:50 Beijing time. The worker that met it pauses
    the template; a second worker (its own Deliverer, sharing only Redis and the database) does not
    ask the platform again before the quota resets at local midnight (16:00 UTC, not 00:00 UTC),
    and sends as soon as it has."""
    day = local_date(utcnow()) + timedelta(days=2)  # ahead of the wall clock: Redis keeps the pause
    evening = start_of_local_day(day) + timedelta(hours=23, minutes=50)
    midnight = start_of_local_day(day + timedelta(days=1))
    assert (midnight.astimezone(UTC).hour, midnight - evening) == (16, timedelta(minutes=10))
    now = [evening]
    asked: list[datetime] = []

    async def route(m):
        async def send(key: str) -> str:
            asked.append(now[0])
            if now[0] < midnight:
                raise channel_errors.QuotaExhausted(code=45009)
            return key

        return [Attempt("wechat_official", send, "tmpl-quota")]

    def worker() -> Deliverer:
        return Deliverer(svc.redis, {"notice": route}, lambda _c: 1000, clock=lambda: now[0])

    first, second = worker(), worker()
    (early,) = await _rows(1)
    assert await first.run() == 1
    assert asked == [evening]
    assert (await OutboxMessage.get(id=early.id)).next_attempt_at == midnight

    now[0] = evening + timedelta(minutes=5)
    (late,) = await _rows(1)
    assert await second.run() == 1  # it takes the new row, sees the pause, asks nobody
    assert asked == [evening]
    stored = await OutboxMessage.get(id=late.id)
    assert (stored.status, stored.attempts, stored.next_attempt_at) == (OutboxStatus.PENDING, 0, midnight)
    now[0] = midnight - timedelta(seconds=1)
    assert await second.run() == 0  # nothing is due before midnight

    now[0] = midnight
    assert await second.run() == 2
    assert asked == [evening, midnight, midnight]
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 2
