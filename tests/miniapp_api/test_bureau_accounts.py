"""Bureau accounts and roles over HTTP: the administrator adds, edits, disables and resets users
of its regions; each role can do only its own work; every change is in the admin log."""

from __future__ import annotations

import pytest

from tests.support.factories import PASSWORD, auth, batch_body, bureau, regions

ACCOUNTS = "/api/v1/admin/accounts"
NEW_PASSWORD = "another password 2026"


async def _add(client, token: str, username: str, role: str, region: str = "320200"):
    return await client.post(
        ACCOUNTS,
        json={
            "username": username,
            "password": PASSWORD,
            "display_name": f"{username} 科员",
            "role": role,
            "region": region,
        },
        headers=auth(token),
    )


async def _login(client, username: str, password: str = PASSWORD) -> str:
    response = await client.post("/api/v1/admin/login", json={"username": username, "password": password})
    assert response.status == 200, await response.text()
    return (await response.json())["token"]


async def test_the_administrator_adds_a_reviewer_who_reviews_but_cannot_make_batches(client, svc):
    await regions()
    admin = await bureau(svc)
    added = await _add(client, admin, "li-review", "first_reviewer")
    assert added.status == 201, await added.text()
    assert (await added.json())["role_text"] == "初审员"
    reviewer = await _login(client, "li-review")
    me = await (await client.get("/api/v1/admin/me", headers=auth(reviewer))).json()
    assert me["permissions"] == ["archive", "review_first"]
    assert me["region_name"] == "无锡市"
    refused = await client.post("/api/v1/admin/batches", json=batch_body(), headers=auth(reviewer))
    assert refused.status == 403
    error = (await refused.json())["error"]
    assert error["code"] == "role_not_allowed"
    assert error["message"] == "您的角色（初审员）无权管理批次与名单，请联系本地区的管理员"
    assert (await client.get("/api/v1/admin/batches", headers=auth(reviewer))).status == 200  # reading is open
    assert (await client.get(ACCOUNTS, headers=auth(reviewer))).status == 403


@pytest.mark.parametrize(
    ("role", "may_batches", "may_accounts", "may_export"),
    [
        ("admin", True, True, True),
        ("batch_manager", True, False, True),
        ("first_reviewer", False, False, False),
        ("second_reviewer", False, False, False),
        ("viewer", False, False, True),
    ],
)
async def test_each_role_reaches_what_it_may(client, svc, role, may_batches, may_accounts, may_export):
    await regions()
    token = await bureau(svc, role=role)
    batch = await client.post("/api/v1/admin/batches", json=batch_body(), headers=auth(token))
    assert (batch.status == 201) is may_batches, await batch.text()
    accounts = await client.get(ACCOUNTS, headers=auth(token))
    assert (accounts.status == 200) is may_accounts
    export = await client.get("/api/v1/admin/exports/vouchers.csv", headers=auth(token))
    assert (export.status == 200) is may_export
    assert (await client.get("/api/v1/admin/statistics", headers=auth(token))).status == 200


async def test_an_administrator_manages_only_accounts_of_its_regions(client, svc):
    await regions()
    jiangyin = await bureau(svc, "jiangyin", "320281")
    await bureau(svc, "wuxi")
    assert (await _add(client, jiangyin, "clerk", "viewer", region="320200")).status == 403
    listed = await (await client.get(ACCOUNTS, headers=auth(jiangyin))).json()
    assert [a["username"] for a in listed["items"]] == ["jiangyin"]
    wuxi_id = (await client.get("/api/v1/admin/me", headers=auth(await _login(client, "wuxi")))).status
    assert wuxi_id == 200
    from models import BureauUser

    wuxi = await BureauUser.get(username="wuxi")
    for path in ("/disable", "/password"):
        body = {"password": NEW_PASSWORD} if path == "/password" else None
        response = await client.post(f"{ACCOUNTS}/{wuxi.id}{path}", json=body, headers=auth(jiangyin))
        assert response.status == 404, await response.text()
        assert (await response.json())["error"]["code"] == "account_not_found"


