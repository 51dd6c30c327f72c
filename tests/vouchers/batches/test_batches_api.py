"""The bureau's batch console over HTTP: login, create/edit/publish/close, region scope."""

from __future__ import annotations

import time
import types
from datetime import UTC, date, datetime, timedelta

import pytest

from miniapp_api.validation_messages import FIELD_LABELS
from models import Batch, BureauUser
from tests.support.factories import PASSWORD, auth, batch_body, bureau, published_batch, regions, trainee
from vouchers.common import tokens
from vouchers.common.clock import local_date, utcnow
from vouchers.identity.bureau_auth import create_bureau_user

BATCHES = "/api/v1/admin/batches"


def _error(body: dict) -> dict:
    error = body["error"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error  # a Chinese message
    return error


async def _refused(response, status: int, code: str | None = None) -> dict:
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    error = _error(await response.json())
    if code is not None:
        assert error["code"] == code, error
    return error


# --- login and tokens ----------------------------------------------------------------------------


async def test_login_gives_a_token_that_opens_the_console(client, svc):
    await regions()
    await create_bureau_user("wuxi", PASSWORD, "320200")
    response = await client.post("/api/v1/admin/login", json={"username": "wuxi", "password": PASSWORD})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["region"] == "320200"
    assert body["expires_in"] == svc.bureau_token_ttl_s
    listed = await client.get(BATCHES, headers=auth(body["token"]))
    assert listed.status == 200
    assert (await listed.json()) == {"items": []}


@pytest.mark.parametrize(
    ("username", "password"), [("wuxi", "wrong password!"), ("nobody", PASSWORD), ("WUXI", PASSWORD)]
)
async def test_wrong_password_or_unknown_user_is_bad_credentials(client, svc, username, password):
    await regions()
    await create_bureau_user("wuxi", PASSWORD, "320200")
    response = await client.post("/api/v1/admin/login", json={"username": username, "password": password})
    error = await _refused(response, 401, "bad_credentials")
    assert "token" not in error


async def test_disabled_user_cannot_log_in_and_its_token_stops_working(client, svc):
    await regions()
    token = await bureau(svc)
    assert (await client.get(BATCHES, headers=auth(token))).status == 200
    await BureauUser.filter(username="wuxi").update(active=False)
    await _refused(await client.get(BATCHES, headers=auth(token)), 401)
    login = await client.post("/api/v1/admin/login", json={"username": "wuxi", "password": PASSWORD})
    await _refused(login, 401, "bad_credentials")


async def test_logout_ends_every_token_of_the_user_and_a_new_login_works(client, svc):
    await regions()
    desk = await bureau(svc)
    laptop = await _login(client)  # the same user on a second device
    r = await client.post("/api/v1/admin/logout", headers=auth(desk))
    assert r.status == 200 and await r.json() == {"ok": True}
    await _refused(await client.get(BATCHES, headers=auth(desk)), 401)
    await _refused(await client.get(BATCHES, headers=auth(laptop)), 401)  # a copied token too
    await _refused(await client.post("/api/v1/admin/logout", headers=auth(desk)), 401)
    assert (await client.get(BATCHES, headers=auth(await _login(client)))).status == 200


async def _login(client) -> str:
    r = await client.post("/api/v1/admin/login", json={"username": "wuxi", "password": PASSWORD})
    assert r.status == 200, await r.text()
    return (await r.json())["token"]


async def test_token_version_bump_revokes_earlier_tokens(client, svc):
    await regions()
    old = await bureau(svc)
    await BureauUser.filter(username="wuxi").update(token_version=2)
    await _refused(await client.get(BATCHES, headers=auth(old)), 401)
    login = await client.post("/api/v1/admin/login", json={"username": "wuxi", "password": PASSWORD})
    fresh = (await login.json())["token"]
    assert (await client.get(BATCHES, headers=auth(fresh))).status == 200


async def test_expired_token_is_token_expired(client, svc, monkeypatch):
    await regions()
    token = await bureau(svc)
    assert (await client.get(BATCHES, headers=auth(token))).status == 200
    later = time.time() + svc.bureau_token_ttl_s + 1
    monkeypatch.setattr(tokens, "time", types.SimpleNamespace(time=lambda: later))
    await _refused(await client.get(BATCHES, headers=auth(token)), 401, "token_expired")


async def test_token_issued_with_no_lifetime_left_is_expired(client, svc):
    await regions()
    await bureau(svc)
    user = await BureauUser.get(username="wuxi")
    token = svc.tokens.issue("bureau", user.id, 0, version=user.token_version)
    await _refused(await client.get(BATCHES, headers=auth(token)), 401, "token_expired")


async def test_missing_or_garbage_authorization_is_401(client, svc):
    await regions()
    token = await bureau(svc)
    _, session = await trainee(svc)  # a trainee session is not a bureau token
    body, _, signature = token.partition(".")
    forged_body = body[:-2] + ("AA" if body[-2:] != "AA" else "BB")
    for headers in (
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": f"Basic {token}"},
        {"Authorization": token},
        {"Authorization": "Bearer garbage"},
        {"Authorization": "Bearer a.b.c"},
        {"Authorization": "Bearer ...."},
        {"Authorization": "Bearer 完全不对"},
        {"Authorization": f"Bearer {forged_body}.{signature}"},
        {"Authorization": f"Bearer {body}.{signature[:-3]}"},
        {"Authorization": f"Bearer {session}"},
    ):
        await _refused(await client.get(BATCHES, headers=headers), 401)


# --- create --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        {"value_mode": "face_value", "face_value_fen": 80_000, "validity_mode": "days_after_claim", "valid_days": 90},
        {"value_mode": "face_value", "face_value_fen": 30_000, "validity_mode": "fixed_date", "valid_days": None},
        {"value_mode": "deduction", "face_value_fen": None, "validity_mode": "fixed_date", "valid_days": None},
        {"value_mode": "deduction", "face_value_fen": None, "validity_mode": "days_after_claim", "valid_days": 7},
        {"value_mode": "checkin_only", "face_value_fen": None, "validity_mode": "fixed_date", "valid_days": None},
        {"value_mode": "checkin_only", "face_value_fen": None, "validity_mode": "days_after_claim", "valid_days": 1},
    ],
)
async def test_create_batch_in_each_value_and_validity_mode(client, svc, kind):
    await regions()
    token = await bureau(svc)
    until = date(local_date(utcnow()).year + 1, 11, 30).isoformat() if kind["validity_mode"] == "fixed_date" else None
    start = datetime.now(UTC).replace(microsecond=0)
    body = batch_body(
        **kind,
        valid_until_date=until,
        distribution="targeted" if kind["value_mode"] == "deduction" else "general",
        usable_regions=["320281", "320282"],
        claim_start=start.isoformat(),
        claim_end=(start + timedelta(days=30)).isoformat(),
        quantity=123,
    )
    created = await client.post(BATCHES, json=body, headers=auth(token))
    assert created.status == 201, await created.text()
    batch = await created.json()
    assert batch["status"] == "draft"
    assert batch["remaining"] == batch["quantity"] == 123
    assert batch["voucher_type"] == "就业技能培训"  # defaults to the first project type
    for key in ("value_mode", "face_value_fen", "validity_mode", "valid_days", "distribution", "usable_regions"):
        assert batch[key] == body.get(key), key
    assert batch["valid_until_date"] == until
    assert datetime.fromisoformat(batch["claim_start"]) == start
    # It reads back the same, and it is in the database.
    again = await (await client.get(f"{BATCHES}/{batch['id']}", headers=auth(token))).json()
    assert again == batch
    assert await Batch.filter(id=batch["id"], value_mode=kind["value_mode"]).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"face_value_fen": None}, "face_value_fen"),
        ({"value_mode": "deduction"}, "face_value_fen"),  # an amount on a deduction voucher
        ({"validity_mode": "fixed_date", "valid_days": None}, "valid_until_date"),
        ({"validity_mode": "days_after_claim", "valid_days": None}, "valid_days"),
        (
            {"claim_start": "2026-03-02T08:00:00+08:00", "claim_end": "2026-03-01T08:00:00+08:00"},
            "claim_end",
        ),
        (
            {"claim_start": "2026-03-01T08:00:00+08:00", "claim_end": "2026-03-01T08:00:00+08:00"},
            "claim_end",
        ),
        ({"claim_start": "2026-03-01T08:00:00"}, "claim_start"),
        ({"claim_start": "2026-03-01T08:00:00+08:00", "claim_end": "2026-04-01T08:00:00"}, "claim_end"),
        ({"colour": "red"}, "colour"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": -5}, "quantity"),
        ({"quantity": "many"}, "quantity"),
        ({"title": "   "}, "title"),
        ({"region": "32020"}, "region"),
        ({"project_types": []}, "project_types"),
        ({"project_types": ["就业技能培训", "就业技能培训"]}, "project_types"),
        ({"value_mode": "gift"}, "value_mode"),
        ({"valid_days": 0}, "valid_days"),
    ],
)
async def test_invalid_batch_is_422_naming_the_field(client, svc, overrides, field):
    await regions()
    token = await bureau(svc)
    response = await client.post(BATCHES, json=batch_body(**overrides), headers=auth(token))
    error = await _refused(response, 422, "invalid_input")
    # The message names the field as the form labels it (its name where there is no label).
    assert FIELD_LABELS.get(field, field) in error["message"]
    assert field in {p["field"] for p in error["problems"]}
    assert await Batch.all().count() == 0


