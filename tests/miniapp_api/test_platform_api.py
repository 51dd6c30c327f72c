"""The bureau's platform registry (permission, region, codes, secrets shown once, the change log)
and the platform API's edge: bodies of every kind, correctly signed, are refused with a 4xx."""

from __future__ import annotations

import json

import pytest

from models import AdminEvent
from tests.miniapp_api.test_http_errors import GARBAGE_BYTES
from tests.support.factories import auth, bureau, regions
from tests.support.institutions import institution, institution_body
from tests.support.platforms import API, course_body, platform_body, platform_env, register


async def _error(response, status: int) -> dict:
    text = await response.text()
    assert response.status == status, text
    return json.loads(text)["error"]


async def test_registering_needs_the_registry_permission_and_stays_in_the_region(client, svc):
    await regions()
    admin = await bureau(svc)
    viewer = await bureau(svc, "viewer", "320200", role="viewer")
    r = await client.post(f"{API}/admin/platforms", json=platform_body(), headers=auth(viewer))
    assert (await _error(r, 403))["code"] == "role_not_allowed"
    r = await client.post(f"{API}/admin/platforms", json=platform_body(region="500000"), headers=auth(admin))
    assert r.status == 403, await r.text()

    platform, out = await register(client, admin)
    assert out["key"]["secret"] and len(out["key"]["secret"]) == 43
    # Viewers read; other regions do not see it.
    listed = await (await client.get(f"{API}/admin/platforms", headers=auth(viewer))).json()
    assert [p["id"] for p in listed["items"]] == [platform.id]
    chongqing = await bureau(svc, "chongqing", "500000")
    assert (await (await client.get(f"{API}/admin/platforms", headers=auth(chongqing))).json())["items"] == []
    r = await client.get(f"{API}/admin/platforms/{platform.id}", headers=auth(chongqing))
    assert (await _error(r, 404))["code"] == "platform_not_found"
    for path in (f"/{platform.id}/keys", f"/{platform.id}/keys/{platform.key_id}/retire"):
        assert (await client.post(f"{API}/admin/platforms{path}", headers=auth(chongqing))).status == 404
        assert (await client.post(f"{API}/admin/platforms{path}", headers=auth(viewer))).status == 403

    # It is in the institution registry too, as a 线上培训平台.
    entry = await (await client.get(f"{API}/admin/institutions/{out['institution_id']}", headers=auth(admin))).json()
    assert (entry["kind"], entry["code"]) == ("线上培训平台", platform.code)
    # What the bureau did is in its change log, by key id only.
    events = [(e.action, json.dumps(e.after, ensure_ascii=False)) for e in await AdminEvent.all().order_by("id")]
    assert [a for a, _ in events] == ["platform_registered"]
    assert platform.key_id in events[0][1] and out["key"]["secret"] not in events[0][1]


async def test_codes_and_kinds_of_the_registry(client, svc):
    await regions()
    admin = await bureau(svc)
    taken, _ = await institution(client, admin)
    r = await client.post(f"{API}/admin/platforms", json=platform_body(code=taken["code"]), headers=auth(admin))
    assert (await _error(r, 409))["code"] == "institution_code_taken"
    # A platform is registered as one, with its scope and keys, not as an institution.
    r = await client.post(f"{API}/admin/institutions", json=institution_body(kind="线上培训平台"), headers=auth(admin))
    error = await _error(r, 422)
    assert "线上培训平台请在“线上培训平台”中登记" in error["message"]
    _, out = await register(client, admin)
    r = await client.put(
        f"{API}/admin/institutions/{out['institution_id']}", json={"kind": "其他"}, headers=auth(admin)
    )
    assert (await _error(r, 409))["code"] == "platform_kind_reserved"
    r = await client.put(f"{API}/admin/institutions/{taken['id']}", json={"kind": "线上培训平台"}, headers=auth(admin))
    assert r.status == 422
    for scope in ({"project_types": []}, {"project_types": ["创业培训", "创业培训"]}):
        r = await client.put(f"{API}/admin/platforms/{out['id']}/scope", json=scope, headers=auth(admin))
        assert (await _error(r, 422))["code"] == "invalid_input"


@pytest.mark.parametrize("raw", GARBAGE_BYTES)
async def test_signed_garbage_bodies_are_4xx_after_the_signature(client, svc, raw):
    env = await platform_env(client, svc)
    platform = env["platform"]
    for method, path in (
        ("PUT", f"{API}/platform/courses/C1"),
        ("POST", f"{API}/platform/vouchers/verify"),
        ("POST", f"{API}/platform/enrolments"),
        ("POST", f"{API}/platform/progress"),
        ("POST", f"{API}/platform/completions"),
    ):
        r = await client.request(method, path, data=raw, headers=platform.headers(method, path, None, raw))
        text = await r.text()
        assert r.status in (400, 413, 422), (path, text)
        assert json.loads(text)["error"]["code"] != "platform_signature_invalid"


async def test_signed_bodies_of_the_wrong_shape_name_the_field(client, svc):
    env = await platform_env(client, svc)
    platform = env["platform"]
    valid = course_body()
    for field in valid:
        for wrong in (None, True, "长" * 3000, [1], {"$gt": ""}, -1):
            body = {**valid, field: wrong}
            if body == valid or (field == "occupation" and wrong is None):
                continue
            r = await platform.call("PUT", f"{API}/platform/courses/C1", body)
            error = await _error(r, 422)
            assert field in {p["field"] for p in error["problems"]}, error
    r = await platform.call("POST", f"{API}/platform/progress", {"report_id": "r", "voucher": "x", "course": "C1"})
    error = await _error(r, 422)
    assert {p["field"] for p in error["problems"]} == {"voucher", "unit", "hours"}
