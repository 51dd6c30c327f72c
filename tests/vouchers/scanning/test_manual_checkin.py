"""补签: a member checks in an enrolled trainee by hand, with a reason; the check-in is marked
manual on the attendance page, in the sheet, the history, the statistics and the bureau's review."""

from __future__ import annotations

import asyncio
import io

import asyncpg
import pytest
from openpyxl import load_workbook
from tortoise import connections

from models import Attendance, Voucher, VoucherHistory
from models.database import is_postgres
from models.sql.scan import insert_first_checkin
from models.sql.scan_rows import ScanRow
from tests.support.factories import auth
from tests.support.institutions import API, post_scan, scan_body, voucher_payload
from tests.support.settlement import lesson_started, passed, settlement_env, submit
from vouchers.common.clock import utcnow


def manual_url(env) -> str:
    return f"{API}/institution/classes/{env['class']['id']}/attendance/manual"


@pytest.fixture
async def env(client, svc):
    return await settlement_env(client, svc, trainees=2)


async def test_a_manual_check_in_is_marked_manual_everywhere(client, svc, env):
    late = await lesson_started(client, env, minutes_ago=90)  # its check-in window has closed
    first = env["trainees"][0]
    body = {"lesson_id": late["id"], "voucher_code": first["code"], "reason": "手机没电，已核对身份证"}

    r = await client.post(manual_url(env), json=body | {"reason": " "}, headers=auth(env["scanner"]))
    assert (r.status, (await r.json())["error"]["message"]) == (422, "输入内容不符合要求：原因至少2个字符")
    r = await client.post(manual_url(env), json=body, headers=auth(env["scanner"]))
    assert r.status == 201, await r.text()
    assert (await r.json())["method_text"] == "补签"
    r = await client.post(manual_url(env), json=body, headers=auth(env["scanner"]))
    assert (r.status, (await r.json())["error"]["code"]) == (409, "already_checked_in")
    # Not before the lesson has started: the setup's lesson starts in ten minutes.
    r = await client.post(
        manual_url(env),
        json=body | {"lesson_id": env["lesson"]["id"], "voucher_code": env["trainees"][1]["code"]},
        headers=auth(env["scanner"]),
    )
    assert (r.status, (await r.json())["error"]["code"]) == (409, "manual_checkin_too_early")

    # The attendance page: manual, with the reason and who made it.
    r = await client.get(
        f"{API}/institution/classes/{env['class']['id']}/attendance", headers=auth(env["commissioner"])
    )
    page = await r.json()
    [trainee] = [t for t in page["trainees"] if t["voucher_code"] == first["code"]]
    [mark] = [m for m in trainee["marks"] if m["lesson_id"] == late["id"]]
    assert (mark["method"], mark["reason"], mark["by"]) == ("manual", "手机没电，已核对身份证", "前台")
    assert [x["checked_in"] for x in page["lessons"] if x["id"] == late["id"]] == [1]

    # The voucher's history.
    voucher = await Voucher.get(code=first["code"])
    [row] = await VoucherHistory.filter(voucher_id=voucher.id, action="manual_checkin")
    assert row.detail["reason"] == "手机没电，已核对身份证" and row.detail["staff"] == "前台"

    # The sheet: 补签 with its reason, the ID number as text.
    r = await client.get(
        f"{API}/institution/classes/{env['class']['id']}/attendance.xlsx", headers=auth(env["commissioner"])
    )
    assert r.status == 200
    sheet = load_workbook(io.BytesIO(await r.read())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    [mine] = [row for row in rows if first["code"] in row]
    assert first["id_number"] in mine and "补签" in mine
    id_cell = next(c for row in sheet.iter_rows() for c in row if c.value == first["id_number"])
    assert id_cell.data_type == "s"
    assert any("手机没电" in str(v) for v in mine)

    # The statistics count it apart.
    r = await client.get(f"{API}/admin/statistics?region=320200", headers=auth(env["bureau"]))
    figures = (await r.json())["region"]["figures"]
    assert (figures["checkins"], figures["manual_checkins"]) == (3, 1)

    # The bureau's review shows it on the claim.
    await submit(client, env, [passed(t["code"]) for t in env["trainees"]])
    r = await client.get(f"{API}/admin/settlement/claims?status=pending", headers=auth(env["bureau"]))
    claims = {c["voucher_code"]: c for c in (await r.json())["items"]}
    assert (claims[first["code"]]["attended"], claims[first["code"]]["manual_checkins"]) == (2, 1)
    assert claims[env["trainees"][1]["code"]]["manual_checkins"] == 0
    # Once the results are in, attendance no longer changes by hand.
    second = {"lesson_id": late["id"], "voucher_code": env["trainees"][1]["code"], "reason": "补录"}
    r = await client.post(manual_url(env), json=second, headers=auth(env["scanner"]))
    assert r.status == 409


async def test_a_manual_check_in_and_a_scan_at_once_make_one_attendance(client, env):
    lesson = await lesson_started(client, env, minutes_ago=5)  # its window is open now
    trainee = env["trainees"][1]
    payload = await voucher_payload(client, trainee["session"], trainee["code"])
    scan = scan_body(payload, "checkin", env["class"]["id"], lesson_id=lesson["id"])
    manual = {"lesson_id": lesson["id"], "voucher_code": trainee["code"], "reason": "扫码失败"}
    scanned, by_hand = await asyncio.gather(
        post_scan(client, env["scanner"], scan),
        client.post(manual_url(env), json=manual, headers=auth(env["commissioner"])),
    )
    voucher = await Voucher.get(code=trainee["code"])
    rows = await Attendance.filter(lesson_id=lesson["id"], voucher_id=voucher.id)
    assert len(rows) == 1
    assert (scanned["reason"] == "already_checked_in") != (by_hand.status == 409)


async def test_a_scan_check_in_waits_for_a_use_case_holding_the_voucher_instead_of_deadlocking(
    client, env, database_url
):
    """The manual check-in holds the voucher FOR UPDATE, then writes the attendance. A first
    check-in by scan at that moment (one statement: attendance, then the record) once wrote its
    attendance row and then waited for the voucher in its foreign-key check, while the manual
    check-in waited for that row: PostgreSQL broke the deadlock with a 500. Here the two meet in
    that order on purpose."""
    if not is_postgres(database_url):
        pytest.skip("PostgreSQL's row locks")
    lesson = await lesson_started(client, env, minutes_ago=5)
    voucher = await Voucher.get(code=env["trainees"][1]["code"])
    now = utcnow()
    row = ScanRow(
        institution_id=env["institution"]["id"], staff_id=1, nonce="race-1", device="desk", action="checkin",
        voucher_id=voucher.id, class_id=env["class"]["id"], lesson_id=lesson["id"], result="ok", reason=None,
        answer=b"{}", scanned_at=now, created_at=now,
    )  # fmt: skip
    holder = await asyncpg.connect(database_url.replace("asyncpg://", "postgres://", 1))
    try:
        async with holder.transaction():
            await holder.execute("SELECT 1 FROM voucher WHERE id = $1 FOR UPDATE", voucher.id)
            scanning = asyncio.create_task(insert_first_checkin(connections.get("default"), row, now))
            await asyncio.sleep(0.5)
            assert not scanning.done()  # waits for the holder before writing anything
            await holder.execute(
                "INSERT INTO attendance (lesson_id, voucher_id, method, checked_in_at) VALUES ($1, $2, 'manual', $3)",
                lesson["id"],
                voucher.id,
                now,
            )
        assert await scanning is None  # the manual one was first: the scan takes the path that finds it
    finally:
        await holder.close()
    assert [a.method for a in await Attendance.filter(lesson_id=lesson["id"], voucher_id=voucher.id)] == ["manual"]