async def test_unknown_region_code_is_invalid_input(client, svc):
    await regions()
    token = await bureau(svc, "js", "320000")
    response = await client.post(BATCHES, json=batch_body(region="329999"), headers=auth(token))
    await _refused(response, 422, "invalid_input")
    response = await client.post(BATCHES, json=batch_body(usable_regions=["329999"]), headers=auth(token))
    await _refused(response, 422, "invalid_input")


# --- region scope --------------------------------------------------------------------------------


async def _wuxi_and_chongqing(client, svc):
    await regions()
    wuxi = await bureau(svc, "wuxi", "320200")
    chongqing = await bureau(svc, "cq", "500000")
    cq_batch = await (
        await client.post(BATCHES, json=batch_body(region="500000", title="重庆券"), headers=auth(chongqing))
    ).json()
    return wuxi, chongqing, cq_batch


async def test_wuxi_user_cannot_create_in_chongqing(client, svc):
    wuxi, _, _ = await _wuxi_and_chongqing(client, svc)
    await _refused(
        await client.post(BATCHES, json=batch_body(region="500000"), headers=auth(wuxi)), 403, "out_of_region"
    )
    # Nor make its own batch usable in Chongqing, nor act above its own level.
    await _refused(
        await client.post(BATCHES, json=batch_body(usable_regions=["500101"]), headers=auth(wuxi)), 403, "out_of_region"
    )
    await _refused(
        await client.post(BATCHES, json=batch_body(region="320000"), headers=auth(wuxi)), 403, "out_of_region"
    )
    assert await Batch.filter(created_by__username="wuxi").count() == 0


