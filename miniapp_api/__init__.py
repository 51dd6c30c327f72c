"""JSON API under /api/v1 for mini programs, institution scanners and HR admins."""

from __future__ import annotations

from aiohttp import web

# Importing the handler modules registers their endpoints.
from miniapp_api import (  # noqa: F401
    admin,
    alipay,
    alipay_notify,
    archive,
    health,
    institution_webhook,
    institutions,
    ping,
    scans,
    settlement,
    statistics,
    trainee,
)
from miniapp_api import wechat as wechat_api  # noqa: F401
from miniapp_api.endpoint import ENDPOINTS
from miniapp_api.errors import error_middleware
from miniapp_api.metrics import latency_middleware, metrics
from miniapp_api.openapi import openapi_document

__all__ = ["error_middleware", "latency_middleware", "setup_routes"]


def setup_routes(app: web.Application) -> None:
    for e in ENDPOINTS:
        app.router.add_route(e.method, e.path, e.handler)
    app.router.add_get("/openapi.json", openapi_document)
    app.router.add_get("/metrics", metrics)
    alipay_notify.setup_routes(app)
