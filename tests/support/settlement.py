"""Builders for settlement tests: trainees enrolled in a class and checked in, through the API."""

from __future__ import annotations

from typing import Any

from tests.support.factories import auth, bureau, id_number, published_batch, regions, trainee
from tests.support.institutions import (
    API,
    claimed_voucher,
    post_scan,
    scan_body,
    setup_institution,
    voucher_payload,
)

STANDARD = {"region": "320200", "project_type": "就业技能培训", "occupation": "电工", "amount_fen": 120_000}


async def enrolled(client, env: dict[str, Any], session: str, code: str, checkin: bool = True) -> None:
    payload = await voucher_payload(client, session, code)
    answer = await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    assert answer["result"] == "ok", answer
    if checkin:
        answer = await post_scan(client, env["scanner"], scan_body(payload, "checkin", env["class"]["id"]))
        assert answer["result"] == "ok", answer


async def settlement_env(client, svc, trainees: int = 2, **batch: Any) -> dict[str, Any]:
    """A Wuxi face-value batch (500 yuan), a subsidy standard of 1,200 yuan for electricians, an
    institution with a class, and `trainees` trainees enrolled and checked in."""
    await regions()
    token = await bureau(svc)
    b = await published_batch(client, token, **batch)
    env = await setup_institution(client, token)
    r = await client.put(f"{API}/admin/settlement/standards", json=STANDARD, headers=auth(token))
    assert r.status == 200, await r.text()
    env.update(bureau=token, batch=b, trainees=[])
    for _ in range(trainees):
        number = id_number()
        session, code = await claimed_voucher(client, svc, b["id"], number=number)
        await enrolled(client, env, session, code)
        env["trainees"].append({"session": session, "code": code, "id_number": number})
    return env


async def submit(
    client, env: dict[str, Any], rows: Any, content_type: str = "application/json", *, ended: bool = True
) -> Any:
    """Files results as the class's commissioner; with `ended` (results are filed after the
    class's end date) the class is first made to have ended yesterday (`class_over`)."""
    if ended:
        await class_over(env["class"]["id"])
    if isinstance(rows, str):
        data: Any = rows.encode()
    else:
        import json

        data = json.dumps(rows, ensure_ascii=False).encode()
    r = await client.post(
        f"{API}/institution/classes/{env['class']['id']}/completion",
        data=data,
        headers={**auth(env["commissioner"]), "Content-Type": content_type},
    )
    assert r.status == 200, await r.text()
    return await r.json()


def passed(code: str, number: str = "", level: str = "五级") -> dict[str, Any]:
    return {
        "voucher": code,
        "passed": "合格",
        "certificate_kind": "职业技能等级证书",
        "certificate_number": number or f"Z{code}",
        "certificate_level": level,
    }


async def decide(client, env: dict[str, Any], claim_id: int, **body: Any) -> Any:
    r = await client.post(f"{API}/admin/settlement/claims/{claim_id}/decision", json=body, headers=auth(env["bureau"]))
    return r


async def settlement_targets(client, svc, bureau_token: str) -> tuple[dict, dict]:
    """Every settlement and archive endpoint that takes a body, with valid credentials and body
    (for tests/test_http_errors.py): JSON targets and upload targets."""
    env = await setup_institution(client, bureau_token)
    commissioner = auth(env["commissioner"])
    h = auth(bureau_token)
    json_targets = {
        ("PUT", f"{API}/admin/settlement/standards"): (h, STANDARD),
        ("PUT", f"{API}/admin/settlement/ratios"): (
            h,
            {"region": "320200", "eligible_group": "失业人员", "ratio_permille": 800},
        ),
        ("POST", f"{API}/admin/settlement/claims/1/decision"): (h, {"decision": "reject", "reason": "材料不全"}),
        ("POST", f"{API}/admin/settlement/classes/{env['class']['id']}/decision"): (h, {"decision": "approve"}),
        ("POST", f"{API}/admin/archive/lookup"): (h, {"id_number": id_number()}),
        ("PUT", f"{API}/admin/settlement/review-levels"): (h, {"region": "320200", "levels": 2}),
        ("POST", f"{API}/admin/payment-lists"): (h, {"region": "320200"}),
        ("POST", f"{API}/admin/payment-lists/1/paid"): (h, {"payment_ref": "CB2026000001"}),
    }
    upload_targets = {("POST", f"{API}/institution/classes/{env['class']['id']}/completion"): commissioner}
    return json_targets, upload_targets


async def class_over(class_id: int) -> None:
    """The class took place earlier and ended yesterday (local time): its dates, lessons and
    attendance move back together, so results may be filed. Nothing moves once it has ended."""
    from datetime import timedelta

    from models import Attendance, Lesson, TrainingClass
    from vouchers.common.clock import local_date, utcnow

    klass = await TrainingClass.get(id=class_id)
    days = (klass.end_date - local_date(utcnow())).days + 1
    if days <= 0:
        return
    back = timedelta(days=days)
    await TrainingClass.filter(id=class_id).update(start_date=klass.start_date - back, end_date=klass.end_date - back)
    for lesson in await Lesson.filter(training_class_id=class_id):
        for name in ("starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at"):
            setattr(lesson, name, getattr(lesson, name) - back)
        await lesson.save(update_fields=["starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at"])
    for row in await Attendance.filter(lesson__training_class_id=class_id):
        row.checked_in_at -= back
        await row.save(update_fields=["checked_in_at"])


async def two_vouchers_env(client, svc) -> dict:
    """Two published Wuxi electrician batches (600 and 500 yuan), an institution with a class, a
    1,200 yuan subsidy standard, and one trainee who claimed a voucher of each batch."""
    await regions()
    token = await bureau(svc)
    first = await published_batch(client, token, title="600元电工券", face_value_fen=60_000)
    second = await published_batch(client, token, title="500元电工券", face_value_fen=50_000)
    env = await setup_institution(client, token)
    r = await client.put(f"{API}/admin/settlement/standards", json=STANDARD, headers=auth(token))
    assert r.status == 200, await r.text()
    _, session = await trainee(svc)
    codes = []
    for batch in (first, second):
        r = await client.post(f"{API}/claims", json={"batch_id": batch["id"]}, headers=auth(session))
        assert r.status == 201, await r.text()
        codes.append((await r.json())["code"])
    return env | {"bureau": token, "session": session, "codes": codes}


async def lesson_started(client, env: dict[str, Any], minutes_ago: int) -> dict[str, Any]:
    """A lesson of the env's class that began `minutes_ago` and ends in an hour."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    body = {
        "starts_at": (now - timedelta(minutes=minutes_ago)).isoformat(),
        "ends_at": (now + timedelta(minutes=60)).isoformat(),
    }
    r = await client.post(
        f"{API}/institution/classes/{env['class']['id']}/lessons", json=body, headers=auth(env["commissioner"])
    )
    assert r.status == 201, await r.text()
    return await r.json()


async def class_with_trainees(client, svc, bureau_token: str, batch_id: int, trainees: int) -> dict[str, Any]:
    """Another institution of the bureau's region, its class, and `trainees` trainees holding a
    voucher of `batch_id` enrolled and checked in (the same keys as `settlement_env`)."""
    env = await setup_institution(client, bureau_token)
    env.update(bureau=bureau_token, trainees=[])
    for _ in range(trainees):
        number = id_number()
        session, code = await claimed_voucher(client, svc, batch_id, number=number)
        await enrolled(client, env, session, code)
        env["trainees"].append({"session": session, "code": code, "id_number": number})
    return env
