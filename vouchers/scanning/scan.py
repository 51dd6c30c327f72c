"""The one scan call (扫码): verify (验券), enrol (用券) or check in (签到) a voucher QR.

Every scan is recorded, failed ones too, with who made it and on which device. The answer is
`ok` or `error` with one reason code of a closed list and a masked summary. A client nonce makes
the call idempotent: the same nonce again returns the first answer and writes nothing, also when
both arrive at once (unique(staff, nonce) decides, and the loser reads the winner's answer). The
same nonce with another request (payload, action, class, lesson) is refused as `nonce_reused`:
answering it with the first request's `ok` told a scanner a code was valid that was never read.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import orjson
from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import ScanRecord
from models.database import is_postgres
from models.sql.scan import insert_first_checkin
from models.sql.scan_rows import ReadChanged, ScannedVoucher, Scanner, ScanRow
from vouchers.claiming.wallet import effective_status
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.common.tokens import TokenClaims
from vouchers.institutions.notices import queue_anomaly
from vouchers.institutions.spec import ScanAction, ScanSpec
from vouchers.institutions.staff_auth import staff_for_claims
from vouchers.qr import codes as qr
from vouchers.scanning.checkin import ScanCheckin, checkin_by_scan
from vouchers.scanning.checks import check_usable, read_scanned
from vouchers.scanning.enrol import enrol
from vouchers.scanning.outcome import Const, Outcome, Write
from vouchers.scanning.summary import voucher_summary
from vouchers.services import Services

ERROR = "error"

# Every reason a scan answer can carry. `ok` answers have no reason except already_checked_in.
REASONS = (
    "qr_invalid",
    "qr_stale",
    "qr_static",
    "voucher_not_found",
    "revoked",
    "expired",
    "settled",
    "voided",
    "returned",
    "completed",
    "wrong_region",
    "wrong_project",
    "wrong_occupation",
    "class_required",
    "class_not_found",
    "class_ended",
    "class_full",
    "already_enrolled",
    "already_in_class",
    "yearly_limit",
    "occupation_limit",
    "not_enrolled",
    "no_lesson_now",
    "already_checked_in",
)


@dataclass(slots=True)
class ScanReply:
    """A scan's answer: the JSON body sent back (the ScanAnswer schema) and, for counting, its
    result and reason."""

    body: bytes
    result: str
    reason: str | None


async def scan(svc: Services, claims: TokenClaims, spec: ScanSpec) -> ScanReply:
    """`claims` are the scanning staff member's verified token: the member's row is read in the
    statement that reads the voucher, or alone when the code is not genuine."""
    # No look-up of the nonce first: a repeat is rare, and the scan record's insert finds it
    # (unique(staff, nonce)) in the same round trip that records a new scan.
    now = utcnow()
    # A check-in needs the rotating code: the static card-pass code is refused (qr_static).
    checkin = spec.action == ScanAction.CHECKIN
    try:
        subject = qr.read(svc.qr, spec.payload, qr.VOUCHER, static_ok=not checkin)
    except errors.ScanRefused as exc:
        return await _refused(svc, await staff_for_claims(svc, claims), spec, None, now, exc)
    verify = spec.action == ScanAction.VERIFY
    try:
        return await _scan_read(svc, claims, spec, subject.ident, now, reuse=verify)
    except ReadChanged:
        # A verify answered on an earlier verify's read, which has changed since: nothing was
        # written. Answer it again on a fresh read.
        svc.recent_reads.forget(claims.subject, subject.ident)
        return await _scan_read(svc, claims, spec, subject.ident, now, reuse=False)


async def _scan_read(
    svc: Services, claims: TokenClaims, spec: ScanSpec, code: str, now: datetime, *, reuse: bool
) -> ScanReply:
    class_id = spec.class_id if spec.action == ScanAction.CHECKIN else None
    staff, read = await read_scanned(svc, claims, code, class_id, spec.lesson_id, reuse=reuse)
    voucher = read.voucher if read is not None else None
    # A reused read is written with the row versions it saw: the insert checks they are current.
    seen = read.voucher.versions if read is not None and read.reused else None
    try:
        if read is None or voucher is None:  # signed by us but gone: only after restoring a backup
            raise errors.VoucherNotFound()
        if spec.action == ScanAction.VERIFY:
            check_usable(voucher, staff.institution, now)
            return await _record(svc, staff, spec, voucher, now, Const(VERIFIED), seen=seen)
        if spec.action == ScanAction.ENROL:
            return await _record(svc, staff, spec, voucher, now, await enrol(svc, staff, spec, voucher, now))
        return await _record(svc, staff, spec, voucher, now, checkin_by_scan(staff, spec, read, now))
    except errors.ScanRefused as exc:
        return await _refused(svc, staff, spec, voucher, now, exc, seen)


async def _refused(
    svc: Services,
    staff: Scanner,
    spec: ScanSpec,
    voucher: ScannedVoucher | None,
    now: datetime,
    exc: errors.ScanRefused,
    seen: str | None = None,
) -> ScanReply:
    outcome = Outcome(ERROR, exc.code, exc.text, spec.class_id, spec.lesson_id)
    return await _record(svc, staff, spec, voucher, now, Const(outcome), anomaly=_anomaly(exc), seen=seen)


def _anomaly(exc: errors.ScanRefused) -> dict[str, Any] | None:
    """Stale and forged codes are told to the institution: someone may be passing codes on. A
    stale code names its voucher even when the scan did not read it."""
    if exc.code not in ("qr_stale", "qr_invalid"):
        return None
    return {"anomaly": exc.code} | ({"voucher_code": exc.voucher_code} if exc.voucher_code else {})


async def _record(
    svc: Services,
    staff: Scanner,
    spec: ScanSpec,
    voucher: ScannedVoucher | None,
    now: datetime,
    write: Write,
    anomaly: dict[str, Any] | None = None,
    seen: str | None = None,
) -> ScanReply:
    """Run the action's writes and the scan record in one transaction. A concurrent scan with
    the same nonce makes the record's insert fail: that scan's answer is the answer. A concurrent
    duplicate of the action's own row (the same check-in under another nonce) is retried once,
    and then found. With `seen` (a reused read's row versions) the record is written only if they
    are current, or ReadChanged is raised."""
    if isinstance(write, Const) and anomaly is None:
        # Nothing to write but the record: group-committed with the records of other scans.
        outcome = write.outcome
        answer = _answer(svc, spec, voucher, now, outcome)
        scan_id = await svc.scan_writer.submit(_row(staff, spec, voucher, now, outcome, answer, seen))
        if scan_id is not None:
            return _answered(answer, outcome, scan_id, now)
        return await _replay_or(svc, staff, spec, voucher, now, write, anomaly)
    if isinstance(write, ScanCheckin) and write.first and is_postgres(conn := connections.get("default")):
        # A first check-in: the attendance and the record in one statement.
        outcome = write.outcome()
        answer = _answer(svc, spec, voucher, now, outcome)
        try:
            scan_id = await insert_first_checkin(conn, _row(staff, spec, voucher, now, outcome, answer), now)
        except IntegrityError:
            return await _replay_or(svc, staff, spec, voucher, now, write, anomaly)
        if scan_id is not None:
            return _answered(answer, outcome, scan_id, now)
        # Checked in meanwhile under another nonce: the transaction below finds that row.
    for attempt in (1, 2):
        try:
            async with in_transaction() as conn:
                return await _write(conn, svc, staff, spec, voucher, now, write, anomaly)
        except IntegrityError:
            first = await ScanRecord.get_or_none(staff_id=staff.id, nonce=spec.nonce)
            if first is not None:
                return _replayed(first, spec)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _replay_or(
    svc: Services,
    staff: Scanner,
    spec: ScanSpec,
    voucher: ScannedVoucher | None,
    now: datetime,
    write: Write,
    anomaly: dict[str, Any] | None,
) -> ScanReply:
    """The first answer of this nonce; if that scan's transaction rolled back after all, this
    scan is written on its own."""
    first = await ScanRecord.get_or_none(staff_id=staff.id, nonce=spec.nonce)
    if first is not None:
        return _replayed(first, spec)
    async with in_transaction() as conn:
        return await _write(conn, svc, staff, spec, voucher, now, write, anomaly)


# What every valid verify answers. A verify's answer is the same for every scan of a read with the
# same effective status, so the scan of a reused read reuses the answer's JSON too.
VERIFIED = Outcome(message="培训券有效")


def _answer(svc: Services, spec: ScanSpec, voucher: ScannedVoucher | None, now: datetime, outcome: Outcome) -> bytes:
    """The answer's JSON without the scan's id and time (`_answered` adds them): what the record
    keeps and a replay sends again."""
    if outcome is not VERIFIED or voucher is None:
        return _answer_json(svc, spec, voucher, now, outcome)
    # Built once per read, effective status and batch (which the batch cache may replace).
    key = (effective_status(voucher, now), voucher.batch)
    built = voucher.verified
    if built is None or built[0][0] is not key[0] or built[0][1] is not key[1]:
        built = voucher.verified = (key, _answer_json(svc, spec, voucher, now, outcome))
    return built[1]


def _answer_json(
    svc: Services, spec: ScanSpec, voucher: ScannedVoucher | None, now: datetime, outcome: Outcome
) -> bytes:
    return orjson.dumps(
        {
            "result": outcome.result,
            "reason": outcome.reason,
            "message": outcome.message,
            "action": str(spec.action),
            "class_id": outcome.class_id,
            "lesson_id": outcome.lesson_id,
            "voucher": voucher_summary(voucher, svc.masked_holders, now) if voucher is not None else None,
            **outcome.extra,
        }
    )


def _row(
    staff: Scanner,
    spec: ScanSpec,
    voucher: ScannedVoucher | None,
    now: datetime,
    outcome: Outcome,
    answer: bytes,
    seen: str | None = None,
) -> ScanRow:
    return ScanRow(
        institution_id=staff.institution_id,
        staff_id=staff.id,
        nonce=spec.nonce,
        device=spec.device,
        action=str(spec.action),
        voucher_id=voucher.id if voucher is not None else None,
        class_id=outcome.class_id,
        lesson_id=outcome.lesson_id,
        result=outcome.result,
        reason=outcome.reason,
        answer=answer,
        scanned_at=spec.scanned_at,
        created_at=now,
        seen=seen,
        token_version=staff.token_version if seen is not None else None,
        request_digest=request_digest(spec),
    )


def request_digest(spec: ScanSpec) -> str:
    """What a nonce stands for: a replay of it must be the same request. Kept beside the nonce,
    so telling a retry from a reuse costs no extra read on the hot path."""
    request = f"{spec.payload}\x00{spec.action}\x00{spec.class_id}\x00{spec.lesson_id}".encode()
    return hashlib.blake2b(request, digest_size=16).hexdigest()


def _answered(answer: bytes, outcome: Outcome, scan_id: int, now: datetime) -> ScanReply:
    # The answer's JSON object with three members more: spliced, as serializing the answer again
    # for every reply was a visible share of a verify.
    tail = b',"scan_id":%d,"replayed":false,"at":"%s"}' % (scan_id, now.isoformat().encode())
    return ScanReply(answer[:-1] + tail, outcome.result, outcome.reason)


def _replayed(record: ScanRecord, spec: ScanSpec) -> ScanReply:
    # Records from before the digest was kept (None) are replayed as they always were.
    if record.request_digest is not None and record.request_digest != request_digest(spec):
        raise errors.NonceReused()
    return ScanReply(orjson.dumps(replay(record)), record.result, record.reason)


async def _write(
    conn: Any,
    svc: Services,
    staff: Scanner,
    spec: ScanSpec,
    voucher: ScannedVoucher | None,
    now: datetime,
    write: Write,
    anomaly: dict[str, Any] | None,
) -> ScanReply:
    outcome = await write(conn)
    answer = _answer(svc, spec, voucher, now, outcome)
    row = _row(staff, spec, voucher, now, outcome, answer)
    columns = {k: v for k, v in asdict(row).items() if k not in _NOT_COLUMNS}
    record = await ScanRecord.create(**columns | {"answer": orjson.loads(answer)}, using_db=conn)
    for link in outcome.links:
        link.scan_id = record.id
        await link.save(using_db=conn, update_fields=["scan_id"])
    if anomaly:
        detail: dict[str, Any] = {"staff_id": staff.id, "device": spec.device, **anomaly}
        if voucher is not None:
            detail["voucher_code"] = voucher.code
        await queue_anomaly(conn, staff.institution_id, detail.pop("anomaly"), now, detail)
    return _answered(answer, outcome, record.id, now)


_NOT_COLUMNS = ("created_at", "seen", "token_version")  # set by the ORM, or checks on the insert


def replay(record: ScanRecord) -> dict[str, Any]:
    return {**record.answer, "scan_id": record.id, "replayed": True, "at": record.created_at.isoformat()}
