"""Test data for the notices center and 退券 (issue 21): the body endpoints for test_http_errors."""

from __future__ import annotations

from typing import Any

from tests.support.factories import auth, trainee

API = "/api/v1"


async def notices_targets(client, svc) -> dict[tuple[str, str], tuple[dict[str, str], Any]]:
    """(method, path) -> (headers, a valid body)."""
    _, session = await trainee(svc)
    return {("POST", f"{API}/notices/read"): (auth(session), {"all": True})}
