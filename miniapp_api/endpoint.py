"""Declared endpoints: one decorator validates the request against pydantic models, runs the
handler and renders the answer. The same declarations generate /openapi.json, so the document
cannot drift from what is validated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from infra.bounded_body import BodyTooLarge, BodyUnreadable, read_bounded
from miniapp_api.validation_messages import problem, summary
from peixunquan.appkeys import CONFIG, SERVICES
from vouchers.common import errors
from vouchers.identity.bureau_auth import user_for_token
from vouchers.identity.bureau_roles import Permission, ensure_may
from vouchers.identity.sessions import account_for_token
from vouchers.institutions.staff_auth import staff_claims, staff_for_token
from vouchers.platforms.auth import authenticate as authenticate_platform


@dataclass
class Endpoint:
    method: str
    path: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    summary: str
    tag: str
    auth: str | None = None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    upload: tuple[str, ...] = ()  # accepted content types of a raw file body
    permission: tuple[Permission, ...] = ()  # bureau: any one of these


ENDPOINTS: list[Endpoint] = []


def endpoint(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    auth: str | None = None,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    upload: tuple[str, ...] = (),
    permission: Permission | tuple[Permission, ...] = (),
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    needs = (permission,) if isinstance(permission, Permission) else tuple(permission)

    def wrap(fn: Callable[..., Awaitable[Any]]) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        query_names = _names(query) if query is not None else frozenset()

        async def handler(request: web.Request) -> web.StreamResponse:
            kwargs: dict[str, Any] = {}
            raw: bytes | None = None  # the body, once read
            if auth == "bureau":
                kwargs["user"] = await user_for_token(request.app[SERVICES], _bearer(request))
                if needs:
                    ensure_may(kwargs["user"], *needs)
            elif auth == "trainee":
                kwargs["account"] = await account_for_token(request.app[SERVICES], _bearer(request))
            elif auth == "staff":
                kwargs["staff"] = await staff_for_token(request.app[SERVICES], _bearer(request))
            elif auth == "staff_claims":  # the handler reads the staff row itself (see vouchers.scanning.scan)
                kwargs["claims"] = staff_claims(request.app[SERVICES], _bearer(request))
            elif auth == "platform":  # a signed request: the signature covers the body's bytes
                raw = await read_body(request, request.app[CONFIG].server.max_body_bytes)
                kwargs["platform"] = await authenticate_platform(
                    request.app[SERVICES], request.method, request.path, request.query.items(), request.headers, raw
                )
            if query is not None:
                # Unknown query parameters are ignored: mini programs and browsers add their own
                # (`_t=...` against caches) to the busiest GETs. Bodies stay strict.
                known = {k: v for k, v in request.query.items() if k in query_names}
                kwargs["query"] = validate(query, known)
            if body is not None:
                if raw is None:
                    raw = await read_body(request, request.app[CONFIG].server.max_body_bytes)
                try:
                    # orjson decides what is not JSON at all (bad UTF-8, NaN, nesting deeper than
                    # 1024), so those keep answering `invalid_json`; pydantic then reads the same
                    # bytes strictly. The second parse of a small body costs a few microseconds.
                    orjson.loads(raw or b"null")
                except orjson.JSONDecodeError:
                    raise errors.InvalidJson() from None
                kwargs["body"] = validate_json(body, raw or b"null")
            if upload:
                kwargs["upload"] = await read_body(request, request.app[CONFIG].server.max_upload_bytes)
            result = await fn(request, **kwargs)
            if isinstance(result, web.StreamResponse):
                return result
            return json_response(result, status)

        handler.__name__ = fn.__name__
        handler.__module__ = fn.__module__
        handler.__doc__ = summary
        ENDPOINTS.append(
            Endpoint(method, path, handler, summary, tag, auth, body, query, response, status, upload, needs)
        )
        return handler

    return wrap


def _names(model: type[BaseModel]) -> frozenset[str]:
    """The query parameters a model reads: unknown ones are ignored (mini programs and browsers add
    their own, `_t=...` against caches, to the busiest GETs)."""
    return frozenset(n for name, f in model.model_fields.items() for n in (name, f.alias) if n)


def validate(model: type[BaseModel], data: Any) -> Any:
    """Query strings: text, so read laxly ("10" is a number there)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc) from None


def validate_json(model: type[BaseModel], raw: bytes) -> Any:
    """A JSON body, strictly: a boolean is not a number, a string is not a number; JSON's own text
    forms of dates and enums still count."""
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _invalid(exc: ValidationError) -> errors.InvalidInput:
    problems = [problem(e) for e in exc.errors(include_url=False, include_input=False)]
    return errors.InvalidInput(summary(problems), problems=problems)


async def read_body(request: web.Request, limit: int) -> bytes:
    """The decoded body, refused as soon as it passes `limit` (see infra.bounded_body): a declared
    length over the limit is refused before reading, and a compressed body is counted as it
    expands, not by its Content-Length."""
    if request.content_length is not None and request.content_length > limit:
        raise errors.PayloadTooLarge(f"请求内容不能超过 {limit} 字节")
    try:
        return await read_bounded(request.content, limit)
    except BodyTooLarge:
        raise errors.PayloadTooLarge(f"请求内容不能超过 {limit} 字节") from None
    except BodyUnreadable:
        raise errors.UnreadableBody() from None


def json_response(result: Any, status: int = 200) -> web.Response:
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    return web.Response(
        body=orjson.dumps(result),
        status=status,
        content_type="application/json",
    )


def path_int(request: web.Request, name: str) -> int:
    # Routes constrain these to at most 9 digits, so the value always fits the database.
    return int(request.match_info[name])


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or not token.isascii():
        raise errors.Unauthenticated()
    return token.strip()
