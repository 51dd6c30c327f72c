"""The registration scan confirms a sign-up: when a voucher with a pending sign-up is enrolled,
in the enrolment's transaction (vouchers/scanning/enrol.py, which holds the voucher's row), the
sign-up for that class becomes confirmed and tells the trainee (`signup_confirmed`, in place of
the plain enrolment notice: one message, one of the trainee's subscribe consents); a sign-up for
another class lapses. Annulling that enrolment puts the confirmed sign-up back to pending."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import Signup, SignupStatus, Voucher
from vouchers.catalogue.lapse import ENROLLED_ELSEWHERE, lapse
from vouchers.common.history import Actor
from vouchers.common.outbox import outbox_row


async def signups_on_enrolment(
    conn: Any, voucher: Voucher, class_id: int, class_name: str, enrolment_id: int, actor: Actor, now: datetime
) -> Signup | None:
    """-> the sign-up the enrolment confirmed, if any. The voucher has at most one pending."""
    confirmed = None
    for signup in await Signup.filter(voucher_id=voucher.id, status=SignupStatus.PENDING).using_db(conn):
        if signup.training_class_id != class_id:
            await lapse(conn, signup, voucher, ENROLLED_ELSEWHERE, now)
            continue
        signup.status = SignupStatus.CONFIRMED
        signup.decided_at, signup.decided_by = now, f"{actor.kind}:{actor.id}"
        signup.enrolment_id = enrolment_id
        await signup.save(using_db=conn, update_fields=["status", "decided_at", "decided_by", "enrolment_id"])
        await outbox_row(
            "signup_confirmed",
            now,
            person_id=voucher.person_id,
            voucher_id=voucher.id,
            payload={"signup_id": signup.id, "class_name": class_name},
            dedupe_key=f"signup_confirmed:{signup.id}:{enrolment_id}",
        ).save(using_db=conn)
        confirmed = signup
    return confirmed


async def reopen_on_annulment(conn: Any, enrolment_id: int) -> None:
    """The enrolment that confirmed a sign-up was annulled: the sign-up waits again."""
    await (
        Signup.filter(enrolment_id=enrolment_id, status=SignupStatus.CONFIRMED)
        .using_db(conn)
        .update(status=SignupStatus.PENDING, decided_at=None, decided_by=None, enrolment_id=None)
    )
