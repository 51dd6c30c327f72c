"""`peixunquan worker` processes: one killed in the middle of a batch; the rows it held are taken
over once their lease ends, and everything else is delivered exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web

from models import Institution, OutboxMessage, OutboxStatus
from peixunquan import PROJECT_ROOT
from tests.support.factories import bureau, regions
from tests.support.institutions import institution
from vouchers.common.clock import utcnow
from vouchers.common.outbox import outbox_row
from vouchers.institutions.webhooks import set_webhook

ROWS = 30


def _worker(config, secret_file: Path, **extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PXQ_")}
    env.update(
        PXQ_DATABASE_URL=config.database.url,
        PXQ_REDIS_URL=config.redis.url if not config.redis.url.startswith("memory://") else "memory://",
        PXQ_SECURITY_SECRET_KEY_FILE=str(secret_file),
        PXQ_WORKER_POLL_INTERVAL_MS="50",
        PXQ_INSTITUTIONS_ALLOW_PRIVATE_WEBHOOKS="true",  # the receiver is on 127.0.0.1
        PYTHONPATH=str(PROJECT_ROOT),
        **extra,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "peixunquan.cli", "worker"],
        cwd=secret_file.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
async def receiver(aiohttp_server):
    keys: Counter[str] = Counter()

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        keys[request.headers["X-Pxq-Delivery"]] += 1
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = await aiohttp_server(app)
    return str(server.make_url("/hook")), keys


async def test_a_killed_worker_leaves_nothing_undelivered_and_nothing_twice(client, svc, config, tmp_path, receiver):
    url, keys = receiver
    await regions()
    inst, _ = await institution(client, await bureau(svc))
    commissioner = await Institution.get(id=inst["id"]).prefetch_related("staff")
    await set_webhook(svc.keys, commissioner.staff[0], url, "a-webhook-secret-long-enough", allow_private=True)
    secret_file = tmp_path / "secret.key"
    secret_file.write_text(config.secret.hex())
    rows = [
        outbox_row("webhook_notice", utcnow(), payload={"institution_id": inst["id"], "event": {"n": i}})
        for i in range(ROWS)
    ]
    await OutboxMessage.bulk_create(rows)

    # Slow enough (5 a second) to be killed in the middle of its batch; short lease to take over.
    settings = {"PXQ_WORKER_WEBHOOK_PER_S": "5", "PXQ_WORKER_LEASE_S": "2", "PXQ_WORKER_BATCH_SIZE": "20"}
    first = _worker(config, secret_file, **settings)
    try:
        # A budget for a loaded machine, where starting the process alone can take many seconds.
        for _ in range(1200):
            if sum(keys.values()) >= 6:
                break
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    assert 0 < sum(keys.values()) < ROWS
    held = await OutboxMessage.filter(status=OutboxStatus.SENDING).count()
    assert held > 0  # the killed worker's lease still holds rows

    second = _worker(config, secret_file, **(settings | {"PXQ_WORKER_WEBHOOK_PER_S": "50"}))
    try:
        for _ in range(1600):  # the same budget
            if await OutboxMessage.filter(status=OutboxStatus.SENT).count() == ROWS:
                break
            await asyncio.sleep(0.05)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == ROWS
    assert len(keys) == ROWS  # every row reached the receiver
    # At most the one message in flight at the kill went twice, with the same delivery key, so
    # the receiver can drop it; every other row went exactly once.
    assert sum(n - 1 for n in keys.values()) <= 1
