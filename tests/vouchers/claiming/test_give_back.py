"""Giving a voucher back (退券), as a trainee would: before enrolment, general vouchers only; the unit
goes back to the batch and the claim gate, the QR stops working, the history and the trainee's
notices say so, and the same person cannot claim the batch again unless the batch allows it."""

from __future__ import annotations

import asyncio
import random

from models import Batch, OutboxMessage, Voucher, VoucherHistory, VoucherStatus
from tests.support.factories import auth, bureau, published_batch, regions, trainee
from tests.support.institutions import (
    API,
    claimed_voucher,
    post_scan,
    scan_body,
    setup_institution,
    staff_login,
    voucher_payload,
)
from tests.support.reporting import batch_row
from vouchers.claiming.gate import _keys
from vouchers.common.clock import local_date, utcnow


async def _batch(client, svc, **overrides):
    await regions()
    token = await bureau(svc)
    return await published_batch(client, token, **overrides), token


async def _give_back(client, session: str, code: str):
    return await client.post(f"{API}/vouchers/{code}/return", headers=auth(session))


async def _claim(client, session: str, batch_id: int):
    return await client.post(f"{API}/claims", json={"batch_id": batch_id}, headers=auth(session))


async def _stock(svc, batch_id: int) -> tuple[int, int]:
    """(the batch's remaining stock, the claim gate's)."""
    return (await Batch.get(id=batch_id)).remaining, int(await svc.redis.get(_keys(batch_id)[0]))


async def test_a_returned_voucher_goes_back_to_stock_history_and_notices(client, svc):
    batch, token = await _batch(client, svc, quantity=3)
    session, code = await claimed_voucher(client, svc, batch["id"])
    wallet = await (await client.get(f"{API}/vouchers", headers=auth(session))).json()
    assert wallet["items"][0]["returnable"] is True
    assert await _stock(svc, batch["id"]) == (2, 2)

    response = await _give_back(client, session, code)
    assert response.status == 200, await response.text()
    returned = await response.json()
    assert (returned["code"], returned["status"], returned["returnable"], returned["days_left"]) == (
        code,
        "returned",
        False,
        0,
    )
    assert await _stock(svc, batch["id"]) == (3, 3)

    detail = await (await client.get(f"{API}/vouchers/{code}", headers=auth(session))).json()
    assert [h["action"] for h in detail["history"]] == ["claimed", "returned"]
    row = await VoucherHistory.get(voucher__code=code, action="returned")
    assert (row.actor_kind, row.from_status, row.to_status) == ("trainee", "claimed", "returned")

    notices = await (await client.get(f"{API}/notices", headers=auth(session))).json()
    assert [(n["kind"], n["title"], n["voucher_code"]) for n in notices["items"]] == [
        ("voucher_returned", "已退券", code),
        ("voucher_claimed", "领取成功", code),
    ]
    assert notices["items"][0]["text"] == "培训券已退还，不能再使用"

    # The bureau's counts: the unit is in stock again, the return counted apart.
    counts = await (await client.get(f"{API}/admin/batches/{batch['id']}/counts", headers=auth(token))).json()
    assert {k: counts[k] for k in ("quantity", "remaining", "issued", "claimed", "returned")} == {
        "quantity": 3,
        "remaining": 3,
        "issued": 0,
        "claimed": 0,
        "returned": 1,
    }
    year = local_date(utcnow()).year
    stats = await (await client.get(f"{API}/admin/statistics?year={year}", headers=auth(token))).json()
    assert stats["region"]["figures"]["issued"] == stats["region"]["figures"]["claimed"] == 0

    again = await _give_back(client, session, code)
    assert again.status == 409
    assert (await again.json())["error"]["code"] == "not_returnable"
    assert await _stock(svc, batch["id"]) == (3, 3)
    assert await OutboxMessage.filter(kind="voucher_returned").count() == 1


