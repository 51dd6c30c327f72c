"""Wiring of the worker: the delivery routes over the configured channels, and the job list.
Used by `peixunquan worker` and by the worker embedded in the server process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from channels.alipay.client import AlipayClient
from channels.webhook import WebhookSender
from jobs.alipay_card_pack import INTERVAL_S as CARD_PACK_SYNC_S
from jobs.alipay_card_pack import card_pack_sync
from jobs.alipay_routes import alipay_notifier, card_pack_routes
from jobs.delivery import Deliverer, DeliverySettings
from jobs.institution_routes import institution_routes
from jobs.routes import build_routes
from jobs.storage import INTERVAL_S as STORAGE_S
from jobs.storage import outbox_retention, partitions_ahead
from jobs.wechat_routes import (
    STAFF_NOTICE,
    miniapp_notifier,
    official_notifier,
    staff_notice_route,
    staff_recipients,
)
from jobs.worker import Job, heartbeat, run_worker, sweeps
from peixunquan.alipay_setup import alipay_settings
from peixunquan.config import Config
from peixunquan.wechat_setup import worker_clients
from platforms.wechat.notice_links import NoticeLinks
from vouchers.claiming.reconcile_gates import INTERVAL_S as GATE_CHECK_S
from vouchers.claiming.reconcile_gates import reconcile_gates
from vouchers.services import Services


def build_jobs(config: Config, svc: Services, http: aiohttp.ClientSession) -> list[Job]:
    w = config.worker
    wechat = worker_clients(config, http, svc.redis)
    official_template = config.wechat_official.staff_template_id
    links = NoticeLinks(config.wechat.app_id, config.server.public_url)
    alipay = AlipayClient(http, alipay_settings(config)[0])
    # Best first: the WeChat mini program, Alipay (both need a subscribe consent), then the
    # Official Account the trainee follows.
    person_notifiers = [
        miniapp_notifier(wechat.miniapp, config.wechat.voucher_template_id),
        alipay_notifier(alipay, config.alipay.voucher_template_id),
        official_notifier(wechat.official, config.wechat_official.trainee_template_id, links),
    ]
    webhooks = WebhookSender(http, allow_private=config.institutions.allow_private_webhooks)
    extra = institution_routes(svc.keys, webhooks, staff=[staff_recipients(wechat.official.app_id, links)])
    extra[STAFF_NOTICE] = staff_notice_route(wechat.official, official_template)
    extra |= card_pack_routes(alipay, svc.qr)  # the passes' QR codes, signed with the scan call's keys
    deliverer = Deliverer(
        svc.redis,
        build_routes(person_notifiers, extra),
        per_second=w.rate_per_s,
        settings=DeliverySettings(w.batch_size, w.lease_s, w.max_attempts, w.backoff_base_s, w.backoff_max_s),
    )
    return [
        Job("heartbeat", heartbeat, 15),
        Job("deliver", deliverer.run, w.poll_interval_ms / 1000),
        Job("sweep", sweeps(w.reminder_offsets_days, w.reminder_hour), w.sweep_interval_s),
        Job("alipay_card_pack_sync", card_pack_sync, CARD_PACK_SYNC_S),
        Job("claim_gate_check", reconcile_gates, GATE_CHECK_S),
        Job("partitions_ahead", partitions_ahead, STORAGE_S),
        Job("outbox_retention", outbox_retention(w.outbox_retention_days), STORAGE_S),
    ]


@asynccontextmanager
async def running_worker(config: Config, svc: Services) -> AsyncIterator[asyncio.Task[None]]:
    """A worker loop as a task of the current event loop, stopped cleanly on exit."""
    stop = asyncio.Event()
    async with aiohttp.ClientSession() as http:
        task = asyncio.create_task(run_worker(svc, stop, build_jobs(config, svc, http)))
        try:
            yield task
        finally:
            stop.set()
            await task
