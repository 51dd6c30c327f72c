"""Edges found in review: past validity, absurd dates, Redis down around batch changes,
over-long roster fields, headers that are not ASCII, an unreadable secret file."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

from models import Batch, BatchStatus, Voucher
from peixunquan.redis_client import connect_redis
from tests.support.factories import auth, batch_body, bureau, id_number, published_batch, regions, trainee
from vouchers.common.clock import local_date, utcnow


async def test_a_batch_whose_fixed_validity_is_over_sells_nothing(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(
        client,
        token,
        validity_mode="fixed_date",
        valid_days=None,
        valid_until_date=date(local_date(utcnow()).year + 1, 11, 30).isoformat(),
    )
    await Batch.filter(id=batch["id"]).update(valid_until_date=date(2021, 11, 30))
    svc.batches.forget(batch["id"])
    _, session = await trainee(svc)
    response = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "claim_closed"
    assert await Voucher.all().count() == 0


async def test_publishing_a_batch_with_a_past_end_date_is_refused(client, svc):
    await regions()
    token = await bureau(svc)
    body = batch_body(validity_mode="fixed_date", valid_days=None, valid_until_date="2021-11-30")
    created = await (await client.post("/api/v1/admin/batches", json=body, headers=auth(token))).json()
    response = await client.post(f"/api/v1/admin/batches/{created['id']}/publish", headers=auth(token))
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "batch_state_conflict"


async def test_absurd_dates_are_422_not_500(client, svc):
    await regions()
    token = await bureau(svc)
    for overrides in (
        {"validity_mode": "fixed_date", "valid_days": None, "valid_until_date": "9999-12-31"},
        {"claim_start": "0001-01-01T00:00:00+08:00"},
        {"claim_end": "9999-12-31T23:59:59-08:00"},
    ):
        response = await client.post("/api/v1/admin/batches", json=batch_body(**overrides), headers=auth(token))
        assert response.status == 422, overrides
        assert (await response.json())["error"]["code"] == "invalid_input"


async def test_close_and_publish_with_redis_down_still_answer_4xx_or_2xx(client, svc):
    await regions()
    token = await bureau(svc)
    open_batch = await published_batch(client, token)
    draft = await (await client.post("/api/v1/admin/batches", json=batch_body(), headers=auth(token))).json()
    working = svc.redis
    svc.redis = connect_redis("redis://127.0.0.1:1/0")
    try:
        closed = await client.post(f"/api/v1/admin/batches/{open_batch['id']}/close", headers=auth(token))
        published = await client.post(f"/api/v1/admin/batches/{draft['id']}/publish", headers=auth(token))
    finally:
        await svc.redis.aclose()
        svc.redis = working
    assert closed.status == 200 and (await closed.json())["status"] == "closed"
    assert published.status == 200 and (await published.json())["status"] == "published"
    # Once Redis is back the published batch's gate is built on the first claim.
    _, session = await trainee(svc)
    claim = await client.post("/api/v1/claims", json={"batch_id": draft["id"]}, headers=auth(session))
    assert claim.status == 201
    assert (await Batch.get(id=open_batch["id"])).status == BatchStatus.CLOSED


async def test_over_long_roster_class_is_a_row_problem(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token, distribution="targeted")
    csv = f"name,id_number,class\n张三,{id_number()},{'班' * 101}\n李四,{id_number()},电工一班\n"
    response = await client.post(
        f"/api/v1/admin/batches/{batch['id']}/roster",
        data=csv.encode(),
        headers={**auth(token), "Content-Type": "text/csv"},
    )
    report = await response.json()
    assert response.status == 200, report
    assert report["created"] == 1
    assert [(p["line"], p["code"]) for p in report["problems"]] == [(1, "field_too_long")]


async def test_non_ascii_bearer_token_is_401(client, svc):
    response = await client.get("/api/v1/vouchers", headers={"Authorization": "Bearer \u00ff\u4e2d.x"})
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "unauthenticated"


def test_unreadable_secret_file_is_one_line_and_exit_2(tmp_path):
    env = {**os.environ, "PXQ_SECURITY_SECRET_KEY_FILE": str(tmp_path), "PXQ_DATABASE_URL": f"sqlite://{tmp_path}/x"}
    result = subprocess.run(
        [sys.executable, "-m", "peixunquan.cli", "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "security.secret_key_file" in result.stderr and "Traceback" not in result.stderr


async def test_full_width_digits_are_not_a_region_code(client, svc):
    await regions()
    token = await bureau(svc)
    response = await client.post("/api/v1/admin/batches", json=batch_body(region="３２０２００"), headers=auth(token))
    assert response.status == 422
    assert (await response.json())["error"]["code"] == "invalid_input"
