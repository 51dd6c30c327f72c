"""What a person filling a form reads when pydantic refuses it: Chinese, in the form's words."""

from __future__ import annotations

import re

from tests.support.factories import auth, bureau, regions
from tests.support.institutions import institution


async def test_a_refused_staff_form_reads_as_the_form_does(client, svc):
    await regions()
    _, commissioner = await institution(client, await bureau(svc))
    r = await client.post(
        "/api/v1/institution/staff",
        json={"username": "张三", "password": "short", "display_name": "x" * 65},
        headers=auth(commissioner),
    )
    assert r.status == 422
    error = (await r.json())["error"]
    assert error["code"] == "invalid_input"
    assert error["message"] == "输入内容不符合要求：用户名格式不正确；密码至少10个字符；称呼最多64个字符"
    assert {p["field"] for p in error["problems"]} == {"username", "password", "display_name"}
    # No English and no field names reach the page.
    assert not re.search(r"[A-Za-z_]{3,}", error["message"])


async def test_missing_fields_and_unknown_ones(client, svc):
    await regions()
    _, commissioner = await institution(client, await bureau(svc))
    r = await client.post("/api/v1/institution/staff", json={"colour": "red"}, headers=auth(commissioner))
    message = (await r.json())["error"]["message"]
    assert "用户名必须填写" in message and "密码必须填写" in message and "colour是不认识的字段" in message
