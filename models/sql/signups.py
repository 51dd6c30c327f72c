"""Places a class has left, as SQL the catalogue filters and pages on: its capacity less its
enrolments and, where the class holds places for sign-ups, its pending sign-ups.
`vouchers.catalogue.places` counts the same under the class's row lock for sign-up and enrolment."""

from __future__ import annotations

from tortoise.expressions import RawSQL

PENDING_SIGNUPS = (
    "(SELECT COUNT(*) FROM signup s WHERE s.training_class_id = training_class.id AND s.status = 'pending')"
)


def places_left() -> RawSQL:
    """For a query over `training_class` (the table keeps its name in Tortoise's queries)."""
    return RawSQL(
        "(training_class.capacity - training_class.enrolled"
        f" - CASE WHEN training_class.hold_places_for_signups THEN {PENDING_SIGNUPS} ELSE 0 END)"
    )
