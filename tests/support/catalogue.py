"""Builders for the catalogue and sign-up tests: classes open for sign-up, a trainee with a
voucher, sign-ups through the API; and the body endpoints for tests/miniapp_api/test_http_errors.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.institutions import API, claimed_voucher, institution, scanner, site, training_class
from vouchers.common.clock import LOCAL_TZ


def starts_in(days: int, length: int = 30) -> dict[str, str]:
    # The classes' dates are Beijing's: between 16:00 and 24:00 UTC the machine's date is a day behind.
    start = datetime.now(LOCAL_TZ).date() + timedelta(days=days)
    return {"start_date": start.isoformat(), "end_date": (start + timedelta(days=length)).isoformat()}


async def open_class(client, commissioner: str, site_ids: list[int], days: int = 3, **overrides: Any) -> dict:
    """A class whose first day is `days` from today (open for sign-up while that is 0 or more)."""
    return await training_class(client, commissioner, site_ids, **(starts_in(days) | overrides))


async def catalogue_env(client, svc, **batch: Any) -> dict[str, Any]:
    """A Wuxi 电工 voucher of a trainee, and a Wuxi institution with a site and an open 电工 class."""
    await regions()
    token = await bureau(svc)
    batch_row = await published_batch(client, token, **batch)
    inst, commissioner = await institution(client, token)
    _, desk = await scanner(client, commissioner, f"s{inst['code']}")
    s = await site(client, commissioner)
    c = await open_class(client, commissioner, [s["id"]])
    session, code = await claimed_voucher(client, svc, batch_row["id"])
    return {
        "bureau": token,
        "batch": batch_row,
        "institution": inst,
        "commissioner": commissioner,
        "scanner": desk,
        "site": s,
        "class": c,
        "session": session,
        "code": code,
    }


async def catalogue(client, session: str, query: str = "") -> dict[str, Any]:
    r = await client.get(f"{API}/catalogue/classes{'?' + query if query else ''}", headers=auth(session))
    assert r.status == 200, await r.text()
    return await r.json()


async def post_signup(client, session: str, class_id: int, code: str) -> Any:
    return await client.post(f"{API}/signups", json={"class_id": class_id, "voucher_code": code}, headers=auth(session))


async def signed_up(client, session: str, class_id: int, code: str) -> dict[str, Any]:
    r = await post_signup(client, session, class_id, code)
    assert r.status == 201, await r.text()
    return await r.json()


async def my_signups(client, session: str) -> list[dict[str, Any]]:
    r = await client.get(f"{API}/signups", headers=auth(session))
    assert r.status == 200, await r.text()
    return (await r.json())["items"]


async def catalogue_targets(client, svc, token: str) -> dict[tuple[str, str], tuple[dict[str, str], Any]]:
    """(method, path) -> (headers, a valid body) of the catalogue's body endpoints."""
    batch = await published_batch(client, token, title="报名用券")
    _inst, commissioner = await institution(client, token)
    s = await site(client, commissioner)
    c = await open_class(client, commissioner, [s["id"]])
    session, code = await claimed_voucher(client, svc, batch["id"])
    signup = await signed_up(client, session, c["id"], code)
    return {
        ("POST", f"{API}/signups"): (auth(session), {"class_id": c["id"], "voucher_code": code}),
        ("POST", f"{API}/institution/signups/{signup['id']}/decline"): (
            auth(commissioner),
            {"reason": "本期名额已满，请报名下一期"},
        ),
    }
