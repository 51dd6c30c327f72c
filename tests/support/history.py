"""Voucher history written by real actions (claim, enrol, revoke, the expiry sweep), and the
direct database edits an insider could make to it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise import connections

from models import Voucher, VoucherHistory, VoucherStatus
from tests.support.factories import auth, bureau, published_batch, regions, trainee
from tests.support.institutions import (
    API,
    claimed_voucher,
    post_scan,
    scan_body,
    setup_institution,
    voucher_payload,
)
from vouchers.batches.expire import expire_vouchers
from vouchers.claiming.claim import new_voucher_code
from vouchers.common.clock import utcnow
from vouchers.common.policy import Policy


async def history_scenario(client, svc) -> dict[str, Any]:
    """Three vouchers of a Wuxi batch: `enrolled` claimed, enrolled and then revoked; `revoked`
    claimed and revoked; `expired` swept past its validity. Returns their codes and the tokens."""
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    env = await setup_institution(client, token)
    session, enrolled = await claimed_voucher(client, svc, batch["id"], name="王小明")
    payload = await voucher_payload(client, session, enrolled)
    answer = await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    assert answer["result"] == "ok", answer
    await revoke(client, token, enrolled, "冒名报名，经核实作废")
    _, revoked = await claimed_voucher(client, svc, batch["id"])
    await revoke(client, token, revoked, "重复领取")
    account, _ = await trainee(svc)
    expired = await Voucher.create(
        code=new_voucher_code(),
        batch_id=batch["id"],
        person_id=account.person_id,
        status=VoucherStatus.CLAIMED,
        voucher_type="职业培训券",
        claimed_at=utcnow() - timedelta(days=40),
        valid_until=utcnow() - timedelta(days=1),
    )
    assert (await expire_vouchers(utcnow(), Policy()))["expired"] == 1
    return {"bureau": token, "batch": batch, "enrolled": enrolled, "revoked": revoked, "expired": expired.code}


async def revoke(client, token: str, code: str, reason: str) -> None:
    r = await client.post(f"{API}/admin/vouchers/{code}/revoke", json={"reason": reason}, headers=auth(token))
    assert r.status == 200, await r.text()


async def rows_of(code: str) -> list[VoucherHistory]:
    voucher = await Voucher.get(code=code)
    return await VoucherHistory.filter(voucher_id=voucher.id).order_by("id")


async def execute(sql: str) -> None:
    """A statement straight to the database, as a DB admin would type it (values inline)."""
    await connections.get("default").execute_script(sql)


RESEAL = (
    "pxq_history_hash(prev_hash, id, voucher_id, at, action, actor_kind, actor_id, from_status, to_status, "
    "automatic, detail)"
)


async def reseal_chain(code: str) -> None:
    """What an insider who knows the scheme does after an edit: recompute every seal of the
    voucher's chain, with the database's own function, so each row and link checks out again."""
    voucher = await Voucher.get(code=code)
    previous = ""
    for row in await VoucherHistory.filter(voucher_id=voucher.id).order_by("id"):
        await execute(f"UPDATE voucher_history SET prev_hash = '{previous}' WHERE id = {row.id}")
        await execute(f"UPDATE voucher_history SET row_hash = {RESEAL} WHERE id = {row.id}")
        previous = (await VoucherHistory.get(id=row.id)).row_hash