async def test_wuxi_user_cannot_read_edit_publish_or_close_a_chongqing_batch(client, svc):
    wuxi, chongqing, cq_batch = await _wuxi_and_chongqing(client, svc)
    url = f"{BATCHES}/{cq_batch['id']}"
    await _refused(await client.get(url, headers=auth(wuxi)), 403, "out_of_region")
    await _refused(await client.put(url, json=batch_body(), headers=auth(wuxi)), 403, "out_of_region")
    await _refused(await client.post(f"{url}/publish", headers=auth(wuxi)), 403, "out_of_region")
    assert (await Batch.get(id=cq_batch["id"])).status == "draft"
    assert (await client.post(f"{url}/publish", headers=auth(chongqing))).status == 200
    await _refused(await client.post(f"{url}/close", headers=auth(wuxi)), 403, "out_of_region")
    assert (await Batch.get(id=cq_batch["id"])).status == "published"


async def test_listing_shows_own_region_and_below_only(client, svc):
    wuxi, chongqing, _ = await _wuxi_and_chongqing(client, svc)
    jiangsu = await bureau(svc, "js", "320000")
    jiangyin = await bureau(svc, "jy", "320281")
    wuxi_batch = await (await client.post(BATCHES, json=batch_body(title="无锡券"), headers=auth(wuxi))).json()
    jy_batch = await (
        await client.post(BATCHES, json=batch_body(title="江阴券", region="320281"), headers=auth(wuxi))
    ).json()
    js_batch = await (
        await client.post(BATCHES, json=batch_body(title="江苏券", region="320000"), headers=auth(jiangsu))
    ).json()

    async def titles(token: str) -> set[str]:
        response = await client.get(BATCHES, headers=auth(token))
        assert response.status == 200
        return {b["title"] for b in (await response.json())["items"]}

    assert await titles(jiangsu) == {"无锡券", "江阴券", "江苏券"}
    assert await titles(wuxi) == {"无锡券", "江阴券"}
    assert await titles(jiangyin) == {"江阴券"}
    assert await titles(chongqing) == {"重庆券"}
    # The province reads and publishes the city's batch; the county cannot read the city's.
    assert (await client.get(f"{BATCHES}/{wuxi_batch['id']}", headers=auth(jiangsu))).status == 200
    assert (await client.post(f"{BATCHES}/{wuxi_batch['id']}/publish", headers=auth(jiangsu))).status == 200
    await _refused(await client.get(f"{BATCHES}/{wuxi_batch['id']}", headers=auth(jiangyin)), 403, "out_of_region")
    await _refused(await client.get(f"{BATCHES}/{js_batch['id']}", headers=auth(wuxi)), 403, "out_of_region")
    assert (await client.get(f"{BATCHES}/{jy_batch['id']}", headers=auth(jiangyin))).status == 200
    # Status filter and paging.
    published = await (await client.get(BATCHES, params={"status": "published"}, headers=auth(jiangsu))).json()
    assert [b["id"] for b in published["items"]] == [wuxi_batch["id"]]
    page = await (await client.get(BATCHES, params={"limit": 1, "offset": 1}, headers=auth(jiangsu))).json()
    assert len(page["items"]) == 1
    await _refused(await client.get(BATCHES, params={"status": "gone"}, headers=auth(jiangsu)), 422, "invalid_input")


