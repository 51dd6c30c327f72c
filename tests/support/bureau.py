"""Bureau console helpers: the body endpoints of accounts, registry and standards for the
tests that call every endpoint (tests/miniapp_api/test_http_errors.py)."""

from __future__ import annotations

from typing import Any

from tests.support.factories import PASSWORD, auth, bureau
from tests.support.institutions import institution

API = "/api/v1"


async def bureau_targets(client, svc, token: str) -> dict[tuple[str, str], tuple[dict[str, str], Any]]:
    """(method, path) -> (headers, a valid body)."""
    other = await (
        await client.post(
            f"{API}/admin/accounts",
            json={"username": "targets", "password": PASSWORD, "role": "viewer", "region": "320200"},
            headers=auth(token),
        )
    ).json()
    own = await bureau(svc, "targets-own", "320200", role="viewer")  # its own password changes
    registered, _ = await institution(client, token)
    place = f"{API}/admin/institutions/{registered['id']}"
    return {
        ("PUT", place): (auth(token), {"phone": "0510-12345678"}),
        ("POST", f"{place}/suspend"): (auth(token), {"reason": "检查发现问题"}),
        ("PUT", f"{API}/admin/targets"): (
            auth(token),
            {"region": "320200", "year": 2026, "issue_target": 90000, "use_target": 9000},
        ),
        ("POST", f"{API}/admin/accounts"): (
            auth(token),
            {"username": "another", "password": PASSWORD, "role": "viewer", "region": "320200"},
        ),
        ("PUT", f"{API}/admin/accounts/{other['id']}"): (auth(token), {"display_name": "统计员"}),
        ("POST", f"{API}/admin/accounts/{other['id']}/password"): (auth(token), {"password": PASSWORD}),
        ("POST", f"{API}/admin/me/password"): (auth(own), {"current_password": PASSWORD, "new_password": PASSWORD}),
    }
