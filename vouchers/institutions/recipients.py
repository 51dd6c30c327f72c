"""Who an institution's notices reach now: its webhook, if it set one, and each active staff
member bound to the Official Account. Named as the per-recipient rows' dedupe keys end
(`vouchers.common.outbox.recipient_key`)."""

from __future__ import annotations

from typing import Any

from models import InstitutionWebhook, Staff, StaffBinding

WEBHOOK = "webhook"


def staff_recipient(staff_id: int) -> str:
    return f"staff:{staff_id}"


async def bound_staff_ids(institution_id: int, app_id: str | None = None, conn: Any = None) -> list[int]:
    """Active staff of the institution bound to a follower (of `app_id`, or of any account)."""
    staff_ids = (
        await Staff.filter(institution_id=institution_id, active=True, removed_at__isnull=True)
        .using_db(conn)
        .values_list("id", flat=True)
    )
    bindings = StaffBinding.filter(staff_id__in=list(staff_ids))
    if app_id is not None:
        bindings = bindings.filter(app_id=app_id)
    return sorted(set(await bindings.using_db(conn).values_list("staff_id", flat=True)))


async def current_recipients(institution_id: int, conn: Any = None) -> list[str]:
    """Every recipient a notice to the institution would reach now. Bindings of any Official
    Account count: a few too many means a spare notice row, never a missed recipient."""
    hook = await InstitutionWebhook.filter(institution_id=institution_id).using_db(conn).exists()
    staff = [staff_recipient(s) for s in await bound_staff_ids(institution_id, conn=conn)]
    return ([WEBHOOK] if hook else []) + staff