# --- lifecycle -----------------------------------------------------------------------------------


async def test_edit_while_draft_then_not_after_publish(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await (await client.post(BATCHES, json=batch_body(), headers=auth(token))).json()
    url = f"{BATCHES}/{batch['id']}"
    edited = await client.put(
        url, json=batch_body(title="改过的标题", quantity=77, face_value_fen=100_000), headers=auth(token)
    )
    assert edited.status == 200, await edited.text()
    body = await edited.json()
    assert (body["title"], body["quantity"], body["remaining"], body["face_value_fen"]) == (
        "改过的标题",
        77,
        77,
        100_000,
    )
    assert (await Batch.get(id=batch["id"])).title == "改过的标题"
    # An invalid edit changes nothing.
    await _refused(await client.put(url, json=batch_body(quantity=0), headers=auth(token)), 422, "invalid_input")

    assert (await client.post(f"{url}/publish", headers=auth(token))).status == 200
    await _refused(
        await client.put(url, json=batch_body(title="发布后再改"), headers=auth(token)), 409, "batch_not_editable"
    )
    stored = await Batch.get(id=batch["id"])
    assert (stored.title, stored.quantity) == ("改过的标题", 77)


async def test_publish_twice_is_conflict(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    assert batch["status"] == "published"
    await _refused(
        await client.post(f"{BATCHES}/{batch['id']}/publish", headers=auth(token)), 409, "batch_state_conflict"
    )


async def test_close_stops_claims_and_keeps_claimed_vouchers(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    _, early = await trainee(svc)
    kept = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(early))
    assert kept.status == 201
    closed = await client.post(f"{BATCHES}/{batch['id']}/close", headers=auth(token))
    assert closed.status == 200
    assert (await closed.json())["status"] == "closed"
    _, late = await trainee(svc)
    refused = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(late))
    await _refused(refused, 409, "claim_closed")
    wallet = await (await client.get("/api/v1/vouchers", headers=auth(early))).json()
    assert [v["status"] for v in wallet["items"]] == ["claimed"]
    # Closing twice, or closing a draft, is a conflict.
    await _refused(
        await client.post(f"{BATCHES}/{batch['id']}/close", headers=auth(token)), 409, "batch_state_conflict"
    )
    draft = await (await client.post(BATCHES, json=batch_body(), headers=auth(token))).json()
    await _refused(
        await client.post(f"{BATCHES}/{draft['id']}/close", headers=auth(token)), 409, "batch_state_conflict"
    )


async def test_draft_batch_cannot_be_claimed_until_published(client, svc):
    await regions()
    token = await bureau(svc)
    draft = await (await client.post(BATCHES, json=batch_body(), headers=auth(token))).json()
    _, session = await trainee(svc)
    await _refused(
        await client.post("/api/v1/claims", json={"batch_id": draft["id"]}, headers=auth(session)), 409, "claim_closed"
    )
    # Once published, the same trainee can claim at once (no stale "not open" answer).
    assert (await client.post(f"{BATCHES}/{draft['id']}/publish", headers=auth(token))).status == 200
    claimed = await client.post("/api/v1/claims", json={"batch_id": draft["id"]}, headers=auth(session))
    assert claimed.status == 201, await claimed.text()


@pytest.mark.parametrize("method", ["GET", "PUT", "POST publish", "POST close"])
async def test_nonexistent_batch_is_404(client, svc, method):
    await regions()
    token = await bureau(svc)
    verb, _, action = method.partition(" ")
    url = f"{BATCHES}/999999" + (f"/{action}" if action else "")
    response = await client.request(verb, url, json=batch_body() if verb == "PUT" else None, headers=auth(token))
    await _refused(response, 404, "not_found")


@pytest.mark.parametrize("batch_id", ["abc", "1.5", "-1", "1e3", "12345678901234567890", "%E5%88%B8"])
async def test_non_numeric_or_huge_batch_id_is_404_json(client, svc, batch_id):
    await regions()
    token = await bureau(svc)
    await _refused(await client.get(f"{BATCHES}/{batch_id}", headers=auth(token)), 404, "not_found")
    await _refused(await client.post(f"{BATCHES}/{batch_id}/publish", headers=auth(token)), 404, "not_found")
