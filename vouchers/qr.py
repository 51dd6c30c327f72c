"""Voucher and class QR codes: signed rotating payloads, their check, and their images.

A payload names a voucher (or a class), a time step and the signing key; it carries no
personal data. Its check is `vouchers.qr_offline.check_payload`, the same function an offline
scanner runs with the published public keys.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

from vouchers import errors
from vouchers.qr_keys import QrKeyRing
from vouchers.qr_offline import PREFIX, QrCheckError, QrStaleError, QrSubject, check_payload

VOUCHER = "V"
CLASS = "C"


@dataclass(frozen=True)
class SignedCode:
    payload: str
    step: int
    expires_at: float  # unix time at which the next step starts: show a fresh code before then


def sign(ring: QrKeyRing, kind: str, ident: str, now: float | None = None) -> SignedCode:
    moment = time.time() if now is None else now
    step = int(moment // ring.step_s)
    kid = ring.signing_key_id
    signed = f"{PREFIX}.{kind}.{ident}.{step}.{kid}"
    _, signature = ring.sign(signed.encode("ascii"))
    return SignedCode(f"{signed}.{signature}", step, (step + 1) * ring.step_s)


VERIFIED_CACHE_SIZE = 100_000


def read(ring: QrKeyRing, payload: str, kind: str, now: float | None = None) -> QrSubject:
    """The subject of a genuine, current code of the expected kind, or QrInvalid / QrStale."""
    text = payload.strip()
    # A code scanned again within its steps (a desk scanning twice, a retry) skips the Ed25519
    # check, the largest CPU cost of a scan; its time step is checked every time.
    subject = ring.verified.get(text)
    if subject is None:
        try:
            subject = check_payload(
                text, ring.public_keys, step_s=ring.step_s, tolerance_steps=ring.tolerance_steps, now=now
            )
        except QrStaleError:
            raise errors.QrStale() from None
        except QrCheckError:
            raise errors.QrInvalid() from None
        if len(ring.verified) >= VERIFIED_CACHE_SIZE:
            ring.verified.clear()
        ring.verified[text] = subject
    elif abs(int((time.time() if now is None else now) // ring.step_s) - subject.step) > ring.tolerance_steps:
        raise errors.QrStale()
    if subject.kind != kind:
        raise errors.QrInvalid("这不是培训券二维码" if kind == VOUCHER else "这不是培训班签到码")
    return subject


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
