"""Sign-up (报名): a trainee signs up for a class with a voucher that fits it; the institution
sees it and confirms it by the registration scan, or declines it with a reason; it lapses when
the class has started."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import OutboxMessage, Signup, TrainingClass, Voucher, VoucherHistory
from tests.support.catalogue import (
    catalogue,
    catalogue_env,
    my_signups,
    open_class,
    post_signup,
    signed_up,
)
from tests.support.factories import auth, published_batch, trainee
from tests.support.institutions import API, claimed_voucher, post_scan, scan_body, voucher_payload
from vouchers.catalogue import signup_lists
from vouchers.catalogue.lapse import lapse_signups
from vouchers.common.clock import local_date, utcnow


async def _error(response, status: int, code: str) -> str:
    body = await response.json()
    assert response.status == status, body
    assert body["error"]["code"] == code, body
    return body["error"]["message"]


async def test_sign_up_and_see_it_pending_with_the_class_and_institution(client, svc):
    env = await catalogue_env(client, svc)
    signup = await signed_up(client, env["session"], env["class"]["id"], env["code"])
    assert (signup["status"], signup["status_text"], signup["cancellable"]) == ("pending", "待确认", True)
    assert signup["voucher"] == {"code": env["code"], "title": env["batch"]["title"]}
    assert signup["training_class"]["id"] == env["class"]["id"]
    assert signup["institution"]["name"] == env["institution"]["name"]
    assert [s["id"] for s in await my_signups(client, env["session"])] == [signup["id"]]
    # The catalogue shows it on the class, and the voucher's history records it.
    [offered] = (await catalogue(client, env["session"]))["items"]
    assert offered["my_signup"] == {"id": signup["id"], "status": "pending", "status_text": "待确认"}
    actions = await VoucherHistory.filter(voucher__code=env["code"]).values_list("action", flat=True)
    assert actions == ["claimed", "signed_up"]
    # The institution is told (its notice list and the delivery routes take the kind).
    [notice] = await OutboxMessage.filter(kind="institution_signup")
    assert notice.institution_id == env["institution"]["id"]
    assert notice.payload["holder_name"] == "李*" and notice.payload["voucher_code"] == env["code"]
    r = await client.get(f"{API}/institution/notices", headers=auth(env["commissioner"]))
    [listed] = (await r.json())["items"]
    assert listed["kind_text"] == "线上报名" and listed["title"] == "新的线上报名"
    assert env["class"]["name"] in listed["body"] and "李*" in listed["body"]


async def test_sign_up_with_a_voucher_that_does_not_fit_is_refused(client, svc):
    env = await catalogue_env(client, svc)  # an 电工 voucher
    site_ids = [env["site"]["id"]]
    welding = await open_class(client, env["commissioner"], site_ids, name="焊工班", occupation="焊工")
    r = await post_signup(client, env["session"], welding["id"], env["code"])
    assert await _error(r, 409, "wrong_occupation") == "该培训券不适用于此工种"
    startup = await open_class(client, env["commissioner"], site_ids, name="创业班", project_type="创业培训")
    await _error(await post_signup(client, env["session"], startup["id"], env["code"]), 409, "wrong_project")
    started = await open_class(client, env["commissioner"], site_ids, days=-1, name="已开班")
    await _error(await post_signup(client, env["session"], started["id"], env["code"]), 409, "signup_closed")
    # Someone else's voucher is not found, and so is a class that does not exist.
    _, stranger = await trainee(svc)
    await _error(await post_signup(client, stranger, env["class"]["id"], env["code"]), 404, "not_found")
    await _error(await post_signup(client, env["session"], 999_999, env["code"]), 404, "class_not_found")
    # A revoked voucher cannot sign up.
    await Voucher.filter(code=env["code"]).update(status="revoked")
    await _error(await post_signup(client, env["session"], env["class"]["id"], env["code"]), 409, "voucher_unusable")
    assert await Signup.all().count() == 0


async def test_one_pending_sign_up_per_voucher_and_one_per_person_and_class(client, svc):
    env = await catalogue_env(client, svc)
    other_class = await open_class(client, env["commissioner"], [env["site"]["id"]], name="电工二期")
    second_batch = await published_batch(client, env["bureau"], title="第二张电工券")
    r = await client.post(f"{API}/claims", json={"batch_id": second_batch["id"]}, headers=auth(env["session"]))
    second_code = (await r.json())["code"]

    first = await signed_up(client, env["session"], env["class"]["id"], env["code"])
    r = await post_signup(client, env["session"], env["class"]["id"], env["code"])
    await _error(r, 409, "already_signed_up")
    r = await post_signup(client, env["session"], other_class["id"], env["code"])
    await _error(r, 409, "voucher_signed_up")
    r = await post_signup(client, env["session"], env["class"]["id"], second_code)  # same class, other voucher
    await _error(r, 409, "already_signed_up")
    # The catalogue says where the voucher is signed up.
    items = {c["id"]: c for c in (await catalogue(client, env["session"]))["items"]}
    [elsewhere] = [v for v in items[other_class["id"]]["fitting_vouchers"] if v["code"] == env["code"]]
    assert elsewhere["signed_up_class_id"] == env["class"]["id"]

    # Cancelled: the voucher is free again, and the class may be signed up for again.
    r = await client.post(f"{API}/signups/{first['id']}/cancel", headers=auth(env["session"]))
    assert r.status == 200, await r.text()
    cancelled = await r.json()
    assert (cancelled["status"], cancelled["status_text"], cancelled["cancellable"]) == ("cancelled", "已取消", False)
    r = await client.post(f"{API}/signups/{first['id']}/cancel", headers=auth(env["session"]))
    await _error(r, 409, "signup_not_pending")
    await signed_up(client, env["session"], other_class["id"], env["code"])
    await signed_up(client, env["session"], env["class"]["id"], second_code)
    # Another trainee cannot cancel mine.
    _, stranger = await trainee(svc)
    r = await client.post(f"{API}/signups/{first['id']}/cancel", headers=auth(stranger))
    await _error(r, 404, "signup_not_found")


async def test_the_registration_scan_confirms_the_sign_up(client, svc):
    env = await catalogue_env(client, svc)
    signup = await signed_up(client, env["session"], env["class"]["id"], env["code"])
    payload = await voucher_payload(client, env["session"], env["code"])
    answer = await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    assert answer["result"] == "ok", answer
    [mine] = await my_signups(client, env["session"])
    assert (mine["id"], mine["status"], mine["status_text"], mine["cancellable"]) == (
        signup["id"],
        "confirmed",
        "已确认",
        False,
    )
    # The trainee is told once, that the sign-up is confirmed (not also "enrolled").
    kinds = await OutboxMessage.filter(person_id__not_isnull=True).values_list("kind", flat=True)
    assert "signup_confirmed" in kinds and "voucher_enrolled" not in kinds
    # Annulling the enrolment puts the sign-up back to pending.
    r = await client.post(f"{API}/scans/{answer['scan_id']}/annul", headers=auth(env["scanner"]))
    assert r.status == 200, await r.text()
    assert [s["status"] for s in await my_signups(client, env["session"])] == ["pending"]


async def test_enrolled_into_another_class_the_sign_up_lapses(client, svc):
    env = await catalogue_env(client, svc)
    other = await open_class(client, env["commissioner"], [env["site"]["id"]], name="电工二期")
    await signed_up(client, env["session"], env["class"]["id"], env["code"])
    payload = await voucher_payload(client, env["session"], env["code"])
    assert (await post_scan(client, env["scanner"], scan_body(payload, "enrol", other["id"])))["result"] == "ok"
    [mine] = await my_signups(client, env["session"])
    assert (mine["status"], mine["status_text"], mine["reason"]) == ("lapsed", "已失效", "已用此培训券报名其他培训班")
    kinds = await OutboxMessage.filter(person_id__not_isnull=True).values_list("kind", flat=True)
    assert "voucher_enrolled" in kinds and "signup_confirmed" not in kinds


async def test_the_institution_sees_its_class_sign_ups_masked_and_declines_with_a_reason(client, svc):
    env = await catalogue_env(client, svc)
    signup = await signed_up(client, env["session"], env["class"]["id"], env["code"])
    r = await client.get(f"{API}/institution/classes/{env['class']['id']}/signups", headers=auth(env["scanner"]))
    assert r.status == 200, await r.text()
    listed = await r.json()
    assert listed["class_name"] == env["class"]["name"] and listed["hold_places_for_signups"] is False
    [row] = listed["items"]
    assert (row["id"], row["status_text"], row["voucher_code"], row["holder_name"]) == (
        signup["id"],
        "待确认",
        env["code"],
        "李*",
    )

    decline = f"{API}/institution/signups/{signup['id']}/decline"
    r = await client.post(decline, json={"reason": "本期名额已满"}, headers=auth(env["scanner"]))
    assert r.status == 200, await r.text()
    assert (await r.json())["status_text"] == "已婉拒"
    [mine] = await my_signups(client, env["session"])
    assert (mine["status_text"], mine["reason"]) == ("已婉拒", "本期名额已满")
    [notice] = await OutboxMessage.filter(kind="signup_declined")
    assert notice.payload["reason"] == "本期名额已满"
    # Declined: the voucher is free for another class; declining again is refused.
    r = await client.post(
        f"{API}/institution/signups/{signup['id']}/decline", json={"reason": "再婉拒一次"}, headers=auth(env["scanner"])
    )
    await _error(r, 409, "signup_not_pending")
    # Another institution sees neither the class's list nor the sign-up.
    from tests.support.institutions import institution

    _, other = await institution(client, env["bureau"])
    r = await client.get(f"{API}/institution/classes/{env['class']['id']}/signups", headers=auth(other))
    assert r.status == 404
    r = await client.post(
        f"{API}/institution/signups/{signup['id']}/decline", json={"reason": "不是我们的"}, headers=auth(other)
    )
    await _error(r, 404, "signup_not_found")


async def test_a_sign_up_lapses_when_the_class_starts(client, svc, monkeypatch):
    env = await catalogue_env(client, svc)
    signup = await signed_up(client, env["session"], env["class"]["id"], env["code"])  # starts in 3 days
    # On the first day it still waits for the registration scan.
    first_day = utcnow() + timedelta(days=3)
    monkeypatch.setattr(signup_lists, "utcnow", lambda: first_day)
    assert [s["status"] for s in await my_signups(client, env["session"])] == ["pending"]
    assert await lapse_signups(first_day) == 0
    # The day after, it reads lapsed at once; the sweep then writes it, once.
    next_day = first_day + timedelta(days=1)
    monkeypatch.setattr(signup_lists, "utcnow", lambda: next_day)
    [mine] = await my_signups(client, env["session"])
    assert (mine["status"], mine["status_text"], mine["reason"], mine["cancellable"]) == (
        "lapsed",
        "已失效",
        "培训班已开班",
        False,
    )
    assert (await Signup.get(id=signup["id"])).status == "pending"
    assert await lapse_signups(next_day) == 1
    assert await lapse_signups(next_day) == 0
    stored = await Signup.get(id=signup["id"])
    assert (stored.status, stored.reason, stored.decided_by) == ("lapsed", "培训班已开班", "system")
    actions = await VoucherHistory.filter(voucher__code=env["code"]).values_list("action", flat=True)
    assert actions == ["claimed", "signed_up", "signup_lapsed"]


async def test_a_pending_sign_up_of_a_voucher_that_expired_is_swept(client, svc):
    env = await catalogue_env(client, svc)
    await signed_up(client, env["session"], env["class"]["id"], env["code"])
    await Voucher.filter(code=env["code"]).update(status="revoked")
    assert await lapse_signups(utcnow()) == 1
    [mine] = await my_signups(client, env["session"])
    assert (mine["status"], mine["reason"]) == ("lapsed", "培训券已不能使用")


@pytest.mark.parametrize("hold", [False, True])
async def test_holding_places_counts_pending_sign_ups_against_capacity(client, svc, hold):
    env = await catalogue_env(client, svc)
    small = await open_class(client, env["commissioner"], [env["site"]["id"]], name="小班", capacity=2)
    body = {k: small[k] for k in ("name", "project_type", "occupation", "start_date", "end_date", "site_ids")}
    body |= {"capacity": 2, "hold_places_for_signups": hold}
    r = await client.put(f"{API}/institution/classes/{small['id']}", json=body, headers=auth(env["commissioner"]))
    assert r.status == 200 and (await r.json())["hold_places_for_signups"] is hold
    # An edit that leaves the setting out keeps it.
    del body["hold_places_for_signups"]
    r = await client.put(f"{API}/institution/classes/{small['id']}", json=body, headers=auth(env["commissioner"]))
    assert (await r.json())["hold_places_for_signups"] is hold

    others = [await claimed_voucher(client, svc, env["batch"]["id"]) for _ in range(3)]
    await signed_up(client, env["session"], small["id"], env["code"])
    await signed_up(client, others[0][0], small["id"], others[0][1])
    third = await post_signup(client, others[1][0], small["id"], others[1][1])
    walk_in = await voucher_payload(client, others[2][0], others[2][1])
    answer = await post_scan(client, env["scanner"], scan_body(walk_in, "enrol", small["id"]))
    places = {c["id"]: c["places_left"] for c in (await catalogue(client, env["session"], "all=true"))["items"]}
    if hold:
        await _error(third, 409, "class_full")
        assert (answer["result"], answer["reason"]) == ("error", "class_full")
        assert small["id"] not in places  # no place left: not open
        # The trainees who signed up still get in.
        mine = await voucher_payload(client, env["session"], env["code"])
        assert (await post_scan(client, env["scanner"], scan_body(mine, "enrol", small["id"])))["result"] == "ok"
    else:
        assert third.status == 201
        assert answer["result"] == "ok"
        assert places[small["id"]] == 1
    assert (await TrainingClass.get(id=small["id"])).enrolled == 1


async def test_sign_ups_count_in_the_statistics_and_the_institution_overview(client, svc):
    env = await catalogue_env(client, svc)
    signup = await signed_up(client, env["session"], env["class"]["id"], env["code"])
    other_session, other_code = await claimed_voucher(client, svc, env["batch"]["id"])
    await signed_up(client, other_session, env["class"]["id"], other_code)
    await client.post(f"{API}/signups/{signup['id']}/cancel", headers=auth(env["session"]))

    r = await client.get(f"{API}/admin/statistics?year={local_date(utcnow()).year}", headers=auth(env["bureau"]))
    assert r.status == 200, await r.text()
    assert (await r.json())["region"]["figures"]["signups"] == 2  # made, whatever became of them
    r = await client.get(f"{API}/admin/statistics?year={local_date(utcnow()).year - 1}", headers=auth(env["bureau"]))
    assert (await r.json())["region"]["figures"]["signups"] == 0

    r = await client.get(f"{API}/admin/institutions/{env['institution']['id']}/overview", headers=auth(env["bureau"]))
    assert r.status == 200, await r.text()
    overview = await r.json()
    assert (overview["signups"], overview["signups_pending"]) == (2, 1)


async def test_the_class_list_says_how_many_sign_ups_wait_for_the_institution(client, svc):
    env = await catalogue_env(client, svc)
    await signed_up(client, env["session"], env["class"]["id"], env["code"])
    other_session, other_code = await claimed_voucher(client, svc, env["batch"]["id"])
    withdrawn = await signed_up(client, other_session, env["class"]["id"], other_code)
    await client.post(f"{API}/signups/{withdrawn['id']}/cancel", headers=auth(other_session))
    r = await client.get(f"{API}/institution/classes", headers=auth(env["commissioner"]))
    waiting = {c["id"]: c["signups_waiting"] for c in (await r.json())["items"]}
    assert waiting == {env["class"]["id"]: 1}
