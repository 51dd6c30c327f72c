"""The trainee's "me": the bound identity masked, every bound channel, and 退出 that ends the session."""

from __future__ import annotations

from models import AccountChannel
from tests.support.factories import auth, id_number, regions, trainee
from vouchers.identity.bind_identity import bind_verified_identity
from vouchers.identity.sessions import open_session


async def test_me_shows_the_identity_masked_and_every_channel_of_the_person(client, svc):
    await regions()
    number = id_number()
    _, session = await trainee(svc, number, name="王小明")
    wechat, _ = await open_session(svc, AccountChannel.WECHAT_MINIAPP, "wx-app", "openid-1")
    await bind_verified_identity(svc.keys, wechat, "王小明", number, provider="test", out_seq_no="seq-me-1")
    body = await (await client.get("/api/v1/me", headers=auth(session))).json()
    assert body["verified"] is True
    assert body["name"] == "王*明"
    assert body["id_number"] == number[:4] + "*" * 10 + number[-4:]
    assert number not in str(body)
    assert [(c["channel_text"], c["this_one"]) for c in body["channels"]] == [
        ("人社 App（H5）", True),
        ("微信小程序", False),
    ]


async def test_logout_ends_the_session_and_a_new_login_works(client, svc):
    await regions()
    account, session = await trainee(svc)
    assert (await client.post("/api/v1/logout", headers=auth(session))).status == 200
    refused = await client.get("/api/v1/vouchers", headers=auth(session))
    assert refused.status == 401
    _, fresh = await open_session(svc, AccountChannel(account.channel), account.app_id, account.subject)
    assert (await client.get("/api/v1/vouchers", headers=auth(fresh))).status == 200


async def test_an_unverified_account_is_told_it_is_not_verified(client, svc):
    from tests.support.factories import unverified

    await regions()
    _, session = await unverified(svc)
    body = await (await client.get("/api/v1/me", headers=auth(session))).json()
    assert body["verified"] is False and body["name"] is None
