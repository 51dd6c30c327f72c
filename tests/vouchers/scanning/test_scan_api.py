"""The one scan call: verify, enrol and check in, with every refusal a scanner will meet."""

from __future__ import annotations

import asyncio
import time

import pytest

from models import Enrolment, OutboxMessage, ScanRecord, TrainingClass, Voucher, VoucherHistory
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.institutions import (
    API,
    claimed_voucher,
    lesson,
    post_scan,
    scan_body,
    scanner,
    setup_institution,
    training_class,
    voucher_payload,
)
from tests.support.qr import forged
from vouchers.common.policy import Policy, PolicyRule
from vouchers.qr import codes as qr
from vouchers.scanning.scan import REASONS


@pytest.fixture
async def env(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    env = await setup_institution(client, token)
    session, code = await claimed_voucher(client, svc, batch["id"])
    env.update(bureau=token, batch=batch, session=session, code=code)
    return env


async def test_verify_shows_a_masked_summary_and_changes_nothing(client, svc, env):
    payload = await voucher_payload(client, env["session"], env["code"])
    history_before = await VoucherHistory.all().count()
    answer = await post_scan(client, env["scanner"], scan_body(payload, "verify"))
    assert answer["result"] == "ok" and answer["reason"] is None and answer["replayed"] is False
    v = answer["voucher"]
    assert v["code"] == env["code"] and v["status"] == "claimed"
    assert v["holder_name"] == "李*"  # the factories' trainee is 李四
    assert "*" * 10 in v["holder_id_number"]
    assert (await Voucher.get(code=env["code"])).status == "claimed"
    assert await VoucherHistory.all().count() == history_before
    record = await ScanRecord.get(id=answer["scan_id"])
    assert (record.action, record.result, record.device) == ("verify", "ok", "扫码枪-01")


async def test_the_png_the_trainee_shows_decodes_and_is_accepted(client, svc, env):
    from tests.support.qr import decode_png, require_zbar

    require_zbar()
    r = await client.get(f"{API}/vouchers/{env['code']}/qr?format=png", headers=auth(env["session"]))
    assert r.status == 200 and r.content_type == "image/png"
    assert r.headers["Cache-Control"] == "no-store"
    answer = await post_scan(client, env["scanner"], scan_body(decode_png(await r.read()), "verify"))
    assert answer["result"] == "ok", answer


async def test_someone_elses_voucher_qr_is_not_found(client, svc, env):
    from tests.support.factories import trainee

    _, stranger = await trainee(svc)
    r = await client.get(f"{API}/vouchers/{env['code']}/qr", headers=auth(stranger))
    assert r.status == 404


async def test_stale_forged_revoked_and_wrong_region_are_refused_and_recorded(client, svc, env):
    stale = qr.sign(svc.qr, qr.VOUCHER, env["code"], now=time.time() - 120).payload
    answer = await post_scan(client, env["scanner"], scan_body(stale, "verify"))
    assert (answer["result"], answer["reason"]) == ("error", "qr_stale")
    assert answer["message"]
    fresh = await voucher_payload(client, env["session"], env["code"])
    other_code = fresh.replace(env["code"], "AAAAAAAAAAAAAAAA")
    answer = await post_scan(client, env["scanner"], scan_body(other_code, "enrol", env["class"]["id"]))
    assert (answer["result"], answer["reason"], answer["voucher"]) == ("error", "qr_invalid", None)
    # Stale and forged codes are told to the institution (once an hour per kind and voucher).
    anomalies = await OutboxMessage.filter(kind="institution_anomaly").values_list("payload", flat=True)
    assert sorted(p["anomaly"] for p in anomalies) == ["qr_invalid", "qr_stale"]
    assert all(p["institution_id"] == env["institution"]["id"] for p in anomalies)

    # A Chongqing voucher at a Wuxi institution.
    cq = await bureau(svc, "chongqing", "500000")
    cq_batch = await published_batch(client, cq, region="500000")
    session, code = await claimed_voucher(client, svc, cq_batch["id"])
    answer = await post_scan(client, env["scanner"], scan_body(await voucher_payload(client, session, code), "verify"))
    assert (answer["result"], answer["reason"]) == ("error", "wrong_region")

    r = await client.post(
        f"{API}/admin/vouchers/{env['code']}/revoke", json={"reason": "重复领取"}, headers=auth(env["bureau"])
    )
    assert r.status == 200
    # The trainee can no longer get a code, and an older screen shot of one is refused as revoked.
    assert (await client.get(f"{API}/vouchers/{env['code']}/qr", headers=auth(env["session"]))).status == 409
    answer = await post_scan(client, env["scanner"], scan_body(fresh, "verify"))
    assert (answer["result"], answer["reason"]) == ("error", "revoked")
    assert await ScanRecord.filter(result="error").count() == 4
    assert set(await ScanRecord.all().values_list("reason", flat=True)) <= set(REASONS)


async def test_expired_voucher_is_refused(client, svc, env):
    await Voucher.filter(code=env["code"]).update(
        valid_until=Voucher._meta.fields_map["valid_until"].to_python_value("2020-01-01T00:00:00+00:00")
    )
    payload = qr.sign(svc.qr, qr.VOUCHER, env["code"]).payload
    answer = await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    assert (answer["result"], answer["reason"]) == ("error", "expired")


async def test_enrol_binds_the_voucher_writes_history_and_notices(client, svc, env):
    payload = await voucher_payload(client, env["session"], env["code"])
    no_class = await post_scan(client, env["scanner"], scan_body(payload, "enrol"))
    assert no_class["reason"] == "class_required"
    answer = await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    assert answer["result"] == "ok", answer
    assert answer["voucher"]["status"] == "enrolled" and answer["class_id"] == env["class"]["id"]
    voucher = await Voucher.get(code=env["code"])
    assert voucher.status == "enrolled" and voucher.used_occupation == "电工" and voucher.used_at is not None
    [history] = await VoucherHistory.filter(voucher_id=voucher.id, action="enrolled")
    assert (history.from_status, history.to_status, history.actor_kind) == ("claimed", "enrolled", "institution")
    kinds = set(await OutboxMessage.filter(voucher_id=voucher.id).values_list("kind", flat=True))
    assert {"voucher_enrolled", "institution_enrolment"} <= kinds
    notice = await OutboxMessage.get(kind="institution_enrolment")
    assert notice.payload["institution_id"] == env["institution"]["id"] and notice.payload["holder_name"] == "李*"
    assert (await TrainingClass.get(id=env["class"]["id"])).enrolled == 1
    again = await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    assert (again["result"], again["reason"]) == ("error", "already_enrolled")


async def test_enrol_checks_project_occupation_capacity_and_class(client, svc, env):
    payload = await voucher_payload(client, env["session"], env["code"])
    site_ids = [env["site"]["id"]]
    other_project = await training_class(client, env["commissioner"], site_ids, project_type="创业培训")
    other_trade = await training_class(client, env["commissioner"], site_ids, occupation="焊工")
    ended = await training_class(client, env["commissioner"], site_ids, start_date="2020-01-01", end_date="2020-02-01")
    for klass, reason in (
        (other_project, "wrong_project"),
        (other_trade, "wrong_occupation"),
        (ended, "class_ended"),
        ({"id": 999_999}, "class_not_found"),
    ):
        answer = await post_scan(client, env["scanner"], scan_body(payload, "enrol", klass["id"]))
        assert (answer["result"], answer["reason"]) == ("error", reason)
    tiny = await training_class(client, env["commissioner"], site_ids, capacity=1)
    assert (await post_scan(client, env["scanner"], scan_body(payload, "enrol", tiny["id"])))["result"] == "ok"
    session, code = await claimed_voucher(client, svc, env["batch"]["id"])
    second = await voucher_payload(client, session, code)
    answer = await post_scan(client, env["scanner"], scan_body(second, "enrol", tiny["id"]))
    assert (answer["result"], answer["reason"]) == ("error", "class_full")


async def test_regional_policy_one_use_per_occupation(client, svc, env):
    svc.policy = Policy(regions={"320200": PolicyRule(one_use_per_occupation_per_year=True)})
    from tests.support.factories import id_number

    number = id_number()
    another = await published_batch(client, env["bureau"], title="第二批电工券")
    session, first = await claimed_voucher(client, svc, env["batch"]["id"], number=number)
    r = await client.post(f"{API}/claims", json={"batch_id": another["id"]}, headers=auth(session))
    second = (await r.json())["code"]
    ok = await post_scan(
        client, env["scanner"], scan_body(await voucher_payload(client, session, first), "enrol", env["class"]["id"])
    )
    assert ok["result"] == "ok"
    # Another electricians' class: in the same one, one enrolment per person comes first.
    other = await training_class(client, env["commissioner"], [env["site"]["id"]], name="电工培训二班")
    refused = await post_scan(
        client, env["scanner"], scan_body(await voucher_payload(client, session, second), "enrol", other["id"])
    )
    assert (refused["result"], refused["reason"]) == ("error", "occupation_limit")


async def test_two_scanners_enrolling_the_same_trainee_at_once_enrol_once(client, svc, env):
    _, other = await scanner(client, env["commissioner"], "second-desk")
    payload = await voucher_payload(client, env["session"], env["code"])
    answers = await asyncio.gather(
        *(
            post_scan(client, token, scan_body(payload, "enrol", env["class"]["id"]))
            for token in [env["scanner"], other] * 4
        )
    )
    results = sorted((a["result"], a["reason"]) for a in answers)
    assert results == [("error", "already_enrolled")] * 7 + [("ok", None)]
    voucher = await Voucher.get(code=env["code"])
    assert await Enrolment.filter(voucher_id=voucher.id).count() == 1
    assert await VoucherHistory.filter(voucher_id=voucher.id, action="enrolled").count() == 1
    assert (await TrainingClass.get(id=env["class"]["id"])).enrolled == 1
    assert await ScanRecord.all().count() == 8


async def test_the_same_nonce_returns_the_first_answer_and_writes_one_row(client, svc, env):
    payload = await voucher_payload(client, env["session"], env["code"])
    body = scan_body(payload, "enrol", env["class"]["id"])
    first = await post_scan(client, env["scanner"], body)
    again = await post_scan(client, env["scanner"], body)
    assert again["replayed"] is True and {**again, "replayed": False, "at": first["at"]} == first
    # Concurrently, and with a different payload under the same nonce: still the first answer.
    body2 = scan_body(payload, "verify")
    answers = await asyncio.gather(*(post_scan(client, env["scanner"], body2) for _ in range(6)))
    assert len({a["scan_id"] for a in answers}) == 1
    assert sum(not a["replayed"] for a in answers) == 1
    assert await ScanRecord.all().count() == 2


async def test_checkin_at_the_current_lesson_once(client, svc, env):
    payload = await voucher_payload(client, env["session"], env["code"])
    not_yet = await post_scan(client, env["scanner"], scan_body(payload, "checkin", env["class"]["id"]))
    assert (not_yet["result"], not_yet["reason"]) == ("error", "not_enrolled")
    await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    answer = await post_scan(client, env["scanner"], scan_body(payload, "checkin", env["class"]["id"]))
    assert answer["result"] == "ok" and answer["reason"] is None and answer["lesson_id"] == env["lesson"]["id"]
    answers = await asyncio.gather(
        *(post_scan(client, env["scanner"], scan_body(payload, "checkin", env["class"]["id"])) for _ in range(4))
    )
    assert {(a["result"], a["reason"]) for a in answers} == {("ok", "already_checked_in")}
    from models import Attendance

    assert await Attendance.all().count() == 1


async def test_checkin_outside_the_window_is_no_lesson_now(client, svc, env):
    site_ids = [env["site"]["id"]]
    klass = await training_class(client, env["commissioner"], site_ids)
    await lesson(
        client,
        env["commissioner"],
        klass["id"],
        starts_at=f"{klass['start_date']}T09:00:00+08:00",  # the first day's lesson, long over
        ends_at=f"{klass['start_date']}T11:00:00+08:00",
    )
    payload = await voucher_payload(client, env["session"], env["code"])
    await post_scan(client, env["scanner"], scan_body(payload, "enrol", klass["id"]))
    answer = await post_scan(client, env["scanner"], scan_body(payload, "checkin", klass["id"]))
    assert (answer["result"], answer["reason"]) == ("error", "no_lesson_now")


async def test_annul_own_scan_within_the_window(client, svc, env):
    payload = await voucher_payload(client, env["session"], env["code"])
    enrolled = await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    # Only the staff member who scanned may annul.
    r = await client.post(f"{API}/scans/{enrolled['scan_id']}/annul", headers=auth(env["commissioner"]))
    assert r.status == 409 and (await r.json())["error"]["code"] == "annul_not_allowed"
    r = await client.post(f"{API}/scans/{enrolled['scan_id']}/annul", headers=auth(env["scanner"]))
    assert r.status == 200, await r.text()
    voucher = await Voucher.get(code=env["code"])
    assert voucher.status == "claimed" and voucher.used_at is None
    actions = await VoucherHistory.filter(voucher_id=voucher.id).order_by("id").values_list("action", flat=True)
    assert actions == ["claimed", "enrolled", "enrolment_annulled"]
    assert (await TrainingClass.get(id=env["class"]["id"])).enrolled == 0
    assert await Enrolment.filter(voucher_id=voucher.id).count() == 1  # kept, marked annulled
    r = await client.post(f"{API}/scans/{enrolled['scan_id']}/annul", headers=auth(env["scanner"]))
    assert (await r.json())["error"]["code"] == "already_annulled"
    # Enrol again, then too late to annul.
    again = await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    assert again["result"] == "ok"
    svc.annul_window_s = 0
    r = await client.post(f"{API}/scans/{again['scan_id']}/annul", headers=auth(env["scanner"]))
    assert r.status == 409 and (await r.json())["error"]["code"] == "annul_not_allowed"
    recent = await (await client.get(f"{API}/scans", headers=auth(env["scanner"]))).json()
    assert [x["annulled"] for x in recent["items"]][:2] == [False, True]


async def test_revocation_list_is_incremental(client, svc, env):
    r = await client.get(f"{API}/qr/revocations", headers=auth(env["scanner"]))
    first = await r.json()
    assert first["items"] == []
    await client.post(
        f"{API}/admin/vouchers/{env['code']}/revoke", json={"reason": "测试"}, headers=auth(env["bureau"])
    )
    r = await client.get(f"{API}/qr/revocations?since={first['cursor']}", headers=auth(env["scanner"]))
    second = await r.json()
    assert [(x["code"], x["status"]) for x in second["items"]] == [(env["code"], "revoked")]
    r = await client.get(f"{API}/qr/revocations?since={second['cursor']}", headers=auth(env["scanner"]))
    assert (await r.json())["items"] == []
    assert (await client.get(f"{API}/qr/revocations")).status == 401


async def test_checkin_again_after_annulling_it_counts_again(client, svc, env):
    from models import Attendance

    payload = await voucher_payload(client, env["session"], env["code"])
    await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    first = await post_scan(client, env["scanner"], scan_body(payload, "checkin", env["class"]["id"]))
    r = await client.post(f"{API}/scans/{first['scan_id']}/annul", headers=auth(env["scanner"]))
    assert r.status == 200, await r.text()
    again = await post_scan(client, env["scanner"], scan_body(payload, "checkin", env["class"]["id"]))
    assert (again["result"], again["reason"]) == ("ok", None)
    [row] = await Attendance.all()
    assert row.annulled_at is None and row.scan_id == again["scan_id"]
    # And that check-in can be annulled in turn.
    r = await client.post(f"{API}/scans/{again['scan_id']}/annul", headers=auth(env["scanner"]))
    assert r.status == 200, await r.text()


async def test_many_scans_at_once_each_get_their_own_record_and_answer(client, svc, env):
    payload = await voucher_payload(client, env["session"], env["code"])
    bodies = [scan_body(payload, "verify") for _ in range(20)]
    bodies += [scan_body(payload, "checkin", env["class"]["id"]) for _ in range(5)]  # not enrolled
    bodies += [bodies[0]] * 3  # a client retrying the first
    answers = await asyncio.gather(*(post_scan(client, env["scanner"], b) for b in bodies))
    assert [a["result"] for a in answers[:20]] == ["ok"] * 20
    assert {a["reason"] for a in answers[20:25]} == {"not_enrolled"}
    assert len({a["scan_id"] for a in answers}) == 25
    assert {a["scan_id"] for a in answers[25:]} == {answers[0]["scan_id"]}
    assert await ScanRecord.all().count() == 25
    records = {r.id: r for r in await ScanRecord.all()}
    for body, answer in zip(bodies, answers, strict=True):
        record = records[answer["scan_id"]]
        assert (record.nonce, record.action, record.reason) == (body["nonce"], body["action"], answer["reason"])


async def test_disabling_a_scanner_refuses_their_next_scan(client, svc, env):
    member, token = await scanner(client, env["commissioner"], "third-desk")
    payload = await voucher_payload(client, env["session"], env["code"])
    assert (await post_scan(client, token, scan_body(payload, "verify")))["result"] == "ok"
    r = await client.post(f"{API}/institution/staff/{member['id']}/disable", headers=auth(env["commissioner"]))
    assert r.status == 200, await r.text()
    records = await ScanRecord.all().count()
    # The staff row is read with the voucher (one statement) for a genuine code, alone for a bad
    # one: both refuse the disabled member and record nothing in their name.
    r = await client.post(f"{API}/scans", json=scan_body(payload, "verify"), headers=auth(token))
    assert r.status == 401
    assert (await r.json())["error"]["code"] == "unauthenticated"
    r = await client.post(f"{API}/scans", json=scan_body(forged(payload, 2), "verify"), headers=auth(token))
    assert r.status == 401
    assert await ScanRecord.all().count() == records
    # Others of the institution scanning the same code at the same moment are not affected.
    answers = await asyncio.gather(
        client.post(f"{API}/scans", json=scan_body(payload, "verify"), headers=auth(token)),
        client.post(f"{API}/scans", json=scan_body(payload, "verify"), headers=auth(env["scanner"])),
    )
    assert [a.status for a in answers] == [401, 200]


async def test_scans_are_counted_by_action_and_result_in_metrics(client, svc, env):
    def count(text: str, labels: str) -> float:
        line = next((x for x in text.splitlines() if x.startswith(f"pxq_scans_total{{{labels}}}")), None)
        return float(line.rsplit(" ", 1)[1]) if line else 0.0

    before = await (await client.get("/metrics")).text()
    payload = await voucher_payload(client, env["session"], env["code"])
    genuine = await post_scan(client, env["scanner"], scan_body(payload, "verify"))
    tampered = await post_scan(client, env["scanner"], scan_body(forged(payload), "verify"))
    assert (genuine["result"], tampered["reason"]) == ("ok", "qr_invalid"), (payload, genuine, tampered)
    after = await (await client.get("/metrics")).text()
    assert count(after, 'action="verify",result="ok"') - count(before, 'action="verify",result="ok"') == 1
    invalid = 'action="verify",result="qr_invalid"'
    assert count(after, invalid) - count(before, invalid) == 1


async def test_the_scan_statement_reads_what_the_orm_reads(client, svc, env):
    # PostgreSQL reads a scan with one hand-written statement whose columns are taken by position;
    # SQLite reads it through the ORM. For the same keys both must say the same, or the backends
    # would drift apart unseen (the API tests run on one backend at a time).
    from tortoise import connections

    from models import Staff
    from models.database import is_postgres
    from models.sql.scan import held_connection, orm_scan_found, scan_rows
    from models.sql.scan_rows import ScanKey
    from vouchers.common.clock import utcnow

    db = connections.get("default")
    if not is_postgres(db):
        pytest.skip("the hand-written statement is PostgreSQL's")
    class_id, lesson_id = env["class"]["id"], env["lesson"]["id"]
    payload = await voucher_payload(client, env["session"], env["code"])
    await post_scan(client, env["scanner"], scan_body(payload, "enrol", class_id))
    await post_scan(client, env["scanner"], scan_body(payload, "checkin", class_id))
    _, unenrolled = await claimed_voucher(client, svc, env["batch"]["id"])
    staff_id = svc.tokens.verify(env["scanner"], "staff").subject
    keys = [
        ScanKey(staff_id, env["code"], None, None),
        ScanKey(staff_id, env["code"], class_id, None),
        ScanKey(staff_id, env["code"], class_id, lesson_id),
        ScanKey(staff_id, env["code"], class_id, lesson_id + 1000),
        ScanKey(staff_id, env["code"], class_id + 1000, None),
        ScanKey(staff_id, unenrolled, class_id, None),
        ScanKey(staff_id, "A" * 16, class_id, None),
        ScanKey(staff_id + 1000, env["code"], None, None),  # no such staff member
    ]
    now = utcnow()
    async with held_connection() as conn:
        found = dict(zip(keys, await scan_rows(conn, keys, now), strict=True))
    staff = await Staff.get(id=staff_id)
    assert found[keys[-1]] is None and await orm_scan_found(keys[-1], now) is None
    for key in keys[:-1]:
        read = found[key][1]
        if read is not None:  # the row versions a reused read is checked by: PostgreSQL's only
            assert read.voucher.versions is not None and read.voucher.versions.count(":") == 1
            read.voucher.versions = None
        assert found[key] == await orm_scan_found(key, now), key
        scan_staff = found[key][0]
        assert (scan_staff.id, scan_staff.institution_id, scan_staff.active) == (staff.id, staff.institution_id, True)
        assert (scan_staff.removed_at, scan_staff.token_version) == (staff.removed_at, staff.token_version)
    checked_in = found[keys[2]][1]
    assert checked_in is not None and checked_in.enrolled and checked_in.lesson_id == lesson_id
    assert checked_in.attendance is not None and checked_in.voucher.status == "enrolled"
    assert found[keys[6]][1] is None


async def test_a_scan_is_recorded_while_its_voucher_is_locked_by_an_enrolment(client, svc, env):
    # A scan record used to share-lock its voucher (a foreign-key check) until commit: every verify
    # of a voucher waited behind an enrolment holding it, and a retried nonce made the two wait on
    # each other (a deadlock, a 500). The record now takes no lock on the voucher.
    from tortoise import connections

    from models.database import is_postgres
    from models.sql.scan import held_connection, insert_scans
    from models.sql.scan_rows import ScanRow
    from vouchers.common.clock import utcnow

    if not is_postgres(connections.get("default")):
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer")
    voucher = await Voucher.get(code=env["code"])
    staff_id = svc.tokens.verify(env["scanner"], "staff").subject
    institution_id = (await TrainingClass.get(id=env["class"]["id"])).institution_id
    now = utcnow()
    row = ScanRow(
        institution_id, staff_id, "n-locked", "desk", "verify", voucher.id, None, None, "ok", None, b"{}", now, now
    )
    async with held_connection() as enrolment, enrolment.transaction():  # its own pooled connection
        await enrolment.execute("SELECT id FROM voucher WHERE id = $1 FOR UPDATE", voucher.id)
        async with held_connection() as conn:
            [scan_id] = await asyncio.wait_for(insert_scans(conn, [row]), 5)
    assert scan_id is not None
    assert await ScanRecord.filter(id=scan_id, voucher_id=voucher.id).exists()
