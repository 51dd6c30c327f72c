"""/openapi.json, generated from the declared endpoints and their pydantic models."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from miniapp_api.endpoint import ENDPOINTS, Endpoint, json_response
from miniapp_api.schemas import ErrorResponse

_REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"\{(\w+)(?::[^{}]*(?:\{[^{}]*\}[^{}]*)*)?\}")


def build_openapi() -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorResponse}
    for e in ENDPOINTS:
        # Query models too: their enums (e.g. BatchStatus) must land in components/schemas.
        models.update(m for m in (e.body, e.query, e.response) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    refs, schema = models_json_schema([(m, "validation") for m in ordered], ref_template=_REF)
    paths: dict[str, dict[str, Any]] = {}
    for e in ENDPOINTS:
        path = _PARAM.sub(r"{\1}", e.path)
        paths.setdefault(path, {})[e.method.lower()] = _operation(e, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "peixunquan 培训券 API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schema.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                # Online platforms sign each request with five X-Pxq-* headers (docs/online-platforms.md).
                "platformSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Pxq-Signature",
                    "description": "HMAC-SHA256 of the canonical request, with X-Pxq-Platform, X-Pxq-Key-Id,"
                    " X-Pxq-Timestamp and X-Pxq-Nonce: see docs/online-platforms.md",
                },
            },
        },
    }


def _ref(refs: dict, model: type[BaseModel]) -> dict[str, Any]:
    return refs[(model, "validation")]


def _operation(e: Endpoint, refs: dict) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": e.summary, "tags": [e.tag], "operationId": _operation_id(e)}
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in _PARAM.findall(e.path)
    ]
    if e.query is not None:
        for name, info in e.query.model_fields.items():
            # A plain model_json_schema() points enums at "#/$defs/...", which does not exist here.
            schema = e.query.model_json_schema(ref_template=_REF)["properties"][name]
            params.append({"name": name, "in": "query", "required": info.is_required(), "schema": schema})
    if params:
        op["parameters"] = params
    if e.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(refs, e.body)}}}
    elif e.upload:
        op["requestBody"] = {
            "required": True,
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in e.upload},
        }
    ok: dict[str, Any] = {"description": "OK"}
    if e.response is not None:
        ok["content"] = {"application/json": {"schema": _ref(refs, e.response)}}
    error = {"content": {"application/json": {"schema": _ref(refs, ErrorResponse)}}}
    op["responses"] = {
        str(e.status): ok,
        "4XX": {"description": "Refused: a stable error code and a Chinese message", **error},
    }
    if e.auth:
        op["security"] = [{"platformSignature": []}] if e.auth == "platform" else [{"bearer": []}]
    if e.permission:
        # Which bureau role may call it: the roles whose permissions include one of these.
        op["x-permission"] = [str(p) for p in e.permission]
        op["description"] = "Needs one of the bureau permissions: " + ", ".join(str(p) for p in e.permission)
    return op


async def openapi_document(request: web.Request) -> web.Response:
    return json_response(build_openapi())


def _operation_id(e: Endpoint) -> str:
    """Unique across modules: `login` exists for bureau users, staff, WeChat and Alipay."""
    return f"{e.handler.__module__.rsplit('.', 1)[-1]}_{e.handler.__name__}"
