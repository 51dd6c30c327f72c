"""Notices to institutions: the daily summary per class (enrolment and anomaly notices are
checked where they happen, in test_scan_api and test_scan_location)."""

from __future__ import annotations

from datetime import UTC, datetime

from models import OutboxMessage
from tests.factories import bureau, published_batch, regions
from tests.institution_factories import claimed_voucher, post_scan, scan_body, setup_institution, voucher_payload
from vouchers.clock import local_date
from vouchers.institution_notices import queue_daily_summaries


async def test_daily_summary_per_class_counts_check_ins_once(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    env = await setup_institution(client, token)
    for _ in range(2):
        session, code = await claimed_voucher(client, svc, batch["id"])
        payload = await voucher_payload(client, session, code)
        assert (await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"])))[
            "result"
        ] == "ok"
    assert (await post_scan(client, env["scanner"], scan_body(payload, "checkin", env["class"]["id"])))[
        "result"
    ] == "ok"
    lesson_day = local_date(datetime.fromisoformat(env["lesson"]["starts_at"]))
    now = datetime.now(UTC)
    assert await queue_daily_summaries(lesson_day, now) == 1
    assert await queue_daily_summaries(lesson_day, now) == 0  # idempotent
    [row] = await OutboxMessage.filter(kind="institution_daily_summary")
    assert row.payload["institution_id"] == env["institution"]["id"]
    assert row.payload["enrolled"] == 2
    assert [x["checked_in"] for x in row.payload["lessons"]] == [1]
    assert row.payload["date"] == lesson_day.isoformat()
