"""Issue 17 item 1: a person is enrolled in a class once, whatever voucher they bring, and files
one completion and one subsidy claim per class. The story of the issue: one trainee with two
fitting vouchers (600 and 500 yuan) scanned into the same class with each."""

from __future__ import annotations

import asyncio

from models import Enrolment, ScanRecord, SettlementClaim, TrainingClass, Voucher
from tests.support.factories import auth
from tests.support.institutions import API, post_scan, scan_body, scanner, voucher_payload
from tests.support.settlement import passed, submit, two_vouchers_env
from vouchers.scanning.scan import REASONS

SECOND_ENROLMENT = "该学员已用另一张培训券报名此培训班"


async def test_one_person_two_vouchers_one_class_one_enrolment_one_claim(client, svc):
    env = await two_vouchers_env(client, svc)
    class_id = env["class"]["id"]
    first, second = [await voucher_payload(client, env["session"], code) for code in env["codes"]]

    ok = await post_scan(client, env["scanner"], scan_body(first, "enrol", class_id))
    assert ok["result"] == "ok", ok
    refused = await post_scan(client, env["scanner"], scan_body(second, "enrol", class_id))
    assert (refused["result"], refused["reason"]) == ("error", "already_in_class")
    assert refused["message"].startswith(SECOND_ENROLMENT)
    assert "already_in_class" in REASONS
    # The second voucher stays unused, for another class.
    assert (await Voucher.get(code=env["codes"][1])).status == "claimed"
    assert (await TrainingClass.get(id=class_id)).enrolled == 1

    assert (await post_scan(client, env["scanner"], scan_body(first, "checkin", class_id)))["result"] == "ok"
    checkin = await post_scan(client, env["scanner"], scan_body(second, "checkin", class_id))
    assert (checkin["result"], checkin["reason"]) == ("error", "not_enrolled")

    report = await submit(client, env, [passed(code) for code in env["codes"]])
    assert report["created"] == 1
    assert [(r["voucher_code"], r["subsidy_fen"]) for r in report["rows"]] == [(env["codes"][0], 60_000)]
    assert [p["code"] for p in report["problems"]] == ["not_in_class"]
    assert await SettlementClaim.all().count() == 1


async def test_two_scans_at_once_with_two_vouchers_of_one_person_enrol_once(client, svc):
    env = await two_vouchers_env(client, svc)
    class_id = env["class"]["id"]
    _, other = await scanner(client, env["commissioner"], "second-desk")
    payloads = [await voucher_payload(client, env["session"], code) for code in env["codes"]]
    answers = await asyncio.gather(
        *(
            post_scan(client, token, scan_body(payload, "enrol", class_id))
            for token, payload in [(env["scanner"], payloads[0]), (other, payloads[1])] * 3
        )
    )
    results = sorted((a["result"], a["reason"]) for a in answers)
    assert results[-1] == ("ok", None)
    assert set(results[:-1]) <= {("error", "already_in_class"), ("error", "already_enrolled")}
    assert ("error", "already_in_class") in results
    assert await Enrolment.filter(training_class_id=class_id, annulled_at=None).count() == 1
    assert (await TrainingClass.get(id=class_id)).enrolled == 1
    assert await ScanRecord.filter(action="enrol").count() == 6


async def test_after_an_annulled_enrolment_the_other_voucher_may_enrol(client, svc):
    env = await two_vouchers_env(client, svc)
    class_id = env["class"]["id"]
    first, second = [await voucher_payload(client, env["session"], code) for code in env["codes"]]
    ok = await post_scan(client, env["scanner"], scan_body(first, "enrol", class_id))
    r = await client.post(f"{API}/scans/{ok['scan_id']}/annul", headers=auth(env["scanner"]))
    assert r.status == 200, await r.text()
    again = await post_scan(client, env["scanner"], scan_body(second, "enrol", class_id))
    assert again["result"] == "ok", again
