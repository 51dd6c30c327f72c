"""A commissioner's staff accounts: disabled members are told so (once the password is right),
a reset password ends every session of the member, a member changes their own password."""

from __future__ import annotations

from tests.support.factories import auth, bureau, regions
from tests.support.institutions import STAFF_PASSWORD, institution, scanner

API = "/api/v1"
NEW = "a brand new password"


async def login(client, username: str, password: str = STAFF_PASSWORD):
    return await client.post(f"{API}/institution/login", json={"username": username, "password": password})


async def test_a_disabled_member_is_told_the_account_is_disabled(client, svc):
    await regions()
    _, commissioner = await institution(client, await bureau(svc))
    member, _ = await scanner(client, commissioner, "front-desk")
    await client.post(f"{API}/institution/staff/{member['id']}/disable", headers=auth(commissioner))

    r = await login(client, "front-desk")
    assert r.status == 403
    assert (await r.json())["error"] == {
        "code": "staff_disabled",
        "message": "该账号已被机构专员停用，请联系本机构的机构专员",
    }
    # Without the password nobody learns that the account exists and is disabled.
    r = await login(client, "front-desk", "not the password")
    assert (r.status, (await r.json())["error"]["code"]) == (401, "bad_credentials")
    # A removed member is gone: the ordinary answer.
    await client.post(f"{API}/institution/staff/{member['id']}/enable", headers=auth(commissioner))
    await client.delete(f"{API}/institution/staff/{member['id']}", headers=auth(commissioner))
    r = await login(client, "front-desk")
    assert (r.status, (await r.json())["error"]["code"]) == (401, "bad_credentials")


async def test_a_reset_password_ends_the_members_sessions(client, svc):
    await regions()
    _, commissioner = await institution(client, await bureau(svc))
    member, token = await scanner(client, commissioner, "forgetful")
    r = await client.post(
        f"{API}/institution/staff/{member['id']}/password", json={"password": NEW}, headers=auth(commissioner)
    )
    assert r.status == 200, await r.text()
    assert (await client.get(f"{API}/institution/me", headers=auth(token))).status == 401
    assert (await login(client, "forgetful")).status == 401
    assert (await login(client, "forgetful", NEW)).status == 200
    # Only the commissioner resets, and not the commissioner's own (the bureau registered it).
    r = await client.post(
        f"{API}/institution/staff/{member['id']}/password", json={"password": NEW}, headers=auth(token)
    )
    assert r.status == 401  # the old token is dead anyway
    new_token = (await (await login(client, "forgetful", NEW)).json())["token"]
    r = await client.post(
        f"{API}/institution/staff/{member['id']}/password", json={"password": NEW}, headers=auth(new_token)
    )
    assert (r.status, (await r.json())["error"]["code"]) == (403, "commissioner_only")


async def test_a_member_changes_their_own_password(client, svc):
    await regions()
    _, commissioner = await institution(client, await bureau(svc))
    _, token = await scanner(client, commissioner, "careful")
    other_desk = (await (await login(client, "careful")).json())["token"]

    r = await client.post(
        f"{API}/institution/password", json={"current_password": "wrong one", "new_password": NEW}, headers=auth(token)
    )
    assert (r.status, (await r.json())["error"]["message"]) == (422, "当前密码不正确")
    r = await client.post(
        f"{API}/institution/password",
        json={"current_password": STAFF_PASSWORD, "new_password": NEW},
        headers=auth(token),
    )
    assert r.status == 200, await r.text()
    fresh = (await r.json())["token"]
    assert (await client.get(f"{API}/institution/me", headers=auth(fresh))).status == 200
    # Every other session of the member ends (a desk the member forgot to log out of).
    assert (await client.get(f"{API}/institution/me", headers=auth(other_desk))).status == 401
    assert (await login(client, "careful", NEW)).status == 200
