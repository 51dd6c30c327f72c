"""Claiming from the card center, as a trainee would: one voucher per person, never oversold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from models import OutboxMessage, Voucher, VoucherHistory
from tests.support.factories import auth, bureau, published_batch, regions, trainee, unverified
from vouchers.claiming.gate import _keys


async def _setup(client, svc, **batch):
    await regions()
    token = await bureau(svc)
    return await published_batch(client, token, **batch), token


async def test_claim_then_wallet_shows_voucher_with_history(client, svc):
    batch, _ = await _setup(client, svc)
    _, session = await trainee(svc)
    response = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    assert response.status == 201, await response.text()
    voucher = await response.json()
    assert voucher["status"] == "claimed"
    assert voucher["face_value_fen"] == 50_000
    assert voucher["eligible_group"] == "失业人员"
    assert voucher["days_left"] == 30  # a 30-day voucher, today the first of its 30 days

    wallet = await (await client.get("/api/v1/vouchers", headers=auth(session))).json()
    assert [v["code"] for v in wallet["items"]] == [voucher["code"]]
    detail = await (await client.get(f"/api/v1/vouchers/{voucher['code']}", headers=auth(session))).json()
    assert [h["action"] for h in detail["history"]] == ["claimed"]
    assert await OutboxMessage.filter(kind="voucher_claimed").count() == 1


async def test_second_claim_is_already_claimed_and_card_center_says_so(client, svc):
    batch, _ = await _setup(client, svc)
    _, session = await trainee(svc)
    first = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    assert first.status == 201
    again = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    assert again.status == 409
    assert (await again.json())["error"]["code"] == "already_claimed"
    center = await (await client.get("/api/v1/card-center", headers=auth(session))).json()
    [entry] = center["items"]
    assert entry["claimable"] is False and entry["reason"] == "already_claimed"


async def test_unverified_account_cannot_claim(client, svc):
    batch, _ = await _setup(client, svc)
    _, session = await unverified(svc)
    response = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    assert response.status == 403
    body = await response.json()
    assert body["error"]["code"] == "identity_required"
    assert "实名" in body["error"]["message"]
    center = await (await client.get("/api/v1/card-center", headers=auth(session))).json()
    assert center["items"][0]["reason"] == "identity_required"


async def test_sold_out_after_stock_is_gone(client, svc):
    batch, _ = await _setup(client, svc, quantity=2)
    codes = []
    for _ in range(3):
        _, session = await trainee(svc)
        response = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
        codes.append((await response.json()).get("error", {}).get("code", response.status))
    assert codes == [201, 201, "sold_out"]
    center = await (await client.get("/api/v1/card-center", headers=auth(session))).json()
    assert center["items"][0]["reason"] == "sold_out"


async def test_same_person_from_two_channels_at_once_gets_one_voucher(client, svc):
    import asyncio

    from models import AccountChannel
    from tests.support.factories import id_number

    batch, _ = await _setup(client, svc)
    number = id_number()
    wechat, wechat_session = await trainee(svc, number, channel=AccountChannel.WECHAT_MINIAPP)
    alipay, alipay_session = await trainee(svc, number, channel=AccountChannel.ALIPAY)
    assert wechat.person_id == alipay.person_id
    responses = await asyncio.gather(
        *[
            client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(s))
            for s in [wechat_session, alipay_session] * 5
        ]
    )
    assert sorted(r.status for r in responses) == [201] + [409] * 9
    assert await Voucher.filter(person_id=wechat.person_id).count() == 1
    # Both channels show the same wallet.
    for session in (wechat_session, alipay_session):
        wallet = await (await client.get("/api/v1/vouchers", headers=auth(session))).json()
        assert len(wallet["items"]) == 1


async def test_claim_window_closed(client, svc):
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    batch, _ = await _setup(client, svc, claim_start=future, claim_end=later)
    _, session = await trainee(svc)
    response = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    assert (await response.json())["error"]["code"] == "claim_closed"


async def test_group_must_be_one_of_the_batch_groups(client, svc):
    batch, _ = await _setup(client, svc, eligible_groups=["失业人员", "企业职工"])
    _, session = await trainee(svc)
    missing = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    assert (await missing.json())["error"]["code"] == "group_required"
    wrong = await client.post(
        "/api/v1/claims", json={"batch_id": batch["id"], "group": "退休人员"}, headers=auth(session)
    )
    assert (await wrong.json())["error"]["code"] == "not_eligible"
    right = await client.post(
        "/api/v1/claims", json={"batch_id": batch["id"], "group": "企业职工"}, headers=auth(session)
    )
    assert right.status == 201
    assert (await right.json())["eligible_group"] == "企业职工"


async def test_eligibility_list_admits_only_listed_people(client, svc):
    from tests.support.factories import id_number

    batch, token = await _setup(client, svc, requires_eligibility_list=True)
    listed_number = id_number()
    upload = await client.post(
        f"/api/v1/admin/batches/{batch['id']}/eligibility",
        data=f"id_number\n{listed_number}\n".encode(),
        headers={**auth(token), "Content-Type": "text/csv"},
    )
    assert (await upload.json())["created"] == 1
    _, outsider = await trainee(svc)
    refused = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(outsider))
    assert (await refused.json())["error"]["code"] == "not_eligible"
    _, insider = await trainee(svc, listed_number)
    center = await (await client.get("/api/v1/card-center", headers=auth(insider))).json()
    assert center["items"][0]["claimable"] is True
    accepted = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(insider))
    assert accepted.status == 201
    # The refusal released its reservation: the gate and the database agree on the stock.
    assert int(await svc.redis.get(_keys(batch["id"])[0])) == batch["quantity"] - 1


async def test_voucher_type_once_a_year_policy(client, svc):
    from dataclasses import replace

    from vouchers.common.policy import Policy, PolicyRule

    svc.policy = Policy(
        default=PolicyRule(), regions={"500000": replace(PolicyRule(), max_claims_per_voucher_type_per_year=1)}
    )
    await regions()
    token = await bureau(svc, "cq", "500000")
    first = await published_batch(client, token, region="500000", title="第一批")
    second = await published_batch(client, token, region="500000", title="第二批")
    wuxi_token = await bureau(svc)
    wuxi = await published_batch(client, wuxi_token, title="无锡批次")
    _, session = await trainee(svc)
    assert (await client.post("/api/v1/claims", json={"batch_id": first["id"]}, headers=auth(session))).status == 201
    refused = await client.post("/api/v1/claims", json={"batch_id": second["id"]}, headers=auth(session))
    assert (await refused.json())["error"]["code"] == "type_limit"
    # Wuxi has no such rule.
    assert (await client.post("/api/v1/claims", json={"batch_id": wuxi["id"]}, headers=auth(session))).status == 201


async def test_voucher_past_validity_reads_expired(client, svc):
    batch, _ = await _setup(client, svc)
    _, session = await trainee(svc)
    created = await (await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))).json()
    await Voucher.filter(code=created["code"]).update(valid_until=datetime.now(UTC) - timedelta(seconds=1))
    detail = await (await client.get(f"/api/v1/vouchers/{created['code']}", headers=auth(session))).json()
    assert detail["status"] == "expired"
    assert detail["days_left"] == 0


async def test_targeted_batch_cannot_be_claimed_by_hand(client, svc):
    batch, _ = await _setup(client, svc, distribution="targeted")
    _, session = await trainee(svc)
    response = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    assert (await response.json())["error"]["code"] == "targeted_only"


async def test_gate_is_rebuilt_after_redis_loses_its_data(client, svc):
    batch, _ = await _setup(client, svc, quantity=2)
    _, first = await trainee(svc)
    assert (await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(first))).status == 201
    await svc.redis.flushdb()
    again = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(first))
    assert (await again.json())["error"]["code"] == "already_claimed"
    _, second = await trainee(svc)
    assert (await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(second))).status == 201
    _, third = await trainee(svc)
    late = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(third))
    assert (await late.json())["error"]["code"] == "sold_out"
    assert await Voucher.filter(batch_id=batch["id"]).count() == 2


async def test_redis_unreachable_is_service_busy_and_nothing_half_done(client, svc):
    from peixunquan.redis_client import connect_redis

    batch, _ = await _setup(client, svc)
    _, session = await trainee(svc)
    working = svc.redis
    svc.redis = connect_redis("redis://127.0.0.1:1/0")  # nothing listens there
    try:
        response = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    finally:
        await svc.redis.aclose()
        svc.redis = working
    assert response.status == 503
    assert (await response.json())["error"]["code"] == "service_busy"
    assert await Voucher.all().count() == 0
    assert await VoucherHistory.all().count() == 0


async def test_database_dropping_the_connection_is_service_busy_and_the_unit_goes_back(client, svc, monkeypatch):
    batch, _ = await _setup(client, svc, quantity=1)
    _, session = await trainee(svc)

    async def dropped(*args, **kwargs):
        raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")

    monkeypatch.setattr("vouchers.claiming.claim._claim_in_transaction", dropped)
    response = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    assert response.status == 503
    assert (await response.json())["error"]["code"] == "service_busy"
    assert int(await svc.redis.get(_keys(batch["id"])[0])) == 1  # the reservation was released

    monkeypatch.undo()
    retry = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    assert retry.status == 201, await retry.text()
    assert await Voucher.filter(batch_id=batch["id"]).count() == 1
