"""The Alipay tests' `alipay` fixture: the app on a real port with the Alipay sandbox mounted on it.

As `make run` has it: a gateway URL with a port, which the SDK's own transport cannot use.
"""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass, replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from channels.alipay.client import AlipayClient
from channels.alipay.sandbox import SandboxAlipay
from jobs.alipay_pass_delivery import senders
from models import OutboxMessage, OutboxStatus
from peixunquan.app import create_app
from peixunquan.appkeys import ALIPAY, ALIPAY_SANDBOX, SERVICES
from peixunquan.config import Config
from tests.support import factories
from vouchers.common.clock import utcnow

ID_NUMBER = factories.id_number(serial=77)
NAME = "张三"


@dataclass
class AlipayEnv:
    http: TestClient
    sandbox: SandboxAlipay

    @property
    def client(self) -> AlipayClient:
        return self.http.app[ALIPAY]

    async def deliver_card_pack(self) -> list[str]:
        """What the delivery loop does with the card-pack rows: send each pending one in order,
        passes' QR codes signed with the app's key ring. Returns the kinds sent."""
        sent = []
        send = senders(self.http.app[SERVICES].qr)
        for message in await OutboxMessage.filter(kind__in=list(send), status=OutboxStatus.PENDING).order_by("id"):
            await send[message.kind](message, self.client)
            await OutboxMessage.filter(id=message.id).update(status=OutboxStatus.SENT, sent_at=utcnow())
            sent.append(message.kind)
        return sent

    async def bureau_batch(self, **overrides: Any) -> tuple[str, dict[str, Any]]:
        """A bureau user's token and a batch it published (regions loaded first)."""
        await factories.regions()
        bureau = await factories.bureau(self.http.app[SERVICES])
        return bureau, await factories.published_batch(self.http, bureau, **overrides)

    async def claim(self, token: str, batch_id: int) -> dict[str, Any]:
        answer = await self.http.post("/api/v1/claims", json={"batch_id": batch_id}, headers=factories.auth(token))
        assert answer.status == 201, await answer.text()
        return await answer.json()

    async def login(self, user: str = "zhangsan") -> str:
        code = f"sandbox-{user}.{secrets.token_hex(4)}"
        answer = await self.http.post("/api/v1/alipay/login", json={"auth_code": code})
        assert answer.status == 200, await answer.text()
        return (await answer.json())["token"]

    async def verified_login(self, user: str = "zhangsan", name: str = NAME, number: str = ID_NUMBER) -> str:
        token = await self.login(user)
        self.sandbox.identities.add((name, number))
        started = await self.http.post(
            "/api/v1/alipay/face-verifications",
            json={"name": name, "id_number": number},
            headers=factories.auth(token),
        )
        assert started.status == 201, await started.text()
        body = await started.json()
        async with self.http.session.get(body["certify_url"]) as page:
            assert page.status == 200
        confirmed = await self.http.post(
            f"/api/v1/alipay/face-verifications/{body['verification_id']}/confirm", headers=factories.auth(token)
        )
        assert confirmed.status == 200, await confirmed.text()
        return token


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def on_port(config: Config, port: int) -> Config:
    base = f"http://127.0.0.1:{port}"
    # The sandbox gateway follows [server] port: the configured gateway_url keeps its default.
    return replace(config, server=replace(config.server, port=port, public_url=base))


@pytest.fixture
async def alipay(aiohttp_client, config: Config, svc) -> AlipayEnv:
    port = unused_port()
    app = create_app(on_port(config, port), services=svc, manage_db=False)
    http = await aiohttp_client(app, server_kwargs={"port": port})
    return AlipayEnv(http, app[ALIPAY_SANDBOX])
