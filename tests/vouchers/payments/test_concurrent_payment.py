"""Payment lists under concurrent requests (real HTTP requests at once; on PostgreSQL each is its
own connection and transaction): a list is paid once, a claim lands on one list."""

from __future__ import annotations

import asyncio

from models import PaymentList, PaymentListLine, VoucherHistory
from tests.support.factories import auth, bureau
from tests.support.payments import LISTS, approved_env, gather, pay


async def test_clerks_marking_one_list_paid_at_once_pay_it_once(client, svc):
    env = await approved_env(client, svc)
    [listed, *_] = await gather(client, env["bureau"])
    clerks = [env["bureau"]] + [await bureau(svc, f"wuxi-{n}", "320200") for n in range(5)]

    answers = await asyncio.gather(*(pay(client, token, listed["id"], f"CB-{n}") for n, token in enumerate(clerks)))
    statuses = sorted(a.status for a in answers)
    assert statuses == [200] + [409] * 5, [await a.text() for a in answers]
    for a in answers:
        if a.status == 409:
            assert (await a.json())["error"]["code"] == "payment_list_paid"
    winner = next(a for a in answers if a.status == 200)
    ref = (await winner.json())["payment_ref"]
    assert (await PaymentList.get(id=listed["id"])).payment_ref == ref
    claim_ids = await PaymentListLine.filter(payment_list_id=listed["id"]).values_list("claim_id", flat=True)
    written = await VoucherHistory.filter(action="written_off").values_list("detail", flat=True)
    assert len(written) == len(claim_ids) and {d["payment_ref"] for d in written} == {ref}


async def test_gathering_twice_at_once_puts_each_claim_on_one_list(client, svc):
    env = await approved_env(client, svc)
    other = await bureau(svc, "wuxi-2", "320200")
    answers = await asyncio.gather(
        *(client.post(LISTS, json={"region": "320200"}, headers=auth(t)) for t in (env["bureau"], other) * 2)
    )
    assert all(a.status in (200, 409) for a in answers), [await a.text() for a in answers]
    live = await PaymentListLine.filter(live=True).values_list("claim_id", flat=True)
    assert sorted(live) == sorted(env["claims"][n] for n in ("a1", "a2", "b1", "b2"))
    numbers = await PaymentList.all().values_list("number", flat=True)
    assert len(numbers) == len(set(numbers)) == 4