async def test_disable_reset_and_role_change_end_the_sessions_and_are_logged(client, svc):
    await regions()
    admin = await bureau(svc)
    clerk_id = (await (await _add(client, admin, "zhang", "batch_manager")).json())["id"]
    clerk = await _login(client, "zhang")

    changed = await client.put(f"{ACCOUNTS}/{clerk_id}", json={"role": "viewer"}, headers=auth(admin))
    assert (await changed.json())["role_text"] == "统计查询员"
    assert (await client.get("/api/v1/admin/me", headers=auth(clerk))).status == 401  # log in again
    clerk = await _login(client, "zhang")
    assert (await client.post("/api/v1/admin/batches", json=batch_body(), headers=auth(clerk))).status == 403

    reset = await client.post(f"{ACCOUNTS}/{clerk_id}/password", json={"password": NEW_PASSWORD}, headers=auth(admin))
    assert reset.status == 200
    assert (await client.get("/api/v1/admin/me", headers=auth(clerk))).status == 401
    clerk = await _login(client, "zhang", NEW_PASSWORD)

    assert (await client.post(f"{ACCOUNTS}/{clerk_id}/disable", headers=auth(admin))).status == 200
    assert (await client.get("/api/v1/admin/me", headers=auth(clerk))).status == 401
    login = await client.post("/api/v1/admin/login", json={"username": "zhang", "password": NEW_PASSWORD})
    assert login.status == 401

    events = await (await client.get("/api/v1/admin/events?subject_kind=account", headers=auth(admin))).json()
    assert [e["action_text"] for e in events["items"]] == ["停用账号", "重置密码", "修改账号", "新建账号"]
    assert events["items"][2]["before"]["role"] == "batch_manager"
    assert events["items"][2]["after"]["role"] == "viewer"
    assert all(NEW_PASSWORD not in str(e) and PASSWORD not in str(e) for e in events["items"])


async def test_an_administrator_cannot_disable_or_demote_itself(client, svc):
    await regions()
    admin = await bureau(svc)
    me = await (await client.get("/api/v1/admin/me", headers=auth(admin))).json()
    for response in (
        await client.post(f"{ACCOUNTS}/{me['id']}/disable", headers=auth(admin)),
        await client.put(f"{ACCOUNTS}/{me['id']}", json={"role": "viewer"}, headers=auth(admin)),
    ):
        assert response.status == 409
        assert (await response.json())["error"]["code"] == "own_account"


async def test_a_user_changes_its_own_password_and_other_sessions_end(client, svc):
    await regions()
    await bureau(svc, role="viewer")
    desk = await _login(client, "wuxi")
    other = await _login(client, "wuxi")
    wrong = await client.post(
        "/api/v1/admin/me/password",
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
        headers=auth(desk),
    )
    assert wrong.status == 422
    assert (await wrong.json())["error"]["message"] == "当前密码不正确"
    changed = await client.post(
        "/api/v1/admin/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=auth(desk),
    )
    fresh = (await changed.json())["token"]
    assert (await client.get("/api/v1/admin/me", headers=auth(fresh))).status == 200
    assert (await client.get("/api/v1/admin/me", headers=auth(other))).status == 401
    await _login(client, "wuxi", NEW_PASSWORD)


async def test_a_short_password_is_refused_in_chinese(client, svc):
    await regions()
    admin = await bureau(svc)
    response = await client.post(
        ACCOUNTS,
        json={"username": "wang", "password": "short", "role": "viewer", "region": "320200"},
        headers=auth(admin),
    )
    assert response.status == 422
    message = (await response.json())["error"]["message"]
    assert "密码" in message and "String" not in message, message


async def test_a_locked_account_shows_locked_and_the_administrator_lifts_it(client, svc):
    await regions()
    admin = await bureau(svc)
    await _add(client, admin, "wang", "viewer")
    for _ in range(svc.login_throttle.limits.max_failures):
        await client.post("/api/v1/admin/login", json={"username": "wang", "password": "wrong password"})
    listed = await (await client.get(ACCOUNTS, headers=auth(admin))).json()
    assert {a["username"]: a["locked"] for a in listed["items"]} == {"wuxi": False, "wang": True}
    lifted = await client.post(
        "/api/v1/admin/login-lockouts/lift", json={"kind": "bureau", "username": "wang"}, headers=auth(admin)
    )
    assert (await lifted.json())["was_locked"] is True
    await _login(client, "wang")
    events = await (await client.get("/api/v1/admin/events", headers=auth(admin))).json()
    lifted, locked = events["items"][:2]
    assert lifted["action_text"] == "解除登录锁定"
    # The lock itself is in the log too, by the system, naming the account and the failures.
    assert (locked["action_text"], locked["actor_name"]) == ("登录锁定（连续输错密码）", "系统")
    assert locked["subject_id"] == lifted["subject_id"]
    assert locked["after"]["failures"] == svc.login_throttle.limits.max_failures
