"""What recent verifies read, reused by the next verify of the same code at this process.

A desk scans the same trainees again and again (every lesson, twice when a scan gun stutters), and
a verify spent one of its two database round trips reading what the previous verify of that code
had just read. A reused read is checked where it counts, in the statement that writes the scan's
record: the record is written only if the voucher's and its holder's rows are the versions read
(PostgreSQL's xmin, which any update changes) and the staff member is still active with the
token's version; otherwise nothing is written (`ReadChanged`) and the scan is read and answered
afresh. So a reused read is checked later than a fresh read ever is: at the commit of the answer.

Only verify reuses reads (enrol and check-in lock or read more than the voucher), only on
PostgreSQL (SQLite has no row versions to check), and only what a verify read: a scan that uses
an entry changes nothing in it but the batch it attaches from the batch cache.
"""

from __future__ import annotations

from models.sql.scan_rows import ScannedVoucher, ScanStaff

MAX_ENTRIES = 20_000  # about 1 KB each; a desk re-scans its trainees within minutes


class RecentReads:
    """One per process, on `Services.recent_reads`."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._vouchers: dict[str, ScannedVoucher] = {}
        self._staff: dict[int, ScanStaff] = {}

    def recall(self, staff_id: int, token_version: int, code: str) -> tuple[ScanStaff, ScannedVoucher] | None:
        """The staff member and voucher as last read, if both were; a staff row read for another
        token version (logged out since, or a token older than the row) is not used."""
        voucher = self._vouchers.get(code)
        staff = self._staff.get(staff_id)
        if voucher is None or staff is None or staff.token_version != token_version:
            return None
        return staff, voucher

    def remember(self, staff: ScanStaff, voucher: ScannedVoucher) -> None:
        if voucher.versions is None:  # no row versions to check it by (SQLite)
            return
        if len(self._vouchers) >= self.max_entries:
            self._vouchers.clear()
        if len(self._staff) >= self.max_entries:
            self._staff.clear()
        self._vouchers[voucher.code] = voucher
        self._staff[staff.id] = staff

    def forget(self, staff_id: int, code: str) -> None:
        self._vouchers.pop(code, None)
        self._staff.pop(staff_id, None)
