"""Builders for evaluation tests: trainees whose class is over, and their evaluations, through the API."""

from __future__ import annotations

from typing import Any

from tests.support.factories import auth, id_number, trainee
from tests.support.institutions import claimed_voucher, institution, lesson, scanner, site, training_class
from tests.support.settlement import class_over, enrolled, settlement_env

API = "/api/v1"


def evaluation_body(code: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "voucher_code": code,
        "teaching": 5,
        "organisation": 4,
        "usefulness": 5,
        "tags": ["老师认真", "内容实用"],
        "comment": "老师讲得很细，实操机会多",
    }
    body.update(overrides)
    return body


async def evaluate(client, session: str, code: str, status: int = 201, **overrides: Any) -> dict[str, Any]:
    r = await client.post(f"{API}/evaluations", json=evaluation_body(code, **overrides), headers=auth(session))
    assert r.status == status, await r.text()
    return await r.json()


async def class_ended_env(client, svc, trainees: int = 1) -> dict[str, Any]:
    """`settlement_env` (an institution, its class, `trainees` enrolled and checked in) with the
    class over: its last lesson has ended, no results filed yet."""
    env = await settlement_env(client, svc, trainees=trainees)
    await class_over(env["class"]["id"])
    return env


async def ended_class(
    client, svc, bureau_token: str, batch_id: int, trainees: int, region: str = "320200", name: str = "电工培训班"
) -> dict[str, Any]:
    """An institution of `region` with a class named `name` that is over, and `trainees` trainees
    holding a voucher of `batch_id` who were enrolled and checked in there (`settlement_env`'s keys)."""
    inst, commissioner = await institution(client, bureau_token, region=region)
    _, scanner_token = await scanner(client, commissioner, f"s{inst['code']}")
    place = await site(client, commissioner)
    klass = await training_class(client, commissioner, [place["id"]], name=name)
    await lesson(client, commissioner, klass["id"])
    env: dict[str, Any] = {
        "institution": inst,
        "commissioner": commissioner,
        "scanner": scanner_token,
        "class": klass,
        "trainees": [],
    }
    for _ in range(trainees):
        number = id_number()
        session, code = await claimed_voucher(client, svc, batch_id, number=number)
        await enrolled(client, env, session, code)
        env["trainees"].append({"session": session, "code": code, "id_number": number})
    await class_over(klass["id"])
    return env


async def evaluation_targets(client, svc) -> dict[tuple[str, str], tuple[dict[str, str], Any]]:
    """The evaluation endpoints that take a body, with a trainee's credentials and a valid body
    (for tests/miniapp_api/test_http_errors.py)."""
    _, session = await trainee(svc)
    body = evaluation_body("AAAAAAAAAAAAAAAA")
    return {
        ("POST", f"{API}/evaluations"): (auth(session), body),
        ("PUT", f"{API}/evaluations/1"): (auth(session), {k: v for k, v in body.items() if k != "voucher_code"}),
    }
