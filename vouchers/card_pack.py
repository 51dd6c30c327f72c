"""Keep Alipay-bound trainees' vouchers in their Alipay card pack (卡包), through outbox rows.

Why a sync and not hooks in each use case: a pass must follow every change of its voucher -
claimed (from any channel, or by roster import), enrolled, revoked, voided, expired by the
clock - and those happen in use cases owned elsewhere, on the claim hot path among them. One
reconciliation compares vouchers with their passes and writes the missing outbox rows, each
in one transaction with the pass row that records what was asked. The worker runs it every
few seconds; `add_to_card_pack` runs it for one voucher when the trainee asks. Nothing here
calls Alipay, so Alipay being down never blocks a claim; the delivery loop retries the rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from models import (
    AccountChannel,
    AlipayPass,
    AlipayPassTemplate,
    Batch,
    ChannelAccount,
    PassState,
    ValueMode,
    Voucher,
    VoucherStatus,
)
from vouchers import errors, qr
from vouchers.clock import LOCAL_TZ
from vouchers.outbox import outbox_row
from vouchers.qr_keys import QrKeyRing

PASS_TEMPLATE = "alipay_pass_template"
PASS_ADD = "alipay_pass_add"
PASS_UPDATE = "alipay_pass_update"

_USED = (VoucherStatus.ENROLLED, VoucherStatus.COMPLETED, VoucherStatus.SETTLED)
_CLOSED = (VoucherStatus.EXPIRED, VoucherStatus.VOIDED, VoucherStatus.REVOKED)


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
    was sent when it was added), so it cannot carry the rotating voucher code; the card-pass
    code never goes stale instead, and the scan call accepts it for verify and enrol but not for
    check-in (`qr_static`, see `vouchers.qr_offline`). The pass number is the AlipayPass row id:
    stable for the pass's life and known when the instance is sent. It names the pass, not the
    voucher (the code does that): a pass issued again for the same voucher would get a code of
    its own, so an old one could be told apart and refused without touching the voucher.
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


async def sync_card_pack(now: datetime, limit: int = 200) -> int:
    """Write the outbox rows that bring passes in step with vouchers. Returns rows written."""
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
    return written


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
