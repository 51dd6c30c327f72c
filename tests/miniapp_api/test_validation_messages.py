"""What a person filling a form reads when pydantic refuses it: Chinese, in the form's words."""

from __future__ import annotations

import re
import typing

from pydantic import BaseModel

from miniapp_api.endpoint import ENDPOINTS
from miniapp_api.validation_messages import FIELD_LABELS
from tests.support.factories import auth, batch_body, bureau, regions
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


def _models(annotation: object, seen: set[type]) -> None:
    """Every pydantic model reachable from a field's annotation (nested forms, list items)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for f in annotation.model_fields.values():
            _models(f.annotation, seen)
    for arg in typing.get_args(annotation):
        _models(arg, seen)


def test_every_field_of_every_endpoint_has_a_chinese_label():
    """A field added to any body or query without a label would reach the page by its name."""
    missing: dict[str, str] = {}
    for e in ENDPOINTS:
        seen: set[type] = set()
        for model in (e.body, e.query):
            _models(model, seen)
        for model in seen:
            for name, f in model.model_fields.items():
                key = f.alias or name
                if key not in FIELD_LABELS:
                    missing.setdefault(key, f"{e.method} {e.path}")
    assert missing == {}
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in FIELD_LABELS.values())


async def test_the_consoles_refusals_name_their_fields_in_chinese(client, svc):
    await regions()
    token = await bureau(svc)
    refusals = [
        ("POST", "/api/v1/admin/accounts", {"username": "wang", "password": "a long password", "role": "king"}),
        ("PUT", "/api/v1/admin/targets", {"region": "320200", "year": 2026, "issue_target": -1}),
        ("PUT", "/api/v1/admin/settlement/review-levels", {"region": "320200", "levels": 3}),
        (
            "PUT",
            "/api/v1/admin/settlement/standards",
            {"region": "320200", "project_type": "创业培训", "amount_fen": 1, "effective_year": 1999},
        ),
        ("POST", "/api/v1/admin/payment-lists", {"region": "320200", "payee_kind": "bank"}),
        ("POST", "/api/v1/admin/batches", [{"title": "一个列表"}]),
        ("POST", "/api/v1/admin/batches", {**batch_body(), "project_types": []}),
    ]
    messages = []
    for method, path, body in refusals:
        r = await client.request(method, path, json=body, headers=auth(token))
        assert r.status == 422, await r.text()
        messages.append((await r.json())["error"]["message"])
    for message in messages:
        assert not re.search(r"[A-Za-z_]{3,}", message), message
    assert "角色不是可选的值" in messages[0] and "地区必须填写" in messages[0]
    assert "发券目标不能小于0" in messages[1] and "用券目标必须填写" in messages[1]
    assert "审核级数不是可选的值" in messages[2]
    assert messages[3] == "输入内容不符合要求：起始年度不能小于2000"
    assert "收款方类型不是可选的值" in messages[4]
    assert messages[5] == "输入内容不符合要求：提交的内容格式不正确"
    assert messages[6] == "输入内容不符合要求：培训项目至少选择一项"
