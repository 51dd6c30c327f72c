"""Places a class has left. A sign-up reserves nothing, unless the class holds places for
sign-ups: then each pending sign-up takes a place, for sign-ups and walk-in enrolments alike.
Called under the class's row lock by sign-up and by the enrolment scan, so the count holds when
several arrive at once."""

from __future__ import annotations

from typing import Any

from models import Signup, SignupStatus, TrainingClass


async def held_places(training_class: TrainingClass, conn: Any = None, *, except_voucher_id: int | None = None) -> int:
    """Places the class's pending sign-ups hold (0 unless it holds places for them). A voucher
    enrolled on its own sign-up takes the place its sign-up held: `except_voucher_id`."""
    if not training_class.hold_places_for_signups:
        return 0
    pending = Signup.filter(training_class_id=training_class.id, status=SignupStatus.PENDING)
    if except_voucher_id is not None:
        pending = pending.exclude(voucher_id=except_voucher_id)
    return await pending.using_db(conn).count()


async def places_left(training_class: TrainingClass, conn: Any = None, *, except_voucher_id: int | None = None) -> int:
    held = await held_places(training_class, conn, except_voucher_id=except_voucher_id)
    return max(training_class.capacity - training_class.enrolled - held, 0)
