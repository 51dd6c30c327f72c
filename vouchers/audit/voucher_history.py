"""One voucher's history for the bureau, every row judged against its seal (the history page)."""

from __future__ import annotations

from dataclasses import dataclass

from models import BureauUser, Voucher, VoucherHistory
from vouchers.audit.history_chain import Break, judged_rows, problems
from vouchers.audit.history_names import HistoryNames, history_names
from vouchers.claiming.wallet import effective_status
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.identity.bureau_auth import ensure_covers
from vouchers.scanning.summary import MaskedHolders


@dataclass(frozen=True)
class Entry:
    row: VoucherHistory
    intact: bool | None  # None: written before sealing began (or a moment ago, after the check)
    problems: list[str]


@dataclass(frozen=True)
class VoucherHistoryView:
    voucher: Voucher
    status: str  # as the holder sees it (a claimed voucher past its validity reads expired)
    holder_name: str  # masked
    holder_id_number: str  # masked
    entries: list[Entry]
    breaks: list[Break]
    names: HistoryNames  # who acted and where, by name

    @property
    def intact(self) -> bool:
        return not self.breaks


async def voucher_history(user: BureauUser, code: str, holders: MaskedHolders) -> VoucherHistoryView:
    """Raises NotFound for an unknown code, OutOfScope for a voucher of another region's batch."""
    voucher = await Voucher.get_or_none(code=code).prefetch_related("batch__region", "person")
    if voucher is None:
        raise errors.NotFound("培训券不存在")
    ensure_covers(user, voucher.batch.region)
    rows = await VoucherHistory.filter(voucher_id=voucher.id).order_by("id")
    judged = {j.id: j for j in await judged_rows(voucher.id)}
    entries: list[Entry] = []
    breaks: list[Break] = []
    for row in rows:
        j = judged.get(row.id)
        found = problems(j) if j is not None else []
        intact = None if j is None or (j.unsealed and not j.broken) else not found
        entries.append(Entry(row, intact, found))
        breaks.extend(Break(row.id, voucher.code, p) for p in found)
    name, id_number = holders.of(voucher.person.name_cipher, voucher.person.id_cipher)
    status = str(effective_status(voucher, utcnow()))
    return VoucherHistoryView(voucher, status, name, id_number, entries, breaks, await history_names(rows))
