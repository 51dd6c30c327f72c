"""Issue 17 item 10, "must show": the server restarted twice still reaches users made before.

What `make run` does, in one test: the app (its sandboxes mounted, its worker embedded) over a
data directory and a database; a trainee created through each sandbox; then two restarts (the
app closed, a new one built over the same directory and database, with an empty in-process
Redis, as `make run` starts again); then a new notice to each earlier trainee, which the
sandbox records as arrived.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from channels.wechat.sandbox import STATE
from peixunquan.app import create_app
from peixunquan.appkeys import ALIPAY_SANDBOX, SERVICES, WECHAT_SANDBOX
from peixunquan.config import Config
from peixunquan.redis_client import connect_redis
from peixunquan.runtime import build_services
from tests.support import factories
from tests.support.alipay import on_port, unused_port

auth = factories.auth
WECHAT_TEMPLATE = "sandbox-voucher-notice"


def data_dir_config(config: Config, data: Path) -> Config:
    """Everything `make run` keeps under var/ in `data`, the worker embedded as in `make run`."""
    return replace(
        config,
        worker=replace(config.worker, embedded=True, poll_interval_ms=100),
        institutions=replace(config.institutions, qr_keys_dir=str(data / "qr-keys")),
        wechat=replace(config.wechat, sandbox_state_file=str(data / "sandbox" / "wechat.json")),
        alipay=replace(
            config.alipay,
            sandbox_state_file=str(data / "sandbox" / "alipay.json"),
            app_private_key_path=str(data / "alipay" / "app_private_key.pem"),
            alipay_public_key_path=str(data / "alipay" / "sandbox_public_key.pem"),
        ),
    )


async def start(aiohttp_client, config: Config) -> TestClient:
    """A fresh process's app: its own services and an empty in-process Redis."""
    redis = connect_redis(config.redis.url)
    await redis.flushdb()
    port = unused_port()
    app = create_app(on_port(config, port), services=build_services(config, redis), manage_db=False)
    return await aiohttp_client(app, server_kwargs={"port": port})


async def ok(answer: Any, status: int = 200) -> dict[str, Any]:
    assert answer.status == status, await answer.text()
    return await answer.json()


async def wechat_trainee(http: TestClient) -> str:
    """王小明 logs in to the WeChat mini program, passes face verification and allows notices."""
    token = (await ok(await http.post("/api/v1/wechat/login", json={"code": "sandboxwang.first"})))["token"]
    started = await ok(
        await http.post(
            "/api/v1/wechat/face-verifications",
            json={"name": "王小明", "id_number": "320202199003070012"},
            headers=auth(token),
        ),
        201,
    )
    await ok(await http.post("/_sandbox/wechat/sandbox/facial-verify", json={"verify_id": started["verify_id"]}))
    await ok(
        await http.post(
            "/api/v1/wechat/face-verifications/confirm", json={"out_seq_no": started["out_seq_no"]}, headers=auth(token)
        )
    )
    # The consent pop-up: the phone tells WeChat (the sandbox, by the user's name) and the mini program tells us.
    await ok(
        await http.post(
            "/_sandbox/wechat/sandbox/subscribe", json={"user": "wang", "template_id": WECHAT_TEMPLATE, "count": 3}
        )
    )
    await ok(
        await http.post(
            "/api/v1/wechat/subscriptions", json={"results": {WECHAT_TEMPLATE: "accept"}}, headers=auth(token)
        )
    )
    return token


async def alipay_trainee(http: TestClient) -> str:
    """张三 logs in to the Alipay mini program, passes face verification and allows notices."""
    token = (await ok(await http.post("/api/v1/alipay/login", json={"auth_code": "sandbox-zhangsan.first"})))["token"]
    started = await ok(
        await http.post(
            "/api/v1/alipay/face-verifications",
            json={"name": "张三", "id_number": "110101199003070011"},
            headers=auth(token),
        ),
        201,
    )
    async with http.session.get(started["certify_url"]) as page:
        assert "通过" in await page.text()
    await ok(
        await http.post(f"/api/v1/alipay/face-verifications/{started['verification_id']}/confirm", headers=auth(token))
    )
    await ok(
        await http.post(
            "/api/v1/alipay/subscriptions", json={"results": {"sandbox-voucher-notice": "accept"}}, headers=auth(token)
        )
    )
    return token


async def until(check, seconds: float = 20.0) -> Any:
    for _ in range(int(seconds / 0.1)):
        if result := check():
            return result
        await asyncio.sleep(0.1)
    raise AssertionError("nothing arrived in time")


async def test_a_new_notice_reaches_users_made_before_two_restarts(aiohttp_client, config: Config, db, tmp_path):
    config = data_dir_config(config, tmp_path / "var")
    first = await start(aiohttp_client, config)
    await factories.regions()
    bureau = await factories.bureau(first.app[SERVICES])
    await wechat_trainee(first)
    await alipay_trainee(first)
    await first.close()

    for _ in range(2):  # restarted twice
        later = await start(aiohttp_client, config)
        await later.close()

    last = await start(aiohttp_client, config)
    batch = await factories.published_batch(last, bureau)
    # The earlier users log in again with new codes and claim: each claim notifies its holder.
    wechat = (await ok(await last.post("/api/v1/wechat/login", json={"code": "sandboxwang.again"})))["token"]
    alipay = (await ok(await last.post("/api/v1/alipay/login", json={"auth_code": "sandbox-zhangsan.again"})))["token"]
    for token in (wechat, alipay):
        await ok(await last.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(token)), 201)

    state = last.app[WECHAT_SANDBOX][STATE]
    wang = state.openid(config.wechat.app_id, "wang")
    arrived = await until(lambda: [m for m in state.sent if m["touser"] == wang and m["kind"] == "subscribe"])
    assert arrived[0]["template_id"] == WECHAT_TEMPLATE
    sandbox = last.app[ALIPAY_SANDBOX]
    zhangsan = sandbox.open_id("zhangsan")
    notices = await until(lambda: [m for m in sandbox.messages if m["to"] == zhangsan])
    assert notices[0]["template_id"] == "sandbox-voucher-notice"
    # and the voucher reached 张三's card pack, through a template made after the restarts
    passes = await until(lambda: [p for p in sandbox.passes.values() if p["user_id"] == zhangsan])
    assert passes[0]["status"] == "ACTIVE"
    await last.close()
