"""Issue 17 item 3: lessons and completion within the class's dates, and the region's minimum
attendance share before a trainee may be reported complete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models import Attendance, Lesson, SettlementClaim, Voucher
from peixunquan.config import ConfigError, load_config
from tests.support.factories import auth
from tests.support.institutions import API, SITE, lesson, post_scan, scan_body, voucher_payload
from tests.support.settlement import class_over, passed, settlement_env, submit
from vouchers.common.clock import utcnow
from vouchers.common.policy import Policy, PolicyRule
from vouchers.scanning.coordinates import gcj02_to_wgs84


def _at(day: str, hour: int = 9) -> str:
    return f"{day}T{hour:02d}:00:00+08:00"


async def test_a_lesson_outside_the_class_dates_is_refused(client, svc):
    env = await settlement_env(client, svc, trainees=0)
    klass = env["class"]
    after_end = datetime.fromisoformat(klass["end_date"]) + timedelta(days=1)
    before_start = datetime.fromisoformat(klass["start_date"]) - timedelta(days=1)
    for day in (after_end, before_start):
        body = {"starts_at": _at(day.date().isoformat()), "ends_at": _at(day.date().isoformat(), 11)}
        r = await client.post(
            f"{API}/institution/classes/{klass['id']}/lessons", json=body, headers=auth(env["commissioner"])
        )
        assert r.status == 422, await r.text()
        error = (await r.json())["error"]
        assert error["code"] == "lesson_outside_class"
        assert klass["start_date"] in error["message"] and klass["end_date"] in error["message"]
    last_day = klass["end_date"]
    await lesson(client, env["commissioner"], klass["id"], starts_at=_at(last_day, 19), ends_at=_at(last_day, 21))


async def test_results_are_refused_before_the_class_has_ended(client, svc):
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    r = await client.post(
        f"{API}/institution/classes/{env['class']['id']}/completion",
        json=[passed(t["code"])],
        headers=auth(env["commissioner"]),
    )
    assert r.status == 409, await r.text()
    error = (await r.json())["error"]
    assert error["code"] == "class_not_ended" and env["class"]["end_date"] in error["message"]
    assert not await SettlementClaim.exists()
    assert (await Voucher.get(code=t["code"])).status == "enrolled"
    # Once it has ended, the same file is accepted.
    assert (await submit(client, env, [passed(t["code"])]))["created"] == 1


async def test_the_archive_counts_no_lesson_outside_the_class_dates(client, svc):
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    # A lesson after the class's end, as one could be added before lessons were checked, with
    # the trainee's attendance at it.
    end = datetime.fromisoformat(env["class"]["end_date"]).replace(tzinfo=UTC) + timedelta(days=3)
    late = await Lesson.create(
        training_class_id=env["class"]["id"],
        starts_at=end,
        ends_at=end + timedelta(hours=2),
        checkin_opens_at=end - timedelta(minutes=30),
        checkin_closes_at=end + timedelta(minutes=30),
    )
    voucher = await Voucher.get(code=t["code"])
    await Attendance.create(lesson_id=late.id, voucher_id=voucher.id, method="scan", checked_in_at=end)
    archive = await (await client.get(f"{API}/archive", headers=auth(t["session"]))).json()
    [klass] = archive["classes"]
    assert (klass["lessons"], klass["attended"]) == (1, 1)


async def test_a_row_below_the_regional_attendance_share_is_refused_and_shares_are_reported(client, svc):
    svc.policy = Policy(regions={"320200": PolicyRule(min_attendance_share=0.8)})
    env = await settlement_env(client, svc, trainees=2)
    a, b = env["trainees"]
    # A second lesson, open now too: only trainee a checks in at it.
    second = await lesson(client, env["commissioner"], env["class"]["id"])
    payload = await voucher_payload(client, a["session"], a["code"])
    answer = await post_scan(
        client, env["scanner"], scan_body(payload, "checkin", env["class"]["id"], lesson_id=second["id"])
    )
    assert answer["result"] == "ok", answer

    report = await submit(client, env, [passed(a["code"]), passed(b["code"])])
    [row] = report["rows"]
    assert row["voucher_code"] == a["code"]
    assert (row["attended_lessons"], row["lessons"], row["attendance_share"]) == (2, 2, 1.0)
    [problem] = report["problems"]
    assert problem["code"] == "attendance_too_low" and problem["line"] == 2
    assert "50%" in problem["message"] and "1/2" in problem["message"] and "80%" in problem["message"]
    assert (await Voucher.get(code=b["code"])).status == "enrolled"

    # Without a regional share (the default), one attended lesson is enough, as before.
    svc.policy = Policy()
    report = await submit(client, env, [passed(b["code"])])
    assert [(r["attended_lessons"], r["lessons"], r["attendance_share"]) for r in report["rows"]] == [(1, 2, 0.5)]


def test_the_share_is_configured_per_region_and_checked(tmp_path):
    path = tmp_path / "pxq.toml"
    path.write_text(
        '[policy]\nmin_attendance_share = 0.5\n[policy.regions."320200"]\nmin_attendance_share = 0.8\n',
        encoding="utf-8",
    )
    policy = load_config(path, env={}).policy
    assert policy.for_region("320000/320200/320281").min_attendance_share == 0.8
    assert policy.for_region("500000").min_attendance_share == 0.5
    assert load_config(None, env={}).policy.default.min_attendance_share == 0.0
    for bad in ("1.5", "-0.1", "'most'", "true"):
        path.write_text(f"[policy]\nmin_attendance_share = {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"policy\.min_attendance_share"):
            load_config(path, env={})


async def test_no_check_in_at_a_lesson_outside_the_class_dates(client, svc):
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    await class_over(env["class"]["id"])  # it ended yesterday
    # A lesson open now, after the end, as one could be added before lessons were checked.
    now = utcnow()
    await Lesson.create(
        training_class_id=env["class"]["id"],
        starts_at=now + timedelta(minutes=10),
        ends_at=now + timedelta(hours=2),
        checkin_opens_at=now - timedelta(minutes=20),
        checkin_closes_at=now + timedelta(minutes=40),
    )
    payload = await voucher_payload(client, t["session"], t["code"])
    answer = await post_scan(client, env["scanner"], scan_body(payload, "checkin", env["class"]["id"]))
    assert (answer["result"], answer["reason"]) == ("error", "no_lesson_now")
    r = await client.get(f"{API}/institution/classes/{env['class']['id']}/qr", headers=auth(env["scanner"]))
    wgs = gcj02_to_wgs84(SITE["latitude"], SITE["longitude"])
    body = {"payload": (await r.json())["payload"], "latitude": wgs[0], "longitude": wgs[1], "accuracy": 20.0}
    r = await client.post(f"{API}/checkins/location", json=body | {"coord_type": "wgs84"}, headers=auth(t["session"]))
    assert r.status == 409 and (await r.json())["error"]["code"] == "no_lesson_now"
    assert await Attendance.filter(lesson__starts_at__gte=now).count() == 0