async def test_the_qr_of_a_returned_voucher_stops_working(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    env = await setup_institution(client, token)
    session, code = await claimed_voucher(client, svc, batch["id"])
    screenshot = await voucher_payload(client, session, code)
    assert (await _give_back(client, session, code)).status == 200

    refused = await client.get(f"{API}/vouchers/{code}/qr", headers=auth(session))
    assert refused.status == 409 and (await refused.json())["error"]["code"] == "returned"
    answer = await post_scan(client, env["scanner"], scan_body(screenshot, "enrol", env["class"]["id"]))
    assert (answer["result"], answer["reason"]) == ("error", "returned")
    assert answer["message"] == "培训券已由持券人退还，不能使用"
    # Offline scanners learn it from the revocation list.
    revoked = await (await client.get(f"{API}/qr/revocations?since=0", headers=auth(env["scanner"]))).json()
    assert [(r["code"], r["status"]) for r in revoked["items"]] == [(code, "returned")]


async def test_an_enrolled_voucher_cannot_be_returned(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    env = await setup_institution(client, token)
    session, code = await claimed_voucher(client, svc, batch["id"])
    payload = await voucher_payload(client, session, code)
    enrolled = await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    assert enrolled["result"] == "ok", enrolled

    response = await _give_back(client, session, code)
    assert response.status == 409
    error = (await response.json())["error"]
    assert error["code"] == "not_returnable" and "已报名" in error["message"]
    assert (await Voucher.get(code=code)).status == VoucherStatus.ENROLLED
    assert (await Batch.get(id=batch["id"])).remaining == batch["quantity"] - 1


async def test_a_targeted_voucher_cannot_be_returned(client, svc):
    await regions()
    await bureau(svc)
    targeted = await batch_row("320200", "无锡市定向券", "targeted")
    account, session = await trainee(svc)
    voucher = await Voucher.create(
        code="TARGETEDAAAAAAAA",
        batch_id=targeted.id,
        person_id=account.person_id,
        voucher_type=targeted.voucher_type,
        automatic=True,
        claimed_at=utcnow(),
        valid_until=utcnow().replace(year=utcnow().year + 1),
    )
    wallet = await (await client.get(f"{API}/vouchers", headers=auth(session))).json()
    assert wallet["items"][0]["returnable"] is False

    response = await _give_back(client, session, voucher.code)
    assert response.status == 409
    error = (await response.json())["error"]
    assert error["code"] == "targeted_not_returnable" and "定向券" in error["message"]
    assert (await Voucher.get(id=voucher.id)).status == VoucherStatus.CLAIMED
    assert (await Batch.get(id=targeted.id)).remaining == targeted.remaining


async def test_someone_elses_voucher_is_not_found(client, svc):
    batch, _ = await _batch(client, svc)
    _, code = await claimed_voucher(client, svc, batch["id"])
    _, stranger = await trainee(svc)
    response = await _give_back(client, stranger, code)
    assert response.status == 404
    assert (await Voucher.get(code=code)).status == VoucherStatus.CLAIMED


async def test_who_returned_cannot_claim_the_batch_again_and_the_card_center_says_so(client, svc):
    batch, _ = await _batch(client, svc)
    session, code = await claimed_voucher(client, svc, batch["id"])
    assert (await _give_back(client, session, code)).status == 200

    again = await _claim(client, session, batch["id"])
    assert again.status == 409
    error = (await again.json())["error"]
    assert error["code"] == "returned_not_reclaimable" and "退还" in error["message"]
    center = await (await client.get(f"{API}/card-center", headers=auth(session))).json()
    [entry] = center["items"]
    assert (entry["claimable"], entry["reason"]) == (False, "returned_not_reclaimable")
    # The gate and the database agree after a rebuild too (a Redis restart).
    await svc.gate.rebuild(batch["id"], replace=True)
    assert (await _claim(client, session, batch["id"])).status == 409
    assert await Voucher.filter(batch_id=batch["id"]).count() == 1
    # Someone else may have the unit.
    _, other = await trainee(svc)
    assert (await _claim(client, other, batch["id"])).status == 201


async def test_a_batch_that_allows_it_is_claimed_again_once(client, svc):
    batch, _ = await _batch(client, svc, allow_reclaim_after_return=True)
    assert batch["allow_reclaim_after_return"] is True
    session, code = await claimed_voucher(client, svc, batch["id"])
    response = await _give_back(client, session, code)
    assert response.status == 200
    notices = await (await client.get(f"{API}/notices", headers=auth(session))).json()
    assert notices["items"][0]["text"] == "如需培训，可在卡券中心重新领取"

    center = await (await client.get(f"{API}/card-center", headers=auth(session))).json()
    assert center["items"][0]["claimable"] is True
    second = await _claim(client, session, batch["id"])
    assert second.status == 201, await second.text()
    assert (await second.json())["code"] != code
    twice = await _claim(client, session, batch["id"])
    assert (await twice.json())["error"]["code"] == "already_claimed"
    statuses = await Voucher.filter(batch_id=batch["id"]).order_by("id").values_list("status", flat=True)
    assert statuses == ["returned", "claimed"]
    assert await _stock(svc, batch["id"]) == (batch["quantity"] - 1, batch["quantity"] - 1)


async def test_a_returned_unit_is_claimed_again_by_someone_else_under_a_rush_without_oversell(client, svc):
    batch, _ = await _batch(client, svc, quantity=20)
    holders = [await claimed_voucher(client, svc, batch["id"]) for _ in range(20)]
    assert (await _claim(client, (await trainee(svc))[1], batch["id"])).status == 409  # sold out

    giver, code = holders[7]
    assert (await _give_back(client, giver, code)).status == 200
    assert await _stock(svc, batch["id"]) == (1, 1)

    newcomers = [(await trainee(svc))[1] for _ in range(60)]
    # Everyone presses twice; the holders and the giver press too.
    attempts = newcomers * 2 + [session for session, _ in holders]
    random.Random(21).shuffle(attempts)

    async def attempt(session: str) -> tuple[str, int, str | None]:
        response = await _claim(client, session, batch["id"])
        body = await response.json()
        return session, response.status, body.get("error", {}).get("code")

    results = await asyncio.gather(*(attempt(s) for s in attempts))

    winners = [session for session, status, _ in results if status == 201]
    assert len(winners) == 1 and winners[0] in newcomers
    refusals = {(session == giver, code) for session, status, code in results if status != 201}
    assert refusals <= {(False, "sold_out"), (False, "already_claimed"), (True, "returned_not_reclaimable")}
    assert (True, "returned_not_reclaimable") in refusals
    live = await Voucher.filter(batch_id=batch["id"]).exclude(status=VoucherStatus.RETURNED).count()
    assert live == 20 and await Voucher.filter(batch_id=batch["id"]).count() == 21
    assert await _stock(svc, batch["id"]) == (0, 0)


async def test_a_staff_login_cannot_return(client, svc):
    """Only the holder gives a voucher back: an institution's token is not a trainee session."""
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    env = await setup_institution(client, token)
    _, code = await claimed_voucher(client, svc, batch["id"])
    commissioner = await staff_login(client, f"c{env['institution']['code']}")
    response = await _give_back(client, commissioner, code)
    assert response.status == 401
    assert (await Voucher.get(code=code)).status == VoucherStatus.CLAIMED
