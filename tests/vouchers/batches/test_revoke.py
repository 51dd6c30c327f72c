"""The bureau revokes (作废) a voucher with a reason: the trainee sees it, history records it."""

from __future__ import annotations

import pytest

from models import BureauUser, OutboxMessage, Voucher, VoucherHistory
from tests.support.factories import auth, bureau, published_batch, regions, trainee


def _revoke_url(code: str) -> str:
    return f"/api/v1/admin/vouchers/{code}/revoke"


async def _claimed(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    _, session = await trainee(svc)
    claimed = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    assert claimed.status == 201
    return (await claimed.json())["code"], token, session, batch


async def test_revoked_voucher_shows_in_wallet_history_and_outbox(client, svc):
    code, token, session, _ = await _claimed(client, svc)
    reason = "冒名领取，经核实作废"
    response = await client.post(_revoke_url(code), json={"reason": f"  {reason} "}, headers=auth(token))
    assert response.status == 200, await response.text()
    assert await response.json() == {"code": code, "status": "revoked"}

    wallet = await (await client.get("/api/v1/vouchers", headers=auth(session))).json()
    assert [(v["code"], v["status"], v["days_left"]) for v in wallet["items"]] == [(code, "revoked", 0)]
    detail = await (await client.get(f"/api/v1/vouchers/{code}", headers=auth(session))).json()
    assert [(h["action"], h["actor_kind"], h["from_status"], h["to_status"]) for h in detail["history"]] == [
        ("claimed", "trainee", None, "claimed"),
        ("revoked", "bureau", "claimed", "revoked"),
    ]
    voucher = await Voucher.get(code=code)
    assert voucher.revoked_reason == reason
    user = await BureauUser.get(username="wuxi")
    row = await VoucherHistory.get(voucher_id=voucher.id, action="revoked")
    assert row.actor_id == str(user.id)
    assert row.detail == {"reason": reason}
    [message] = await OutboxMessage.filter(kind="voucher_revoked")
    assert (message.voucher_id, message.person_id, message.status) == (voucher.id, voucher.person_id, "pending")


async def test_revoking_twice_is_a_conflict_and_writes_nothing_more(client, svc):
    code, token, _, _ = await _claimed(client, svc)
    assert (await client.post(_revoke_url(code), json={"reason": "重复领取"}, headers=auth(token))).status == 200
    again = await client.post(_revoke_url(code), json={"reason": "再次作废"}, headers=auth(token))
    assert again.status == 409
    error = (await again.json())["error"]
    assert error["code"] == "voucher_state_conflict"
    assert "作废" in error["message"]
    assert await VoucherHistory.filter(action="revoked").count() == 1
    assert await OutboxMessage.filter(kind="voucher_revoked").count() == 1
    assert (await Voucher.get(code=code)).revoked_reason == "重复领取"


async def test_other_regions_user_cannot_revoke(client, svc):
    code, _, session, _ = await _claimed(client, svc)
    chongqing = await bureau(svc, "cq", "500000")
    jiangyin = await bureau(svc, "jy", "320281")  # below Wuxi: the city's voucher is not its own
    for token in (chongqing, jiangyin):
        response = await client.post(_revoke_url(code), json={"reason": "越权作废"}, headers=auth(token))
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "out_of_region"
    jiangsu = await bureau(svc, "js", "320000")  # the province may
    assert (await client.post(_revoke_url(code), json={"reason": "省级核查"}, headers=auth(jiangsu))).status == 200
    wallet = await (await client.get("/api/v1/vouchers", headers=auth(session))).json()
    assert wallet["items"][0]["status"] == "revoked"


@pytest.mark.parametrize("body", [{"reason": "a"}, {"reason": "  错 "}, {"reason": ""}, {}, {"reason": "作" * 201}])
async def test_short_missing_or_long_reason_is_422(client, svc, body):
    code, token, _, _ = await _claimed(client, svc)
    response = await client.post(_revoke_url(code), json=body, headers=auth(token))
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "invalid_input"
    assert "原因" in error["message"]
    assert (await Voucher.get(code=code)).status == "claimed"
    assert await OutboxMessage.filter(kind="voucher_revoked").count() == 0


@pytest.mark.parametrize("code", ["AAAAAAAAAAAAAAAA", "abcdefghijklmnop", "SHORT", "AAAAAAAAAAAAAAAA1"])
async def test_unknown_or_malformed_code_is_404(client, svc, code):
    _, token, _, _ = await _claimed(client, svc)
    response = await client.post(_revoke_url(code), json={"reason": "无此券"}, headers=auth(token))
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_revoke_needs_a_bureau_login(client, svc):
    code, _, session, _ = await _claimed(client, svc)
    for headers in ({}, auth(session)):
        response = await client.post(_revoke_url(code), json={"reason": "未登录"}, headers=headers)
        assert response.status == 401
    assert (await Voucher.get(code=code)).status == "claimed"
