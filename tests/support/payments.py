"""Builders for payment-list tests: approved claims with each kind of payee, through the API."""

from __future__ import annotations

from typing import Any

from tests.support.factories import auth, id_number
from tests.support.institutions import API, claimed_voucher
from tests.support.settlement import class_with_trainees, decide, enrolled, passed, settlement_env, submit

LISTS = f"{API}/admin/payment-lists"
EMPLOYER = "无锡某某机械有限公司"


def digits_only_id_number() -> str:
    """An ID number of 18 digits (no X check character): the one Excel would round if it were a number."""
    while True:
        number = id_number()
        if number[-1] != "X":
            return number


async def approved_env(client, svc) -> dict[str, Any]:
    """Wuxi, 500 yuan vouchers. Institution A's class: a1 approved (paid to A), a2 approved for the
    trainee's own card account, a3 pending. Institution B's class: b1 approved (paid to B), b2
    approved for an employer. `claims` maps a name to its claim id, `codes` to its voucher."""
    env = await settlement_env(client, svc, trainees=2)
    number = digits_only_id_number()
    session, code = await claimed_voucher(client, svc, env["batch"]["id"], number=number)
    await enrolled(client, env, session, code)
    env["trainees"].append({"session": session, "code": code, "id_number": number})
    other = await class_with_trainees(client, svc, env["bureau"], env["batch"]["id"], trainees=2)
    codes = {n: t["code"] for n, t in zip(("a1", "a2", "a3"), env["trainees"], strict=True)}
    codes |= {n: t["code"] for n, t in zip(("b1", "b2"), other["trainees"], strict=True)}
    by_code = {}
    for e, names in ((env, ("a1", "a2", "a3")), (other, ("b1", "b2"))):
        report = await submit(client, e, [passed(codes[n]) for n in names])
        by_code |= {r["voucher_code"]: r["claim_id"] for r in report["rows"]}
    claims = {n: by_code[c] for n, c in codes.items()}
    for name, extra in (
        ("a1", {}),
        ("a2", {"payee": "trainee"}),
        ("b1", {}),
        ("b2", {"payee": "employer", "employer_name": EMPLOYER}),
    ):
        r = await decide(client, env, claims[name], decision="approve", **extra)
        assert r.status == 200, await r.text()
    return env | {"other": other, "claims": claims, "codes": codes}


async def gather(client, token: str, **body: Any) -> Any:
    r = await client.post(LISTS, json={"region": "320200", **body}, headers=auth(token))
    assert r.status == 200, await r.text()
    return (await r.json())["items"]


async def pay(client, token: str, list_id: int, ref: str = "CB20260001") -> Any:
    return await client.post(f"{LISTS}/{list_id}/paid", json={"payment_ref": ref}, headers=auth(token))
