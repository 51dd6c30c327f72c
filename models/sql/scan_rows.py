"""The shapes a scan reads and writes: the scanning staff member, the scanned voucher with its
check-in context, and the scan record's row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from models.batches import Batch
from models.enums import VoucherStatus
from models.institutions import Institution, Staff

# --- what a scan reads ---------------------------------------------------------------------------
#
# A scan reads a handful of columns and writes none of them back, so it reads them into the small
# classes below instead of ORM models: building a Staff, a Voucher and a Person from the rows took
# more CPU than anything else a verify does (27 us of about 190).


class ScanKey(NamedTuple):
    staff_id: int  # who scans: read in the same statement, so a scan authenticates for free
    code: str
    class_id: int | None  # set for enrol and check-in
    lesson_id: int | None  # a check-in at this lesson only


@dataclass(slots=True)
class ScanStaff:
    """The scanning staff member: what admitting them and recording their scan need."""

    id: int
    institution_id: int
    active: bool
    removed_at: datetime | None
    token_version: int
    institution: Institution | None = None  # attached once admitted


# Who scans: the full row (SQLite, and paths outside the scan call) or the scan read's columns.
Scanner = Staff | ScanStaff


@dataclass(slots=True)
class ScannedVoucher:
    """A scanned voucher and its holder's ciphertexts (for the masked summary)."""

    id: int
    code: str
    status: VoucherStatus
    valid_until: datetime
    batch_id: int
    person_id: int
    used_at: datetime | None
    used_occupation: str | None
    holder_name_cipher: str
    holder_id_cipher: str
    # PostgreSQL: the voucher's and the holder's row versions (xmin) as read, "voucher:person".
    # A later scan that reuses this read writes its record only if they are still current.
    versions: str | None = None
    batch: Batch | None = None  # attached from the per-process batch cache
    # A valid verify's answer on this read, keyed by what it depends on besides the read
    # (vouchers.scanning.scan): a reused read answers the same again without building it.
    verified: tuple[tuple[Any, Any], bytes] | None = None


@dataclass
class ScanRead:
    """A scanned voucher with, when a class was named, its check-in context."""

    voucher: ScannedVoucher
    class_found: bool = False
    enrolled: bool = False  # an active enrolment in the named class
    lesson_id: int | None = None  # the class's lesson whose check-in window is open now
    attendance: dict[str, Any] | None = field(default=None)  # id, checked_in_at, annulled_at
    reused: bool = False  # an earlier scan's read (vouchers.scanning.recent_reads): checked at the insert


ScanFound = tuple[ScanStaff, "ScanRead | None"]


# --- scan records --------------------------------------------------------------------------------


@dataclass  # not slots: orjson serializes a slotted dataclass three times slower (`_json_rows`)
class ScanRow:
    institution_id: int
    staff_id: int
    nonce: str
    device: str
    action: str
    voucher_id: int | None
    class_id: int | None
    lesson_id: int | None
    result: str
    reason: str | None
    answer: bytes  # the answer's JSON, serialized once for the record and the reply
    scanned_at: datetime
    created_at: datetime
    # Set when the scan reused an earlier read: the row versions it read (`ScannedVoucher.versions`)
    # and the staff member's token version, which the insert checks are still current.
    seen: str | None = None
    token_version: int | None = None
    request_digest: str | None = None  # `vouchers.scanning.scan.request_digest`

    @property
    def key(self) -> tuple[int, str]:
        """A scan's identity: the staff member's nonce."""
        return (self.staff_id, self.nonce)


class ReadChanged(Exception):
    """A reused read was out of date: the voucher, its holder or the staff member has changed
    since. Nothing was written; read again and scan again."""
