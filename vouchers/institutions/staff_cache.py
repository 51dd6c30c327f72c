"""What the staff check keeps per process: the staff reads of one event-loop turn share one query,
and institutions are cached for a few seconds."""

from __future__ import annotations

from tortoise import connections

from infra.coalesce import Coalescer
from infra.ttl_cache import TtlCache
from models import Institution
from models.sql.scan import staff_rows

# Only the name and the region (whose path never changes) are read from an institution on the
# scan path, so a few seconds of staleness in the name is harmless; the staff row itself is read
# on every request.
INSTITUTION_TTL_S = 30.0


async def _fetch_staff(ids: list[int]) -> list[tuple[int, dict]]:
    return await staff_rows(connections.get("default"), ids)


async def _load_institution(institution_id: int) -> Institution:
    return await Institution.get(id=institution_id).prefetch_related("region")


class StaffCache:
    """One per process, on `Services.staff`."""

    def __init__(self, institution_ttl_s: float = INSTITUTION_TTL_S) -> None:
        self.rows: Coalescer[int, dict] = Coalescer(_fetch_staff)
        self.institutions: TtlCache[int, Institution] = TtlCache(_load_institution, institution_ttl_s)

    async def institution(self, institution_id: int) -> Institution:
        return self.institutions.fresh(institution_id) or await self.institutions.get(institution_id)

    def forget_institution(self, institution_id: int) -> None:
        """After the bureau changed it: this process reads it again (the others through
        `vouchers.common.coherence`, or within the TTL)."""
        self.institutions.forget(institution_id)
