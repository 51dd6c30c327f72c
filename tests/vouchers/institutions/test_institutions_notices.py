"""Notices to institutions: the daily summary per class (enrolment and anomaly notices are
checked where they happen, in test_scan_api and test_scan_location)."""

from __future__ import annotations

from datetime import UTC, datetime

from models import OutboxMessage
from tests.support.factories import bureau, published_batch, regions
from tests.support.institutions import claimed_voucher, post_scan, scan_body, setup_institution, voucher_payload
from vouchers.common.clock import local_date
from vouchers.institutions.notices import notice_text, queue_daily_summaries


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
    title, body = notice_text(row.kind, row.payload)
    assert title == "培训班每日签到汇总"
    assert "已报名 2 人" in body and "第1节：签到 1 人" in body
    enrolment = await OutboxMessage.filter(kind="institution_enrolment").first()
    assert enrolment is not None
    title, body = notice_text(enrolment.kind, enrolment.payload)
    assert title == "学员报名成功" and "李*" in body and enrolment.payload["voucher_code"] in body


def test_anomaly_texts_name_what_happened():
    _, outside = notice_text(
        "institution_anomaly", {"anomaly": "outside_fence", "class_id": 3, "voucher_code": "X", "distance_m": 512}
    )
    assert "512 米" in outside
    _, stale = notice_text("institution_anomaly", {"anomaly": "qr_stale", "device": "扫码枪-01", "voucher_code": "ABC"})
    assert "截图" in stale and "ABC" in stale
    _, forged = notice_text("institution_anomaly", {"anomaly": "qr_invalid", "device": "扫码枪-01"})
    assert "篡改" in forged
