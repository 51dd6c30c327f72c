"""Keep Alipay-bound trainees' vouchers in their Alipay card pack (卡包), through outbox rows.

Why a sync and not hooks in each use case: a pass must follow every change of its voucher -
claimed (from any channel, or by roster import), enrolled, revoked, voided, expired by the
clock - and those happen in use cases owned elsewhere, on the claim hot path among them. One
reconciliation compares vouchers with their passes and writes the missing outbox rows, each
in one transaction with the pass row that records what was asked. The worker runs it every
few seconds; `add_to_card_pack` runs it for one voucher when the trainee asks. Nothing here
calls Alipay, so Alipay being down never blocks a claim; the delivery loop retries the rows.

The same reconciliation keeps the passes' QR keys current: a live pass whose card-pass code was
signed by another key than the ring's signing key gets a row that signs it again, so by the time
an old key is retired every live pass shows a code of the new one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from models import (
    AccountChannel,
    AlipayPass,
    AlipayPassTemplate,
    Batch,
    ChannelAccount,
    OutboxMessage,
    OutboxStatus,
    PassState,
    ValueMode,
    Voucher,
    VoucherStatus,
)
from vouchers.common import errors
from vouchers.common.clock import LOCAL_TZ
from vouchers.common.outbox import outbox_row
from vouchers.qr import codes as qr
from vouchers.qr.keys import QrKeyRing

PASS_TEMPLATE = "alipay_pass_template"
PASS_ADD = "alipay_pass_add"
PASS_UPDATE = "alipay_pass_update"
PASS_RESIGN = "alipay_pass_resign"

_USED = (VoucherStatus.ENROLLED, VoucherStatus.COMPLETED, VoucherStatus.SETTLED)
_CLOSED = (VoucherStatus.EXPIRED, VoucherStatus.VOIDED, VoucherStatus.REVOKED, VoucherStatus.RETURNED)


def desired_state(voucher: Voucher, now: datetime) -> PassState:
    if voucher.status in _CLOSED:
        return PassState.CLOSED
    if voucher.status in _USED:
        return PassState.USED
    return PassState.CLOSED if now >= voucher.valid_until else PassState.ACTIVE


def pass_fields(voucher: Voucher, batch: Batch, channel_id: str, ring: QrKeyRing, pass_number: int) -> dict[str, str]:
    """What the pass shows: batch title, value, validity dates (Beijing time), QR payload.

    The QR payload is the card-pass code `PXQ1.P.<voucher code>.<pass number>.<key id>.<sig>`,
    signed with the key ring the scan call verifies with. A pass is static (Alipay shows what
    was last sent: at the add, and again when a key rotation signs it anew), so it cannot carry
    the rotating voucher code; the card-pass code never goes stale instead, and the scan call
    accepts it for verify and enrol but not for check-in (`qr_static`, see `vouchers.qr.offline`).
    The pass number is the AlipayPass row id: stable for the pass's life and known when the
    instance is sent. It names the pass, not the voucher (the code does that): a pass issued
    again for the same voucher would get a code of its own, so an old one could be told apart
    and refused without touching the voucher.
    """
    if batch.value_mode == ValueMode.FACE_VALUE and batch.face_value_fen is not None:
        value = f"{batch.face_value_fen // 100}.{batch.face_value_fen % 100:02d}元"
    elif batch.value_mode == ValueMode.DEDUCTION:
        value = "抵用券"
    else:
        value = "打卡签到券"
    last_moment = voucher.valid_until - timedelta(seconds=1)  # valid_until is exclusive (24:00)
    return {
        "title": batch.title,
        "value": value,
        "startDate": voucher.claimed_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
        "endDate": last_moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
        "qrPayload": qr.sign_card_pass(ring, voucher.code, pass_number),
        "serialNumber": voucher.code,
        "channelID": channel_id,
    }


async def add_to_card_pack(account: ChannelAccount, code: str, now: datetime) -> AlipayPass:
    """The trainee asks for one of his vouchers in his card pack (from his Alipay session)."""
    if account.channel != AccountChannel.ALIPAY:
        raise errors.AlipayAccountRequired()
    if account.person_id is None:
        raise errors.IdentityRequired()
    voucher = await Voucher.get_or_none(code=code, person_id=account.person_id)
    if voucher is None:
        raise errors.NotFound("培训券不存在")
    if desired_state(voucher, now) is not PassState.ACTIVE:
        raise errors.VoucherStateConflict("只有未使用且在有效期内的培训券可以加入卡包")
    card, _ = await _ensure_pass(voucher, account.id, now)
    return card


async def sync_card_pack(now: datetime, ring: QrKeyRing, limit: int = 200) -> int:
    """Write the outbox rows that bring passes in step with vouchers and live passes in step
    with `ring`'s signing key (the scan call's ring). Returns rows written."""
    written = 0
    for voucher_id, account_id in await _vouchers_without_pass(now, limit):
        voucher = await Voucher.get(id=voucher_id)
        _, created = await _ensure_pass(voucher, account_id, now)
        written += created
    for card in await _passes_out_of_step(now, limit):
        target = desired_state(card.voucher, now)
        async with in_transaction() as conn:
            moved = await AlipayPass.filter(id=card.id, state=card.state).using_db(conn).update(state=target)
            if moved:
                await outbox_row(
                    PASS_UPDATE,
                    now,
                    person_id=card.voucher.person_id,
                    voucher_id=card.voucher_id,
                    payload={"status": target.value.upper()},
                    dedupe_key=f"{PASS_UPDATE}:{card.id}:{target.value}",
                ).save(using_db=conn)
                written += 1
    # After the state moves above, so a pass just used or closed is not signed again.
    written += await _resign_passes(ring, now, limit)
    return written


async def close_passes_of(account_ids: list[int], now: datetime, conn: BaseDBAsyncClient) -> int:
    """Close the live passes of these Alipay accounts, in the caller's transaction: a pass
    already in the card pack gets an update row, one still queued is simply never added."""
    live = AlipayPass.filter(account_id__in=account_ids).exclude(state=PassState.CLOSED).using_db(conn)
    cards = await live.values_list("id", "voucher_id", "voucher__person_id", "added_at")
    for pass_id, voucher_id, person_id, added_at in cards:
        await AlipayPass.filter(id=pass_id).using_db(conn).update(state=PassState.CLOSED)
        if added_at is not None:
            await outbox_row(
                PASS_UPDATE,
                now,
                person_id=person_id,
                voucher_id=voucher_id,
                payload={"status": "CLOSED"},
                dedupe_key=f"{PASS_UPDATE}:{pass_id}:{PassState.CLOSED.value}",
            ).save(using_db=conn)
    return len(cards)


async def _vouchers_without_pass(now: datetime, limit: int) -> list[tuple[int, int]]:
    """(voucher id, Alipay account id) of live claimed vouchers of Alipay-bound people that have
    no pass yet. The latest bound Alipay account of the person receives the pass."""
    bound = ChannelAccount.filter(channel=AccountChannel.ALIPAY, person_id__isnull=False)
    rows = (
        await Voucher.filter(
            status=VoucherStatus.CLAIMED,
            valid_until__gt=now,
            person_id__in=Subquery(bound.values("person_id")),
        )
        .exclude(id__in=Subquery(AlipayPass.all().values("voucher_id")))
        .order_by("id")
        .limit(limit)
        .values_list("id", "person_id")
    )
    if not rows:
        return []
    accounts: dict[int, int] = {}
    for account_id, person_id in (
        await bound.filter(person_id__in=[p for _, p in rows]).order_by("bound_at", "id").values_list("id", "person_id")
    ):
        accounts[person_id] = account_id  # the last one wins
    return [(voucher_id, accounts[person_id]) for voucher_id, person_id in rows if person_id in accounts]


async def _passes_out_of_step(now: datetime, limit: int) -> list[AlipayPass]:
    active_moved = Q(state=PassState.ACTIVE) & (
        ~Q(voucher__status=VoucherStatus.CLAIMED) | Q(voucher__valid_until__lte=now)
    )
    used_closed = Q(state=PassState.USED) & Q(voucher__status__in=list(_CLOSED))
    return await AlipayPass.filter(active_moved | used_closed).order_by("id").limit(limit).prefetch_related("voucher")


def _resign_key(pass_id: int, key_id: str) -> str:
    # With the key: a second rotation is a new row, the same one asked again a duplicate.
    return f"{PASS_RESIGN}:{pass_id}:{key_id}"


async def _resign_passes(ring: QrKeyRing, now: datetime, limit: int) -> int:
    """At most `limit` rows that sign live passes again with the ring's signing key.

    Pages through the candidates because some may have had their row for this key already and
    still show another (given up, or sent by a worker that still had an older ring): skipped
    here by one indexed look-up, they cannot hold back the passes behind them."""
    key_id = ring.signing_key_id
    written, after = 0, 0
    while written < limit:
        page = await _passes_signed_by_other_keys(key_id, after, limit)
        if not page:
            break
        after = page[-1][0]
        asked = set(
            await OutboxMessage.filter(
                dedupe_key__in=[_resign_key(pass_id, key_id) for pass_id, _, _ in page]
            ).values_list("dedupe_key", flat=True)
        )
        for pass_id, voucher_id, person_id in page:
            if written >= limit:
                break
            if _resign_key(pass_id, key_id) in asked:
                continue
            try:
                await outbox_row(
                    PASS_RESIGN,
                    now,
                    person_id=person_id,
                    voucher_id=voucher_id,
                    payload={"key_id": key_id},
                    dedupe_key=_resign_key(pass_id, key_id),
                ).save()
            except IntegrityError:  # a concurrent sync wrote it a moment ago
                continue
            written += 1
    return written


async def _passes_signed_by_other_keys(key_id: str, after: int, limit: int) -> list[tuple[int, int, int]]:
    """(pass id, voucher id, person id) of live passes in Alipay whose code another key signed
    (or an unknown one: passes added before keys were recorded). A pass whose add is still
    queued is left to the add, which signs with the current key; one with a re-sign row still
    queued is left to that row, which signs with the current key whatever key it was written for."""
    queued = OutboxMessage.filter(kind=PASS_RESIGN, status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING])
    return (
        await AlipayPass.filter(state=PassState.ACTIVE, added_at__isnull=False, id__gt=after)
        .filter(Q(key_id__isnull=True) | ~Q(key_id=key_id))
        .exclude(voucher_id__in=Subquery(queued.values("voucher_id")))
        .order_by("id")
        .limit(limit)
        .values_list("id", "voucher_id", "voucher__person_id")
    )


async def _ensure_pass(voucher: Voucher, account_id: int, now: datetime) -> tuple[AlipayPass, bool]:
    """The pass row with its outbox row, at most once; (pass, created now)."""
    existing = await AlipayPass.get_or_none(voucher_id=voucher.id)
    if existing is not None:
        return existing, False
    await _ensure_template(voucher.batch_id, now)
    try:
        async with in_transaction() as conn:
            card = await AlipayPass.create(
                voucher_id=voucher.id, account_id=account_id, serial_number=voucher.code, using_db=conn
            )
            await outbox_row(
                PASS_ADD, now, person_id=voucher.person_id, voucher_id=voucher.id, dedupe_key=f"{PASS_ADD}:{voucher.id}"
            ).save(using_db=conn)
    except IntegrityError:  # a concurrent sync or request made it a moment ago
        return await AlipayPass.get(voucher_id=voucher.id), False
    return card, True


async def _ensure_template(batch_id: int, now: datetime) -> None:
    """A batch's template is created on first need, once, through its own outbox row."""
    if await AlipayPassTemplate.exists(batch_id=batch_id):
        return
    try:
        async with in_transaction() as conn:
            await AlipayPassTemplate.create(batch_id=batch_id, using_db=conn)
            await outbox_row(
                PASS_TEMPLATE, now, payload={"batch_id": batch_id}, dedupe_key=f"{PASS_TEMPLATE}:{batch_id}"
            ).save(using_db=conn)
    except IntegrityError:
        pass  # created concurrently, with its row
