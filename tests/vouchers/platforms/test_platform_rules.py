"""What a platform may do with a voucher: only within the scope the bureau set, only what the
voucher pays for, once per voucher and course however often it retries; study adds up once per
report; completion needs the course's hours and files one claim."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

from models import (
    ClaimStatus,
    Enrolment,
    OutboxMessage,
    SettlementClaim,
    StudyReport,
    TrainingClass,
    Voucher,
    VoucherHistory,
)
from tests.support.factories import auth, bureau, published_batch
from tests.support.platforms import API, course, course_body, platform_env, presented, register
from tests.support.qr import forged
from vouchers.common.clock import local_date, utcnow
from vouchers.qr import codes

ENROL = f"{API}/platform/enrolments"
VERIFY = f"{API}/platform/vouchers/verify"
PROGRESS = f"{API}/platform/progress"
COMPLETIONS = f"{API}/platform/completions"
RESULT = {
    "course": "ELEC-101",
    "passed": True,
    "certificate_kind": "职业技能等级证书",
    "certificate_number": "S000032020000501",
    "certificate_level": "五级",
}


async def _refused(response, status: int = 409) -> str:
    text = await response.text()
    assert response.status == status, text
    return json.loads(text)["error"]["code"]


def _report(env, report_id: str, hours: float, unit: str = "第一章") -> dict:
    return {"report_id": report_id, "voucher": env["voucher"], "course": "ELEC-101", "unit": unit, "hours": hours}


async def _enrolled(env) -> None:
    await env["platform"].ok("POST", ENROL, {"code": env["payload"], "course": "ELEC-101"})


async def test_a_course_is_declared_only_within_the_scope_and_locked_once_enrolled(client, svc):
    env = await platform_env(client, svc)  # scope: 就业技能培训, 电工
    platform = env["platform"]
    for body in (
        course_body(project_type="创业培训"),
        course_body(occupation="焊工"),
        course_body(occupation=None),  # occupations are listed: a course must name one of them
    ):
        assert await _refused(await platform.call("PUT", f"{API}/platform/courses/OTHER", body)) == (
            "platform_out_of_scope"
        )
    # The bureau widens the scope: the welding course may be declared.
    r = await client.put(
        f"{API}/admin/platforms/{platform.id}/scope",
        json={"project_types": ["就业技能培训"], "occupations": ["电工", "焊工"]},
        headers=auth(env["bureau"]),
    )
    assert r.status == 200, await r.text()
    assert (await course(platform, "WELD-1", occupation="焊工"))["occupation"] == "焊工"

    await _enrolled(env)
    path = f"{API}/platform/courses/ELEC-101"
    r = await platform.call("PUT", path, course_body(occupation="焊工"))
    assert await _refused(r) == "course_locked"
    assert await _refused(await platform.call("PUT", path, course_body(capacity=0)), 422) == "invalid_input"
    changed = await platform.ok("PUT", path, course_body(name="低压电工（第二期）", capacity=1, required_hours=4))
    assert (changed["name"], changed["capacity"], changed["enrolled"], changed["required_hours"]) == (
        "低压电工（第二期）",
        1,
        1,
        4,
    )
    listed = await platform.ok("GET", f"{API}/platform/courses")
    assert [c["code"] for c in listed["items"]] == ["ELEC-101", "WELD-1"]


async def test_verify_answers_whether_the_voucher_is_usable_here_and_for_the_course(client, svc):
    env = await platform_env(client, svc)
    platform = env["platform"]
    verdict = await platform.ok("POST", VERIFY, {"code": env["payload"], "course": "ELEC-101"})
    assert (verdict["usable"], verdict["reason"], verdict["status_text"]) == (True, None, "待使用")

    await client.put(
        f"{API}/admin/platforms/{platform.id}/scope",
        json={"project_types": ["就业技能培训"], "occupations": ["电工", "焊工"]},
        headers=auth(env["bureau"]),
    )
    await course(platform, "WELD-1", occupation="焊工")
    verdict = await platform.ok("POST", VERIFY, {"code": env["payload"], "course": "WELD-1"})
    assert (verdict["usable"], verdict["reason"]) == (False, "wrong_occupation")
    assert verdict["message"] == "该培训券不适用于此工种"

    # A platform that may not take the voucher's project type; one in another region.
    other, _ = await register(client, env["bureau"], project_types=["创业培训"], occupations=[])
    verdict = await other.ok("POST", VERIFY, {"code": env["payload"]})
    assert (verdict["usable"], verdict["reason"]) == (False, "platform_out_of_scope")
    chongqing = await bureau(svc, "chongqing", "500000")
    far, _ = await register(client, chongqing, region="500000")
    verdict = await far.ok("POST", VERIFY, {"code": env["payload"]})
    assert (verdict["usable"], verdict["reason"]) == (False, "wrong_region")

    # The code itself must be good: fresh, genuine, and the rotating one.
    stale = codes.sign(svc.qr, codes.VOUCHER, env["voucher"], now=time.time() - 300).payload
    assert await _refused(await platform.call("POST", VERIFY, {"code": stale})) == "qr_stale"
    assert await _refused(await platform.call("POST", VERIFY, {"code": forged(env["payload"], 2)})) == "qr_invalid"
    card_pass = codes.sign_card_pass(svc.qr, env["voucher"], 1)
    assert await _refused(await platform.call("POST", VERIFY, {"code": card_pass})) == "platform_code_static"
    assert await _refused(await platform.call("POST", VERIFY, {"code": env["payload"], "course": "NONE"}), 404) == (
        "course_not_found"
    )

    await _enrolled(env)
    verdict = await platform.ok("POST", VERIFY, {"code": env["payload"]})
    assert (verdict["usable"], verdict["reason"], verdict["enrolled_course"]) == (False, "already_enrolled", "ELEC-101")
    assert verdict["status"] == "enrolled"


async def test_enrolment_is_a_use_with_its_rules_and_a_retry_writes_nothing(client, svc):
    env = await platform_env(client, svc)
    platform = env["platform"]
    await course(platform, "TINY", capacity=1)
    await course(
        platform, "OVER", end_date=(local_date(utcnow()) - timedelta(days=1)).isoformat(), start_date="2026-01-01"
    )
    assert await _refused(await platform.call("POST", ENROL, {"code": env["payload"], "course": "OVER"})) == (
        "class_ended"
    )
    first = await platform.ok("POST", ENROL, {"code": env["payload"], "course": "TINY"})
    again = await platform.ok("POST", ENROL, {"code": env["payload"], "course": "TINY"})
    assert (first["repeated"], again["repeated"], again["enrolment_id"]) == (False, True, first["enrolment_id"])
    assert [h.action for h in await VoucherHistory.all().order_by("id")] == ["claimed", "enrolled"]
    assert await OutboxMessage.filter(kind="voucher_enrolled_online").count() == 1
    # Into another course: the voucher is used.
    r = await platform.call("POST", ENROL, {"code": env["payload"], "course": "ELEC-101"})
    assert await _refused(r) == "already_enrolled"
    # The course is full for the next trainee.
    _, _, payload = await presented(client, svc, env["batch"]["id"])
    assert await _refused(await platform.call("POST", ENROL, {"code": payload, "course": "TINY"})) == "class_full"
    # The bureau narrows the scope: no new enrolment into what is outside it.
    r = await client.put(
        f"{API}/admin/platforms/{platform.id}/scope",
        json={"project_types": ["创业培训"], "occupations": []},
        headers=auth(env["bureau"]),
    )
    assert r.status == 200
    r = await platform.call("POST", ENROL, {"code": payload, "course": "ELEC-101"})
    assert await _refused(r) == "platform_out_of_scope"
    assert await Enrolment.all().count() == 1


async def test_concurrent_retries_of_one_enrolment_enrol_once(client, svc):
    env = await platform_env(client, svc)
    body = {"code": env["payload"], "course": "ELEC-101"}
    answers = await asyncio.gather(*(env["platform"].call("POST", ENROL, body) for _ in range(6)))
    outs = [await r.json() for r in answers]
    assert [r.status for r in answers] == [200] * 6, outs
    assert sorted(o["repeated"] for o in outs) == [False] + [True] * 5
    assert len({o["enrolment_id"] for o in outs}) == 1
    assert await Enrolment.all().count() == 1
    klass = await TrainingClass.get(id=outs[0]["class_id"])
    assert klass.enrolled == 1
    assert await VoucherHistory.filter(action="enrolled").count() == 1


async def test_study_adds_up_once_per_report(client, svc):
    env = await platform_env(client, svc)
    platform = env["platform"]
    r = await platform.call("POST", PROGRESS, _report(env, "r-1", 1))
    assert await _refused(r) == "not_in_class"  # not enrolled yet
    await _enrolled(env)
    # The same report sent at once from several workers of the platform: counted once.
    answers = await asyncio.gather(*(platform.call("POST", PROGRESS, _report(env, "r-1", 1)) for _ in range(5)))
    assert [r.status for r in answers] == [200] * 5
    assert await StudyReport.all().count() == 1
    # The same id with other content is the platform's bug, not a retry.
    r = await platform.call("POST", PROGRESS, _report(env, "r-1", 2))
    assert await _refused(r) == "report_id_reused"
    await platform.ok("POST", PROGRESS, _report(env, "r-2", 0.25, unit="第二章"))
    got = await platform.ok("GET", PROGRESS, query={"voucher": env["voucher"], "course": "ELEC-101"})
    assert [(u["unit"], u["hours"]) for u in got["units"]] == [("第一章", 1), ("第二章", 0.25)]
    assert (got["studied_hours"], got["required_hours"], got["complete"]) == (1.25, 3, False)
    # Another platform cannot see or report on it, even under the same course code.
    other, _ = await register(client, env["bureau"])
    await course(other)
    r = await other.call("GET", PROGRESS, query={"voucher": env["voucher"], "course": "ELEC-101"})
    assert await _refused(r) == "not_in_class"


async def test_completion_needs_the_hours_and_files_one_claim(client, svc):
    env = await platform_env(client, svc)
    platform = env["platform"]
    await _enrolled(env)
    result = {**RESULT, "voucher": env["voucher"]}
    assert await _refused(await platform.call("POST", COMPLETIONS, result)) == "no_study_recorded"
    await platform.ok("POST", PROGRESS, _report(env, "r-1", 2))
    r = await platform.call("POST", COMPLETIONS, result)
    assert await _refused(r) == "study_too_short"
    assert "已学习 2 小时，课程要求 3 小时" in (await r.json())["error"]["message"]
    await platform.ok("POST", PROGRESS, _report(env, "r-2", 1, unit="第二章"))
    r = await platform.call("POST", COMPLETIONS, {**result, "certificate_number": None})
    assert await _refused(r, 422) == "certificate_required"
    assert await SettlementClaim.all().count() == 0
    assert (await Voucher.get(code=env["voucher"])).status == "enrolled"

    done = await platform.ok("POST", COMPLETIONS, result)
    again = await platform.ok("POST", COMPLETIONS, result)
    assert (done["claim_status"], done["repeated"], again["repeated"], again["claim_id"]) == (
        "pending",
        False,
        True,
        done["claim_id"],
    )
    # Another result while the claim waits for the bureau is refused, as a completion file's row.
    r = await platform.call("POST", COMPLETIONS, {**result, "certificate_number": "S000032020000999"})
    assert await _refused(r) == "already_submitted"
    assert await _refused(await platform.call("POST", PROGRESS, _report(env, "r-3", 1))) == "study_closed"
    claim = await SettlementClaim.get(id=done["claim_id"])
    assert (claim.status, claim.subsidy_fen, claim.submitted_by_id) == (ClaimStatus.PENDING, 50_000, 0)
    assert [h.actor_kind for h in await VoucherHistory.filter(action__in=["enrolled", "completed"])] == [
        "platform",
        "platform",
    ]

    # Rejected by the bureau, the platform may report again: a new claim.
    r = await client.post(
        f"{API}/admin/settlement/claims/{claim.id}/decision",
        json={"decision": "reject", "reason": "证书编号有误"},
        headers=auth(env["bureau"]),
    )
    assert r.status == 200, await r.text()
    redo = await platform.ok("POST", COMPLETIONS, {**result, "certificate_number": "S000032020000999"})
    assert redo["claim_id"] != claim.id and redo["claim_status"] == "pending"


async def test_a_failed_assessment_files_nothing_to_pay(client, svc):
    env = await platform_env(client, svc, title="2026年无锡市电工培训券")
    platform = env["platform"]
    await _enrolled(env)
    await platform.ok("POST", PROGRESS, _report(env, "r-1", 3))
    failed = {"voucher": env["voucher"], "course": "ELEC-101", "passed": False}
    done = await platform.ok("POST", COMPLETIONS, failed)
    assert (done["claim_status"], done["subsidy_fen"]) == ("failed", 0)
    assert (await Voucher.get(code=env["voucher"])).status == "completed"
    assert (await platform.ok("POST", COMPLETIONS, failed))["claim_id"] == done["claim_id"]


async def test_a_voucher_for_another_occupation_is_not_enrolled(client, svc):
    env = await platform_env(client, svc)
    welding = await published_batch(client, env["bureau"], title="焊工培训券", occupation="焊工")
    _, _, payload = await presented(client, svc, welding["id"])
    verdict = await env["platform"].ok("POST", VERIFY, {"code": payload})
    assert (verdict["usable"], verdict["reason"]) == (False, "platform_out_of_scope")
    r = await env["platform"].call("POST", ENROL, {"code": payload, "course": "ELEC-101"})
    assert await _refused(r) == "platform_out_of_scope"
