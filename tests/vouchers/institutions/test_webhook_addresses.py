"""A webhook may not reach inside: loopback, link-local, private and metadata addresses are refused
when the commissioner sets it, unless the operator allows them (`[institutions]
allow_private_webhooks`, on in development and in these tests' config, whose receivers run on
127.0.0.1). These tests switch it off, as production has it."""

from __future__ import annotations

import pytest

from models import InstitutionWebhook
from tests.support.factories import auth, bureau, regions
from tests.support.institutions import API, institution

SECRET = "a-webhook-secret-long-enough"


@pytest.fixture
async def commissioner(client, svc):
    await regions()
    _, token = await institution(client, await bureau(svc))
    svc.allow_private_webhooks = False
    return token


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8091",
        "http://127.0.0.1:8091/hook",
        "http://localhost:8091/hook",
        "http://api.localhost/hook",
        "http://[::1]:8091/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://100.100.100.200/latest/meta-data/",  # Alibaba Cloud metadata
        "http://10.0.0.8/hook",
        "http://172.16.3.4/hook",
        "http://192.168.1.1/hook",
        "http://0.0.0.0:8091/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fd00:ec2::254]/hook",
        "http://2130706433/hook",  # 127.0.0.1 as one number
        "http://0x7f.1/hook",
    ],
)
async def test_an_inside_address_is_refused_with_a_chinese_message(client, commissioner, url):
    r = await client.put(f"{API}/institution/webhook", json={"url": url, "secret": SECRET}, headers=auth(commissioner))
    assert r.status == 422, await r.text()
    error = (await r.json())["error"]
    assert error["code"] == "webhook_address_refused"
    assert "内网" in error["message"]
    assert await InstitutionWebhook.all().count() == 0


async def test_a_public_address_is_accepted(client, commissioner):
    url = "https://hooks.example.com/pxq"
    r = await client.put(f"{API}/institution/webhook", json={"url": url, "secret": SECRET}, headers=auth(commissioner))
    assert r.status == 200, await r.text()
    assert (await r.json())["url"] == url


async def test_the_operator_may_allow_inside_addresses(client, svc, commissioner):
    svc.allow_private_webhooks = True
    url = "http://127.0.0.1:8091/hook"
    r = await client.put(f"{API}/institution/webhook", json={"url": url, "secret": SECRET}, headers=auth(commissioner))
    assert r.status == 200, await r.text()
