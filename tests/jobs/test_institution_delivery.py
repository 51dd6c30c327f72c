"""Notices to institutions reach the institution's webhook: the enrolment notice at once, the
morning digest of trainees whose vouchers end soon, each once, signed with the secret."""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp

from channels.webhook import WebhookSender
from jobs.delivery import Deliverer
from jobs.institution_routes import institution_routes
from models import OutboxMessage, OutboxStatus, Voucher
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.institutions import claimed_voucher, post_scan, scan_body, setup_institution, voucher_payload
from tests.support.webhooks import WEBHOOK_SECRET
from vouchers.common.clock import end_of_local_day, local_date, utcnow
from vouchers.notices.digests import schedule_digests


async def test_enrolment_and_morning_digest_reach_the_webhook_once(client, svc, webhook_receiver) -> None:
    url, received = webhook_receiver
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    env = await setup_institution(client, token)
    set_hook = await client.put(
        "/api/v1/institution/webhook", json={"url": url, "secret": WEBHOOK_SECRET}, headers=auth(env["commissioner"])
    )
    assert set_hook.status == 200, await set_hook.text()
    refused = await client.put(
        "/api/v1/institution/webhook", json={"url": url, "secret": WEBHOOK_SECRET}, headers=auth(env["scanner"])
    )
    assert refused.status == 403

    session, code = await claimed_voucher(client, svc, batch["id"], name="王小明")
    payload = await voucher_payload(client, session, code)
    assert (await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"])))["result"] == "ok"
    await Voucher.filter(code=code).update(valid_until=end_of_local_day(local_date(utcnow()) + timedelta(days=3)))
    now = utcnow()
    assert await schedule_digests(svc.keys, now, 7, now) == 1
    assert await schedule_digests(svc.keys, now, 7, now) == 0

    async with aiohttp.ClientSession() as http:
        routes = institution_routes(svc.keys, WebhookSender(http, allow_private=True), staff=[])
        deliverer = Deliverer(svc.redis, routes, per_second=lambda _c: 0)
        for _ in range(3):  # notices, then their fanned-out webhook rows, then nothing more
            await deliverer.run()

    events = sorted(received, key=lambda e: e["event"])
    assert [e["event"] for e in events] == ["institution_digest", "institution_enrolment"]
    digest = events[0]
    assert digest["trainees"] == [
        {
            "voucher_code": code,
            "holder_name": "王*明",
            "class_name": env["class"]["name"],
            "last_day": (local_date(utcnow()) + timedelta(days=3)).isoformat(),
        }
    ]
    assert "王小明" not in json.dumps(received, ensure_ascii=False)
    webhook_rows = await OutboxMessage.filter(kind="webhook_notice")
    assert len(webhook_rows) == 2 and all(r.status == OutboxStatus.SENT for r in webhook_rows)


async def test_staff_bound_on_the_official_account_get_the_notice_text(client, svc) -> None:
    from jobs.wechat_routes import staff_notice_data
    from vouchers.common.outbox import outbox_row
    from vouchers.notices.digests import DIGEST

    trainees = [{"voucher_code": "ABC", "holder_name": "王*明", "class_name": "电工班", "last_day": "2026-12-01"}]
    notice = outbox_row(DIGEST, utcnow(), payload={"institution_id": 1, "date": "2026-11-24", "trainees": trainees})
    data = staff_notice_data(notice)
    assert data["thing1"] == "学员培训券即将到期"
    assert data["thing2"] == "以下 1 名学员的培训券将在 2026…"  # a keyword holds 20 characters
