"""Scans made offline and uploaded later: each judged at its own time, the voucher's state now,
one check-in per lesson and voucher whatever the device, idempotent by nonce, refusals told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models import Attendance, OutboxMessage, ScanRecord, Voucher
from tests.support.factories import auth
from tests.support.institutions import API
from tests.support.settlement import settlement_env
from vouchers.qr import codes as qr


def code_at(svc, voucher_code: str, at: datetime) -> str:
    """The voucher's rotating code as the trainee's phone showed it at `at`."""
    return qr.sign(svc.qr, qr.VOUCHER, voucher_code, now=at.timestamp()).payload


def queued(payload: str, action: str, at: datetime, nonce: str, class_id: int | None = None) -> dict:
    return {"payload": payload, "action": action, "class_id": class_id, "nonce": nonce, "scanned_at": at.isoformat()}


async def upload(client, token: str, scans: list[dict], device: str = "离线扫码枪-1") -> dict:
    r = await client.post(f"{API}/scans/offline", json={"device": device, "scans": scans}, headers=auth(token))
    assert r.status == 200, await r.text()
    return await r.json()


@pytest.fixture
async def env(client, svc):
    return await settlement_env(client, svc, trainees=2)


async def test_offline_scans_are_judged_at_their_time_and_idempotent(client, svc, env):
    a, b = env["trainees"]
    at = datetime.now(UTC) - timedelta(minutes=5)  # the setup's lesson window is open
    scans = [
        queued(code_at(svc, a["code"], at), "verify", at, "offline-0001"),
        queued(code_at(svc, b["code"], at), "checkin", at, "offline-0002", env["class"]["id"]),
        queued(code_at(svc, a["code"], at), "enrol", at, "offline-0003", env["class"]["id"]),
    ]
    result = await upload(client, env["scanner"], scans)
    verify, checkin, enrol = result["items"]
    assert (verify["result"], verify["counted"]) == ("ok", True)
    # The setup checked both trainees in at this lesson already: not counted twice.
    assert (checkin["reason"], checkin["counted"]) == ("already_checked_in", False)
    assert (enrol["result"], enrol["reason"]) == ("error", "offline_enrol")
    assert "离线时不能用券报名" in enrol["message"]
    record = await ScanRecord.get(nonce="offline-0001")
    assert record.offline is True and abs((record.scanned_at - at).total_seconds()) < 1
    # The same upload again (its answer was lost): the same answers, nothing written twice.
    again = await upload(client, env["scanner"], scans)
    assert [i["result"] for i in again["items"]] == [i["result"] for i in result["items"]]
    assert await ScanRecord.filter(nonce__startswith="offline-").count() == 3


async def test_a_check_in_counts_at_the_lesson_of_its_time_unless_revoked_meanwhile(client, svc, env):
    a, b = env["trainees"]
    # A lesson that began an hour ago, whose window closed half an hour ago: scanned inside it.
    now = datetime.now(UTC)
    r = await client.post(
        f"{API}/institution/classes/{env['class']['id']}/lessons",
        json={"starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat()},
        headers=auth(env["commissioner"]),
    )
    lesson = await r.json()
    at = now - timedelta(minutes=55)
    r = await client.post(
        f"{API}/admin/vouchers/{b['code']}/revoke", json={"reason": "重复领取"}, headers=auth(env["bureau"])
    )
    assert r.status == 200, await r.text()
    result = await upload(
        client,
        env["scanner"],
        [
            queued(code_at(svc, a["code"], at), "checkin", at, "offline-a", env["class"]["id"]),
            queued(code_at(svc, b["code"], at), "checkin", at, "offline-b", env["class"]["id"]),
        ],
    )
    counted, revoked = result["items"]
    assert counted["counted"] is True and counted["message"] == "签到成功"
    voucher = await Voucher.get(code=a["code"])
    attendance = await Attendance.get(voucher_id=voucher.id, lesson_id=lesson["id"])
    assert abs((attendance.checked_in_at - at).total_seconds()) < 1
    assert (revoked["result"], revoked["reason"], revoked["message"]) == ("error", "revoked", "培训券已作废")
    assert result["refused"] == 1
    # The institution is told, not only the device.
    [notice] = await OutboxMessage.filter(kind="institution_offline_refused")
    assert notice.payload["rows"][0]["voucher_code"] == b["code"]

    # A second device's check-in of the same trainee at the same lesson: not counted twice.
    again = await upload(
        client,
        env["scanner"],
        [queued(code_at(svc, a["code"], at), "checkin", at, "offline-a2", env["class"]["id"])],
        "离线扫码枪-2",
    )
    assert again["items"][0]["reason"] == "already_checked_in"
    assert await Attendance.filter(voucher_id=voucher.id, lesson_id=lesson["id"]).count() == 1


async def test_late_uploads_and_clocks_ahead_are_refused(client, svc, env):
    a, _ = env["trainees"]
    old = datetime.now(UTC) - timedelta(days=4)
    ahead = datetime.now(UTC) + timedelta(hours=1)
    result = await upload(
        client,
        env["scanner"],
        [
            queued(code_at(svc, a["code"], old), "verify", old, "offline-old"),
            queued(code_at(svc, a["code"], ahead), "verify", ahead, "offline-ahead"),
        ],
    )
    assert [i["reason"] for i in result["items"]] == ["offline_too_late", "offline_clock_ahead"]


async def test_uploaded_offline_scans_appear_in_the_members_recent_scans(client, svc, env):
    """The scan console lists the member's recent scans after an upload: the offline ones too,
    with their class and what came of them (it answered 500 once offline rows were among them)."""
    a, b = env["trainees"]
    at = datetime.now(UTC) - timedelta(minutes=5)
    await upload(
        client,
        env["scanner"],
        [
            queued(code_at(svc, a["code"], at), "verify", at, "offline-r1"),
            queued(code_at(svc, b["code"], at), "checkin", at, "offline-r2", env["class"]["id"]),
        ],
    )
    r = await client.get(f"{API}/scans?limit=20", headers=auth(env["scanner"]))
    assert r.status == 200, await r.text()
    recent = {i["scan_id"]: i for i in (await r.json())["items"]}
    records = {s.nonce: s.id for s in await ScanRecord.filter(nonce__startswith="offline-r")}
    verify, checkin = recent[records["offline-r1"]], recent[records["offline-r2"]]
    assert (verify["action"], verify["result"], verify["class_id"]) == ("verify", "ok", None)
    assert (checkin["action"], checkin["reason"]) == ("checkin", "already_checked_in")
    assert (checkin["class_id"], checkin["class_name"]) == (env["class"]["id"], env["class"]["name"])
    assert verify["annullable"] is False and checkin["annullable"] is False
