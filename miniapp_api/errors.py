"""One middleware turns every failure into `{"error": {"code", "message"}}`.

Domain errors keep their own status and code. aiohttp's own 4xx (unknown path, wrong method)
get stable codes too. A database that went away mid-request (restart, failover, a dropped
connection) is 503 `service_busy`, as an unreachable or failing-over Redis is: the client may try
again. Anything else is a bug: logged, answered 500 `internal_error`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import asyncpg
from aiohttp import web
from tortoise.exceptions import DBConnectionError

from infra.redis_errors import REDIS_UNAVAILABLE
from miniapp_api.endpoint import json_response
from vouchers.common import errors

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: ("bad_request", "请求无效"),
    404: ("not_found", "找不到该资源"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "请求内容过大"),
}


_DATABASE_UNAVAILABLE = (
    DBConnectionError,
    ConnectionError,  # refused or reset under the pool
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up, statement cancelled
)


def error_body(code: str, message: str, **detail: object) -> dict:
    return {"error": {"code": code, "message": message, **detail}}


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except errors.DomainError as exc:
        return json_response(error_body(exc.code, exc.text, **exc.detail), exc.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code, message = _HTTP_CODES.get(exc.status, ("http_error", "请求无法处理"))
        response = json_response(error_body(code, message), exc.status)
        if exc.status == 405 and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except _DATABASE_UNAVAILABLE as exc:
        log.warning("database unavailable", extra={"path": request.path, "error": type(exc).__name__})
        busy = errors.ServiceBusy()
        return json_response(error_body(busy.code, busy.text), busy.status)
    except REDIS_UNAVAILABLE as exc:
        # Most Redis calls answer service_busy themselves; this catches the rest (a failover).
        log.warning("redis unavailable", extra={"path": request.path, "error": type(exc).__name__})
        busy = errors.ServiceBusy()
        return json_response(error_body(busy.code, busy.text), busy.status)
    except Exception:
        log.exception("unhandled error", extra={"path": request.path, "method": request.method})
        return json_response(error_body("internal_error", "服务器内部错误"), 500)
