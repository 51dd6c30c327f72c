"""JSON API under /api/v1 for mini programs, institution scanners and HR admins."""

from __future__ import annotations

import importlib
import pkgutil

from aiohttp import web

from miniapp_api import alipay_notify
from miniapp_api.endpoint import ENDPOINTS
from miniapp_api.errors import error_middleware
from miniapp_api.metrics import latency_middleware, metrics
from miniapp_api.openapi import openapi_document
from miniapp_api.security_headers import security_headers

__all__ = ["error_middleware", "latency_middleware", "security_headers", "setup_routes"]


def _import_handler_modules() -> None:
    """Importing a handler module registers its endpoints: every module of this package is
    imported, so a new module needs no line here (and two new modules do not collide here)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_import_handler_modules()


def setup_routes(app: web.Application) -> None:
    for e in ENDPOINTS:
        app.router.add_route(e.method, e.path, e.handler)
    app.router.add_get("/openapi.json", openapi_document)
    app.router.add_get("/metrics", metrics)
    alipay_notify.setup_routes(app)
