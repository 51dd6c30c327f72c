"""Issue 17 item 1, the database's side: one active enrolment and one open subsidy claim per
person and class, whatever voucher, held by partial unique indexes (migration
0011_one_enrolment_per_person) under any path around the use cases' checks; and a completion
file refuses a second claim for a person enrolled twice before the guard existed."""

from __future__ import annotations

import pytest
from tortoise.exceptions import IntegrityError

from models import Enrolment, SettlementClaim, Voucher
from tests.support.institutions import post_scan, scan_body, voucher_payload
from tests.support.settlement import passed, submit, two_vouchers_env
from vouchers.common.clock import utcnow


async def _enrolled_with_first(client, env) -> tuple[Voucher, Voucher]:
    payload = await voucher_payload(client, env["session"], env["codes"][0])
    assert (await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"])))["result"] == "ok"
    payload = await voucher_payload(client, env["session"], env["codes"][0])
    assert (await post_scan(client, env["scanner"], scan_body(payload, "checkin", env["class"]["id"])))[
        "result"
    ] == "ok"
    return await Voucher.get(code=env["codes"][0]), await Voucher.get(code=env["codes"][1])


async def test_the_database_refuses_a_second_active_enrolment_of_a_person_in_a_class(client, svc):
    env = await two_vouchers_env(client, svc)
    first, second = await _enrolled_with_first(client, env)
    row = {"voucher_id": second.id, "person_id": second.person_id, "training_class_id": env["class"]["id"]}
    with pytest.raises(IntegrityError):
        await Enrolment.create(**row, enrolled_at=utcnow())
    # An annulled enrolment does not count.
    await Enrolment.filter(voucher_id=first.id).update(annulled_at=utcnow())
    await Enrolment.create(**row, enrolled_at=utcnow())


async def test_the_database_refuses_a_second_open_claim_of_a_person_in_a_class(client, svc):
    env = await two_vouchers_env(client, svc)
    await _enrolled_with_first(client, env)
    report = await submit(client, env, [passed(env["codes"][0])])
    [row] = report["rows"]
    claim = await SettlementClaim.get(id=row["claim_id"])
    second = await Voucher.get(code=env["codes"][1])
    copy = {k: getattr(claim, k) for k in ("batch_id", "training_class_id", "institution_id", "passed", "person_id")}
    extra = {"submitted_by_id": 1, "submitted_at": utcnow()}
    with pytest.raises(IntegrityError):
        await SettlementClaim.create(**copy, **extra, voucher_id=second.id)
    # A rejected claim does not count: the institution may submit again.
    await SettlementClaim.filter(id=claim.id).update(status="rejected")
    await SettlementClaim.create(**copy, **extra, voucher_id=second.id)


async def test_a_person_enrolled_twice_before_the_guard_files_one_claim(client, svc):
    env = await two_vouchers_env(client, svc)
    _, second = await _enrolled_with_first(client, env)
    # The second voucher enrolled and checked in before migration 0007, which left that
    # enrolment's person empty, outside the index.
    await Enrolment.create(voucher_id=second.id, training_class_id=env["class"]["id"], enrolled_at=utcnow())
    await Voucher.filter(id=second.id).update(status="enrolled", used_at=utcnow())
    from models import Attendance

    [attendance] = await Attendance.filter(voucher__code=env["codes"][0])
    await Attendance.create(lesson_id=attendance.lesson_id, voucher_id=second.id, method="scan", checked_in_at=utcnow())

    report = await submit(client, env, [passed(code) for code in env["codes"]])
    assert [(r["voucher_code"], r["subsidy_fen"]) for r in report["rows"]] == [(env["codes"][0], 60_000)]
    assert [(p["code"], p["message"]) for p in report["problems"]] == [("duplicate_row", "与第 1 行重复（同一学员）")]
    # In two files, the second is refused as the holder's second claim in the class.
    report = await submit(client, env, [passed(env["codes"][1])])
    assert report["created"] == 0
    [problem] = report["problems"]
    assert problem["code"] == "person_already_submitted" and "另一张培训券" in problem["message"]
    assert await SettlementClaim.all().count() == 1
