"""GET /metrics in Prometheus text format, and the in-process counters behind it.

Counted here (this process): requests by route with their latency, claims by result. Read at
scrape time from the shared stores: outbox depth by status and channel (database) and sends and
failures by channel and reason (Redis, counted by every worker).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, Metric
from tortoise.functions import Count

from models import OutboxMessage
from peixunquan.appkeys import SERVICES

disable_created_metrics()  # no `*_created` timestamp series next to every counter
REGISTRY = CollectorRegistry(auto_describe=True)
REQUEST_SECONDS = Histogram(
    "pxq_http_request_duration_seconds",
    "HTTP request latency by route",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
CLAIMS = Counter(
    "pxq_claims_total", "Claim attempts by result (issued or the error code)", ["result"], registry=REGISTRY
)
SCANS = Counter("pxq_scans_total", "Institution scans by action and result", ["action", "result"], registry=REGISTRY)


@web.middleware
async def latency_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    route = request.match_info.route.resource
    key = (request.method, route.canonical if route is not None else "unmatched", response.status // 100)
    series = _series.get(key)
    if series is None:
        series = _series[key] = REQUEST_SECONDS.labels(key[0], key[1], f"{key[2]}xx")
    series.observe(time.perf_counter() - started)
    return response


# The labelled series by (method, route, status class): routes are a fixed set, so this stays
# small, and `labels()` (a lock and a key built from strings) is skipped on every request.
_series: dict[tuple[str, str, int], Any] = {}


class _Fixed:
    """A collector for values read before the scrape (prometheus_client collects synchronously)."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> list[Metric]:
        return self._families


async def metrics(request: web.Request) -> web.Response:
    scrape = CollectorRegistry(auto_describe=True)
    depth = Gauge("pxq_outbox_messages", "Outbox rows by status and channel", ["status", "channel"], registry=scrape)
    rows = (
        await OutboxMessage.annotate(n=Count("id")).group_by("status", "channel").values_list("status", "channel", "n")
    )
    for status, channel, n in rows:
        depth.labels(str(status), channel or "-").set(n)
    deliveries = CounterMetricFamily(
        "pxq_deliveries", "Delivery outcomes by channel, result and reason", labels=["channel", "result", "reason"]
    )
    counted = await request.app[SERVICES].redis.hgetall("pxq:metrics:deliveries")
    for field, value in sorted(counted.items()):
        channel, result, reason = (field.decode() if isinstance(field, bytes) else field).split("|", 2)
        deliveries.add_metric([channel, result, reason], int(value))
    scrape.register(_Fixed([deliveries]))
    body = generate_latest(REGISTRY) + generate_latest(scrape)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
