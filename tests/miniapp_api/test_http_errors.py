"""The HTTP edge: /openapi.json matches the routes, and bad input of every kind gets a 4xx JSON
error with a stable code and a Chinese message, never a 5xx."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from miniapp_api.endpoint import ENDPOINTS
from tests.support.bureau import bureau_targets
from tests.support.catalogue import catalogue_targets
from tests.support.evaluation import evaluation_targets
from tests.support.factories import (
    auth,
    bad_check_digit,
    batch_body,
    bureau,
    id_number,
    published_batch,
    regions,
    trainee,
)
from tests.support.institutions import institution_targets
from tests.support.notices import notices_targets
from tests.support.platforms import platform_targets
from tests.support.settlement import settlement_targets

API = "/api/v1"
_PARAM = re.compile(r"\{(\w+)(?::[^{}]*(?:\{[^{}]*\}[^{}]*)*)?\}")


def _plain(path: str) -> str:
    """`/x/{id:\\d+}` -> `/x/{id}`, as OpenAPI writes it."""
    return _PARAM.sub(r"{\1}", path)


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


async def _assert_4xx(response, *, status: int | None = None, code: str | None = None) -> dict:
    text = await response.text()
    assert 400 <= response.status < 500, f"{response.method} {response.url.path}: {response.status} {text[:300]}"
    if status is not None:
        assert response.status == status, text[:300]
    assert response.content_type == "application/json", text[:300]
    error = json.loads(text)["error"]
    assert isinstance(error["code"], str) and re.fullmatch(r"[a-z_]+", error["code"]), error
    assert _chinese(error["message"]), error
    if code is not None:
        assert error["code"] == code, error
    return error


# --- OpenAPI -------------------------------------------------------------------------------------


async def test_openapi_lists_every_api_route_and_is_valid_3_1(client):
    response = await client.get("/openapi.json")
    assert response.status == 200
    spec = await response.json()
    assert spec["openapi"].startswith("3.1")
    OpenAPIV31SpecValidator(spec).validate()
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(spec))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in spec["components"]["schemas"], ref

    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    declared = {(_plain(e.path), e.method) for e in ENDPOINTS}
    app = client.server.app
    registered = {
        (_plain(route.resource.canonical), route.method)
        for route in app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith(API) and route.method != "HEAD"
    }
    assert registered, "no /api/v1 routes found on the app"
    assert {(p, m) for p, m in declared if p.startswith(API)} == registered
    assert {(p, m) for p, m in documented if p.startswith(API)} == registered
    assert declared == documented
    # Each operation says what it needs.
    for e in ENDPOINTS:
        op = spec["paths"][_plain(e.path)][e.method.lower()]
        assert op["operationId"] and op["summary"]
        assert ("security" in op) == bool(e.auth), e.path
        assert ("requestBody" in op) == bool(e.body or e.upload), e.path
        params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert params == set(_PARAM.findall(e.path)), e.path
        assert "4XX" in op["responses"] and str(e.status) in op["responses"]
    assert len({op["operationId"] for ops in spec["paths"].values() for op in ops.values()}) == len(ENDPOINTS)


# --- garbage bodies ------------------------------------------------------------------------------


async def _targets(client, svc) -> list[dict[str, Any]]:
    """Every endpoint that takes a body, with a valid path, credentials and a valid body."""
    await regions()
    token = await bureau(svc)
    general = await published_batch(client, token, title="通用券")
    listed = await published_batch(client, token, title="名单券", requires_eligibility_list=True)
    targeted = await published_batch(client, token, title="定向券", distribution="targeted")
    draft = await (await client.post(f"{API}/admin/batches", json=batch_body(), headers=auth(token))).json()
    _, session = await trainee(svc)
    claimed = await (await client.post(f"{API}/claims", json={"batch_id": general["id"]}, headers=auth(session))).json()
    alipay_login = await client.post(f"{API}/alipay/login", json={"auth_code": "sandbox-errors.0"})
    alipay = (await alipay_login.json())["token"]
    json_targets = {
        ("POST", f"{API}/admin/login"): ({}, {"username": "wuxi", "password": "whatever-password"}),
        ("POST", f"{API}/admin/login-lockouts/lift"): (auth(token), {"kind": "bureau", "username": "wuxi"}),
        ("POST", f"{API}/admin/batches"): (auth(token), batch_body()),
        ("PUT", f"{API}/admin/batches/{draft['id']}"): (auth(token), batch_body()),
        ("POST", f"{API}/admin/vouchers/{claimed['code']}/revoke"): (auth(token), {"reason": "测试作废"}),
        ("POST", f"{API}/claims"): (auth(session), {"batch_id": general["id"]}),
        ("POST", f"{API}/wechat/login"): ({}, {"code": "sandboxsomeone"}),
        ("POST", f"{API}/wechat/face-verifications"): (
            auth(session),
            {"name": "王小明", "id_number": "320202199003070012"},
        ),
        ("POST", f"{API}/wechat/face-verifications/confirm"): (auth(session), {"out_seq_no": "wechat0123"}),
        ("POST", f"{API}/wechat/subscriptions"): (auth(session), {"results": {"tpl-1": "accept"}}),
        ("POST", f"{API}/alipay/login"): ({}, {"auth_code": "sandbox-errors"}),
        ("POST", f"{API}/alipay/face-verifications"): (auth(alipay), {"name": "张三", "id_number": id_number()}),
        ("POST", f"{API}/alipay/card-pack"): (auth(alipay), {"voucher_code": claimed["code"]}),
        ("POST", f"{API}/alipay/subscriptions"): (auth(alipay), {"results": {"tpl-1": "accept"}}),
    }
    json_targets.update(await institution_targets(client, token))
    json_targets.update(await bureau_targets(client, svc, token))
    json_targets.update(await evaluation_targets(client, svc))
    json_targets.update(await catalogue_targets(client, svc, token))
    json_targets.update(await platform_targets(client, token))
    json_targets.update(await notices_targets(client, svc))
    commissioner = json_targets[("POST", f"{API}/institution/staff")][0]
    json_targets[("PUT", f"{API}/institution/webhook")] = (
        commissioner,
        {"url": "https://example.org/hook", "secret": "a-long-enough-secret"},
    )
    upload_targets = {
        ("POST", f"{API}/admin/batches/{targeted['id']}/roster"): auth(token),
        ("POST", f"{API}/admin/batches/{listed['id']}/eligibility"): auth(token),
    }
    settlement_json, settlement_uploads = await settlement_targets(client, svc, token)
    json_targets.update(settlement_json)
    upload_targets.update(settlement_uploads)
    # Every declared body endpoint is covered here: a new one must be added.
    declared = {(e.method, _plain(e.path)) for e in ENDPOINTS if e.body or e.upload}
    covered = set()
    for method, path in list(json_targets) + list(upload_targets):
        [match] = [d for d in declared if d[0] == method and re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", d[1]), path)]
        covered.add(match)
    assert covered == declared
    return [
        {"method": m, "path": p, "headers": h, "valid": v, "upload": False} for (m, p), (h, v) in json_targets.items()
    ] + [{"method": m, "path": p, "headers": h, "valid": None, "upload": True} for (m, p), h in upload_targets.items()]


GARBAGE_BYTES = [
    pytest.param(b"not json{", id="not-json"),
    pytest.param(b"", id="empty"),
    pytest.param(b"null", id="null"),
    pytest.param(b"[1, 2, 3]", id="array"),
    pytest.param(b'"a string"', id="string"),
    pytest.param(b"42", id="number"),
    pytest.param(b"true", id="bool"),
    pytest.param(b'{"a": NaN}', id="nan"),
    pytest.param(b'{"username": "\xff\xfe\xfd", "reason": "\xc3\x28"}', id="invalid-utf8"),
    pytest.param(b"\xff\xfe{\x00}\x00", id="utf16-bom"),
    # Deep nesting, still under max_body_bytes so that it reaches the JSON parser.
    pytest.param(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, id="deeply-nested-object"),
    pytest.param(b"[" * 30_000 + b"]" * 30_000, id="deeply-nested-array"),
    pytest.param(b'{"batch_id": ' + b"9" * 5000 + b"}", id="integer-with-5000-digits"),
    pytest.param(b"{" + b'"k": 1, ' * 5000 + b'"k": 2}', id="repeated-keys"),
]


@pytest.mark.parametrize("raw", GARBAGE_BYTES)
async def test_garbage_body_is_4xx_json_everywhere(client, svc, raw):
    for target in await _targets(client, svc):
        response = await client.request(
            target["method"],
            target["path"],
            data=raw,
            headers={**target["headers"], "Content-Type": "application/json"},
        )
        if target["upload"] and response.status == 200:
            # A roster is a file: one that parses as a list is read, and each row is refused.
            report = await response.json()
            assert report["total"] > 0 and report["created"] == 0 and report["rejected"] == report["total"]
        else:
            await _assert_4xx(response)


async def test_json_body_of_wrong_shape_is_422_naming_the_field(client, svc):
    for target in await _targets(client, svc):
        if target["upload"]:
            continue
        valid: dict[str, Any] = target["valid"]
        cases: list[Any] = [{}, {**valid, "unexpected_field": 1}, {"__proto__": {"admin": True}}]
        for field in valid:
            for wrong in ({"$gt": ""}, [{"x": 1}], {"nested": [[[]]]}):
                cases.append({**valid, field: wrong})
            cases.append({**valid, field: "长" * 60_000})  # huge string, still under max_body_bytes
        for body in cases:
            response = await client.request(target["method"], target["path"], json=body, headers=target["headers"])
            error = await _assert_4xx(response)
            if response.status == 422:
                assert error["code"] == "invalid_input"
                assert error["problems"], error


@pytest.mark.parametrize(
    "wrong",
    [None, True, 1.5, -1, 0, 10**30, "字符串", "", [], {}, [1], "2026-13-45", "a\u0000b", ["a\u0000b"], "\ud800"],
)
async def test_wrong_types_in_any_field_never_5xx(client, svc, wrong):
    for target in await _targets(client, svc):
        if target["upload"]:
            continue
        for field in target["valid"]:
            body = {**target["valid"], field: wrong}
            response = await client.request(target["method"], target["path"], json=body, headers=target["headers"])
            assert response.status < 500, (target["path"], field, await response.text())
            if response.status >= 400:
                await _assert_4xx(response)


async def test_body_over_max_body_bytes_is_413(client, svc, config):
    limit = config.server.max_body_bytes
    for target in await _targets(client, svc):
        if target["upload"]:
            continue
        big = json.dumps({**target["valid"], "padding": "x" * (limit + 10)}).encode()
        response = await client.request(
            target["method"],
            target["path"],
            data=big,
            headers={**target["headers"], "Content-Type": "application/json"},
        )
        await _assert_4xx(response, status=413, code="payload_too_large")

        async def chunked(data: bytes = big):
            for start in range(0, len(data), 8192):
                yield data[start : start + 8192]

        response = await client.request(
            target["method"],
            target["path"],
            data=chunked(),
            headers={**target["headers"], "Content-Type": "application/json"},
        )
        await _assert_4xx(response, status=413, code="payload_too_large")

        # The limit holds for the decoded body: a small compressed one expands past it.
        for encoding, packed in (("gzip", gzip.compress(big)), ("deflate", zlib.compress(big))):
            assert len(packed) < limit
            response = await client.request(
                target["method"],
                target["path"],
                data=packed,
                headers={**target["headers"], "Content-Type": "application/json", "Content-Encoding": encoding},
            )
            await _assert_4xx(response, status=413, code="payload_too_large")


@pytest.mark.parametrize("content_type", ["text/csv", "application/json", "application/octet-stream"])
async def test_garbage_uploads_are_4xx(client, svc, content_type):
    files = [
        b"\x00\x01\x02\x03" * 100,
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        b'{"rows": [1, "x", null, [], {"id_number": {"a": 1}}]}',
        b"id_number\n" + b'"unterminated\n' * 3,
        json.dumps([{"id_number": bad_check_digit(id_number()), "name": "张" * 10_000}]).encode(),
    ]
    for target in await _targets(client, svc):
        if not target["upload"]:
            continue
        for raw in files:
            response = await client.post(
                target["path"], data=raw, headers={**target["headers"], "Content-Type": content_type}
            )
            if response.status == 200:  # a readable file whose rows are all refused, one by one
                report = await response.json()
                assert report["created"] == 0 and report["rejected"] == report["total"]
            else:
                await _assert_4xx(response)


# --- paths, methods, query strings ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        "/api/v2/claims",
        "/api/v1/admin/batches/1/nothing",
        "/api/v1/vouchers/lowercasecode1234",
        "/api/v1/vouchers/" + "A" * 17,
        "/nope",
        "/api/v1/admin/batches/%00",
        "/api/v1/%E5%88%B8",
    ],
)
async def test_unknown_path_is_404_json(client, path):
    response = await client.get(path)
    await _assert_4xx(response, status=404, code="not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/admin/batches", {"GET", "POST"}),
        ("GET", "/api/v1/claims", {"POST"}),
        ("GET", "/api/v1/admin/login", {"POST"}),
        ("PATCH", "/api/v1/admin/batches/1", {"GET", "PUT"}),
        ("GET", "/api/v1/admin/batches/1/publish", {"POST"}),
        ("POST", "/healthz", {"GET"}),
    ],
)
async def test_wrong_method_is_405_json_with_allow(client, method, path, allowed):
    response = await client.request(method, path)
    await _assert_4xx(response, status=405, code="method_not_allowed")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= allowed


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "abc"},
        {"limit": "-1"},
        {"limit": "201"},
        {"limit": "1e3"},
        {"limit": ""},
        {"offset": "-1"},
        {"offset": "x"},
        {"offset": "99999999999999999999999"},
        {"limit": "9" * 5000},
    ],
)
async def test_query_out_of_range_is_422(client, svc, params):
    await regions()
    token = await bureau(svc)
    _, session = await trainee(svc)
    for path, headers in (
        ("/api/v1/admin/batches", auth(token)),
        ("/api/v1/card-center", auth(session)),
        ("/api/v1/vouchers", auth(session)),
    ):
        response = await client.get(path, params=params, headers=headers)
        error = await _assert_4xx(response, status=422, code="invalid_input")
        assert set(params) & {p["field"] for p in error["problems"]}
    response = await client.get("/api/v1/admin/batches", params={"status": "deleted"}, headers=auth(token))
    await _assert_4xx(response, status=422, code="invalid_input")
    # The edges of the range are accepted.
    for params in ({"limit": "1"}, {"limit": "200"}, {"offset": "0"}):
        assert (await client.get("/api/v1/vouchers", params=params, headers=auth(session))).status == 200


async def test_unknown_query_parameters_are_ignored_on_the_busiest_screens(client, svc):
    """Mini programs and browsers add cache-busting parameters (`_t`, `_`) to GETs."""
    await regions()
    token = await bureau(svc)
    _, session = await trainee(svc)
    for path, headers in (
        ("/api/v1/vouchers", auth(session)),
        ("/api/v1/card-center", auth(session)),
        ("/api/v1/admin/batches", auth(token)),
    ):
        for params in ({"_t": "1764720000000"}, {"_": "1"}, {"_t": "x", "limit": "5"}):
            response = await client.get(path, params=params, headers=headers)
            assert response.status == 200, (path, params, await response.text())
    # A known parameter is still checked when unknown ones come with it.
    response = await client.get("/api/v1/vouchers", params={"_t": "1", "limit": "0"}, headers=auth(session))
    error = await _assert_4xx(response, status=422, code="invalid_input")
    assert {p["field"] for p in error["problems"]} == {"limit"}


@pytest.mark.parametrize("value", [True, "3", 3.0, "1"])
async def test_a_boolean_or_a_string_is_not_a_number(client, svc, value):
    """`{"batch_id": true}` claimed batch 1 and `{"batch_id": "3"}` batch 3 before bodies were strict."""
    await regions()
    token = await bureau(svc)
    await published_batch(client, token)
    _, session = await trainee(svc)
    response = await client.post("/api/v1/claims", json={"batch_id": value}, headers=auth(session))
    error = await _assert_4xx(response, status=422, code="invalid_input")
    assert [p["field"] for p in error["problems"]] == ["batch_id"]
    assert error["message"] == "输入内容不符合要求：批次须为整数"
