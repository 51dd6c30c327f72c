"""Offline check of a peixunquan QR payload, for scanners without a connection.

Needs only the standard library, `cryptography` and the public keys published at
GET /api/v1/qr/keys. docs/offline_qr_check.md explains its use; the server's own check
(`vouchers.qr.codes`) runs this same function.

Payload (QR alphanumeric characters only, so scan guns type it as is):

    PXQ1.<kind>.<id>.<step>.<key id>.<signature>

kind `V` is a voucher (id = voucher code), `C` a class (id = class number); step is
floor(unix time / step seconds); signature is Ed25519 over the ASCII text before the last dot,
in unpadded base32.

kind `P` is a card-pass code (id = voucher code): the QR of the voucher's pass in the Alipay
card pack (卡包). A pass is static - Alipay shows what we sent when the pass was added and
cannot rotate it - so its numeric field is not a time step but the pass number, and it is
never stale. It is genuine for as long as its key is not retired, like any other code. The
trade-off: a screenshot of it works as well as the pass, so the server accepts it for verify
(验券) and enrol (用券), where the voucher's state and the institution's checks decide, and
refuses it for check-in (签到, reason `qr_static`): attendance is what subsidies are paid on,
and the rotating code exists to stop codes being passed on.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PREFIX = "PXQ1"
KINDS = ("V", "C", "P")
# Kinds whose numeric field is a number, not a time step: never stale.
STATIC_KINDS = ("P",)
MAX_LENGTH = 256


class QrCheckError(ValueError):
    code = "qr_invalid"


class QrInvalidError(QrCheckError):
    """Not ours, altered, or signed by an unknown or retired key."""


class QrStaleError(QrCheckError):
    """Genuine, but older (or newer) than the allowed steps: a screenshot. The signature held, so
    `subject` (what the code names) is known."""

    code = "qr_stale"
    subject: QrSubject | None = None


@dataclass(frozen=True)
class QrSubject:
    kind: str  # "V" voucher, "C" class, "P" card pass
    ident: str
    step: int  # the time step; for a static kind (P) the pass number
    key_id: str


def undo_caps_lock(text: str) -> str:
    """A scan gun with Caps Lock on types our code in lower case. A payload has no lower-case
    letter (prefix, kinds, base32 and key ids are upper case), so a code typed wholly in lower
    case maps back to exactly one spelling, whose signature then decides as for any code."""
    if text[:5] == "pxq1." and text == text.lower():
        return text.upper()
    return text


def b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def unb32(text: str) -> bytes:
    """Strict: only the spelling `b32` produces. 103 characters carry a 64-byte signature with 3
    bits to spare, which a lax decode ignores (8 last characters would verify); re-encoding and
    comparing leaves exactly one. Raises binascii.Error (a ValueError)."""
    raw = base64.b32decode(text + "=" * (-len(text) % 8))
    if b32(raw) != text:
        raise binascii.Error("not the canonical base32 spelling")
    return raw


def check_payload(
    payload: str,
    public_keys: dict[str, bytes],
    *,
    step_s: int = 30,
    tolerance_steps: int = 1,
    now: float | None = None,
) -> QrSubject:
    """The subject of a genuine, current payload. `public_keys` maps key id to the 32 raw bytes
    of an Ed25519 public key. Raises QrInvalidError or QrStaleError; a static kind (P, a card
    pass) has no time step and is never stale."""
    text = payload.strip()
    if len(text) > MAX_LENGTH or not text.isascii():
        raise QrInvalidError("not a peixunquan QR code")
    signed, _, signature = text.rpartition(".")
    parts = signed.split(".")
    if len(parts) != 5 or parts[0] != PREFIX or parts[1] not in KINDS or not parts[3].isdigit():
        raise QrInvalidError("not a peixunquan QR code")
    _, kind, ident, step_text, key_id = parts
    raw_key = public_keys.get(key_id)
    if raw_key is None:
        raise QrInvalidError("unknown or retired key")
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(unb32(signature), signed.encode("ascii"))
    except (InvalidSignature, binascii.Error, ValueError):
        raise QrInvalidError("bad signature") from None
    step = int(step_text)
    if kind in STATIC_KINDS:
        return QrSubject(kind, ident, step, key_id)
    current = int((time.time() if now is None else now) // step_s)
    if abs(current - step) > tolerance_steps:
        stale = QrStaleError("outside the allowed time steps")
        stale.subject = QrSubject(kind, ident, step, key_id)
        raise stale
    return QrSubject(kind, ident, step, key_id)
