"""Password guessing: failed logins are counted per username and per client address (in Redis,
so every process counts), a username is locked after repeated failures (even the right password
is refused), unknown usernames are answered exactly like real ones, the owner is told, and an
administrator can lift the lock."""

from __future__ import annotations

import aiohttp

from channels.webhook import WebhookSender
from jobs.delivery import Deliverer
from jobs.institution_routes import institution_routes
from models import LoginLockout
from tests.support.factories import PASSWORD, auth, bureau, regions
from tests.support.institutions import API, STAFF_PASSWORD, institution, institution_body
from tests.support.webhooks import WEBHOOK_SECRET
from vouchers.identity.bureau_auth import create_bureau_user
from vouchers.identity.lockouts import lift_lockout
from vouchers.identity.login_throttle import LoginLimits

LIMIT = 10  # the default login_max_failures


async def _admin_login(client, username: str, password: str):
    return await client.post(f"{API}/admin/login", json={"username": username, "password": password})


async def test_repeated_wrong_passwords_lock_a_bureau_user_even_against_the_right_one(client, svc):
    await regions()
    await create_bureau_user("wuxi", PASSWORD, "320200")
    for _ in range(LIMIT):
        assert (await _admin_login(client, "wuxi", "wrong-password")).status == 401
    locked = await _admin_login(client, "wuxi", PASSWORD)
    assert locked.status == 429
    error = (await locked.json())["error"]
    assert error["code"] == "too_many_attempts" and "管理员" in error["message"]


async def test_an_unknown_username_is_answered_exactly_like_a_real_one(client, svc):
    await regions()
    await create_bureau_user("wuxi", PASSWORD, "320200")
    real, unknown = [], []
    for _ in range(LIMIT + 1):
        real.append(await _admin_login(client, "wuxi", "wrong-password"))
        unknown.append(await _admin_login(client, "no-such-user", "wrong-password"))
    assert [r.status for r in real] == [r.status for r in unknown] == [401] * LIMIT + [429]
    assert [await r.json() for r in real] == [await r.json() for r in unknown]


async def test_the_bureau_user_is_told_at_the_next_login_and_an_administrator_lifts_the_lock(client, svc):
    await regions()
    await create_bureau_user("wuxi", PASSWORD, "320200")
    province = await bureau(svc, "jiangsu", "320000")
    elsewhere = await bureau(svc, "chongqing", "500000")
    for _ in range(LIMIT):
        await _admin_login(client, "wuxi", "wrong-password")
    assert (await _admin_login(client, "wuxi", PASSWORD)).status == 429

    lift = {"kind": "bureau", "username": "wuxi"}
    refused = await client.post(f"{API}/admin/login-lockouts/lift", json=lift, headers=auth(elsewhere))
    assert refused.status == 404  # not a user of Chongqing's regions
    lifted = await client.post(f"{API}/admin/login-lockouts/lift", json=lift, headers=auth(province))
    assert lifted.status == 200 and (await lifted.json())["was_locked"] is True

    ok = await _admin_login(client, "wuxi", PASSWORD)
    assert ok.status == 200, await ok.text()
    [notice] = (await ok.json())["notices"]
    assert "锁定" in notice and "10次密码错误" in notice
    assert (await (await _admin_login(client, "wuxi", PASSWORD)).json())["notices"] == []  # told once


async def test_a_locked_staff_member_hears_of_it_through_the_institution_notices(client, svc, webhook_receiver):
    url, received = webhook_receiver
    await regions()
    body = institution_body()
    _, commissioner = await institution(client, await bureau(svc), **body)
    hook = {"url": url, "secret": WEBHOOK_SECRET}
    assert (await client.put(f"{API}/institution/webhook", json=hook, headers=auth(commissioner))).status == 200
    username = body["commissioner"]["username"]
    for _ in range(LIMIT):
        wrong = {"username": username, "password": "wrong-password"}
        assert (await client.post(f"{API}/institution/login", json=wrong)).status == 401
    right = {"username": username, "password": STAFF_PASSWORD}
    assert (await client.post(f"{API}/institution/login", json=right)).status == 429

    async with aiohttp.ClientSession() as http:
        routes = institution_routes(svc.keys, WebhookSender(http, allow_private=True), staff=[])
        deliverer = Deliverer(svc.redis, routes, per_second=lambda _c: 0)
        for _ in range(2):  # the notice, then its webhook row
            await deliverer.run()
    [event] = received
    assert event["event"] == "institution_login_lockout" and event["username"] == username

    assert await lift_lockout(svc.login_throttle, "staff", username, "cli") is True
    assert (await client.post(f"{API}/institution/login", json=right)).status == 200
    assert (await LoginLockout.get()).lifted_by == "cli"


async def test_one_address_guessing_many_usernames_is_refused(client, svc):
    await regions()
    await create_bureau_user("wuxi", PASSWORD, "320200")
    svc.login_limits = LoginLimits(address_max_failures=5)
    for n in range(5):
        assert (await _admin_login(client, f"guess-{n}", "wrong-password")).status == 401
    assert (await _admin_login(client, "wuxi", PASSWORD)).status == 429
