"""The strict Content-Security-Policy: on every page (scripts and styles from this server only,
nothing inline, nothing evaluated), and on every API answer (which is data, never a document:
nothing at all may load in it, and no site may frame it)."""

from __future__ import annotations

from tests.support.factories import auth, bureau, regions

CSP = "Content-Security-Policy"
UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:")


def _directives(header: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in header.split(";")) if d}


async def test_every_page_forbids_inline_and_foreign_scripts_and_styles(client):
    for path in ("/", "/console", "/institution", "/institution/scan", "/h5/wallet"):
        r = await client.get(path)
        assert r.status == 200 and r.content_type == "text/html", path
        policy = _directives(r.headers[CSP])
        assert policy["default-src"] == ["'self'"], path
        assert "script-src" not in policy  # falls back to default-src 'self'
        assert policy["style-src"] == ["'self'"], path
        for sources in policy.values():
            assert not set(sources) & set(UNSAFE), (path, policy)
        assert r.headers["X-Frame-Options"] == "DENY"


async def test_api_answers_load_nothing_and_cannot_be_framed(client, svc):
    await regions()
    token = await bureau(svc)
    answers = [
        await client.get("/api/v1/admin/batches", headers=auth(token)),  # a JSON answer
        await client.get("/api/v1/admin/batches"),  # an error answer (401)
        await client.get("/api/v1/no-such-thing"),  # aiohttp's own 404, as JSON
        await client.get("/openapi.json"),
    ]
    assert [r.status for r in answers] == [200, 401, 404, 200]
    for r in answers:
        assert r.content_type == "application/json"
        policy = _directives(r.headers[CSP])
        assert policy["default-src"] == ["'none'"], r.url
        assert policy["frame-ancestors"] == ["'none'"], r.url
        assert r.headers["X-Content-Type-Options"] == "nosniff"
