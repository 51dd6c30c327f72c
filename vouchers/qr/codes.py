"""Voucher and class QR codes: signed rotating payloads, their check, and their images.

A payload names a voucher (or a class), a time step and the signing key; it carries no
personal data. Its check is `vouchers.qr.offline.check_payload`, the same function an offline
scanner runs with the published public keys.

The one static kind is the card-pass code (`P`) shown by the voucher's pass in the Alipay card
pack, which cannot rotate: it carries the pass number instead of a time step and never goes
stale. A caller reading a voucher code says whether a static one will do (`static_ok`): verify
and enrol accept it, check-in refuses it as `qr_static` (see `vouchers.qr.offline`).
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

from vouchers.common import errors
from vouchers.qr.keys import QrKeyRing
from vouchers.qr.offline import PREFIX, STATIC_KINDS, QrCheckError, QrStaleError, QrSubject, check_payload

VOUCHER = "V"
CLASS = "C"
CARD_PASS = "P"


@dataclass(frozen=True)
class SignedCode:
    payload: str
    step: int
    expires_at: float  # unix time at which the next step starts: show a fresh code before then


def sign(ring: QrKeyRing, kind: str, ident: str, now: float | None = None) -> SignedCode:
    moment = time.time() if now is None else now
    step = int(moment // ring.step_s)
    return SignedCode(_signed(ring, kind, ident, step), step, (step + 1) * ring.step_s)


def sign_card_pass(ring: QrKeyRing, voucher_code: str, pass_number: int) -> str:
    """The static code of a voucher's card-pack pass: `PXQ1.P.<voucher code>.<pass number>...`."""
    return _signed(ring, CARD_PASS, voucher_code, pass_number)


def _signed(ring: QrKeyRing, kind: str, ident: str, number: int) -> str:
    signed = f"{PREFIX}.{kind}.{ident}.{number}.{ring.signing_key_id}"
    _, signature = ring.sign(signed.encode("ascii"))
    return f"{signed}.{signature}"


VERIFIED_CACHE_SIZE = 100_000


def read(ring: QrKeyRing, payload: str, kind: str, now: float | None = None, *, static_ok: bool = False) -> QrSubject:
    """The subject of a genuine, current code of the expected kind, or QrInvalid / QrStale.
    Where a voucher code is expected, a card-pass code is the voucher's too: accepted with
    `static_ok`, QrStatic otherwise."""
    text = payload.strip()
    # A code scanned again within its steps (a desk scanning twice, a retry) skips the Ed25519
    # check, the largest CPU cost of a scan; its time step is checked every time (a card-pass code
    # has none).
    subject = ring.verified.get(text)
    if subject is None:
        try:
            subject = check_payload(
                text, ring.public_keys, step_s=ring.step_s, tolerance_steps=ring.tolerance_steps, now=now
            )
        except QrStaleError as exc:
            raise _stale(exc.subject) from None
        except QrCheckError:
            raise errors.QrInvalid() from None
        if len(ring.verified) >= VERIFIED_CACHE_SIZE:
            ring.verified.clear()
        ring.verified[text] = subject
    elif subject.kind not in STATIC_KINDS and (
        abs(int((time.time() if now is None else now) // ring.step_s) - subject.step) > ring.tolerance_steps
    ):
        raise _stale(subject)
    if subject.kind == CARD_PASS and kind == VOUCHER:
        if static_ok:
            return subject
        raise errors.QrStatic()
    if subject.kind != kind:
        raise errors.QrInvalid("这不是培训券二维码" if kind == VOUCHER else "这不是培训班签到码")
    return subject


def _stale(subject: QrSubject | None) -> errors.ScanRefused:
    """QrStale, naming the voucher of a genuine voucher code (told to the institution, never
    answered: a screenshot is not proof of holding the voucher)."""
    stale = errors.QrStale()
    stale.voucher_code = subject.ident if subject is not None and subject.kind == VOUCHER else None
    return stale


def _image(payload: str, factory=None) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4, image_factory=factory)
    code.add_data(payload)
    code.make(fit=True)
    return code


def png(payload: str) -> bytes:
    buffer = io.BytesIO()
    _image(payload).make_image().save(buffer)
    return buffer.getvalue()


def svg(payload: str) -> bytes:
    buffer = io.BytesIO()
    _image(payload, qrcode.image.svg.SvgPathImage).make_image().save(buffer)
    return buffer.getvalue()
