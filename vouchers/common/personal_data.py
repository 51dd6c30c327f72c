"""Personal data at rest: ID numbers and names are never stored or logged in clear.

An ID number is stored twice: an HMAC-SHA256 (lookup and uniqueness) and an AES-GCM ciphertext
(the bureau's exports). Names are stored only as ciphertext. Keys are derived from the master
secret with HKDF so one secret file is all an operator keeps safe.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from datetime import date

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vouchers.common import errors
from vouchers.common.person_name import person_name

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_CIPHER_PREFIX = "g1:"  # key generation 1; a rotated key gets a new prefix


def normalize_id_number(raw: str) -> str:
    """Return the 18-digit ID number in canonical form, or raise `InvalidIdNumber`.

    GB 11643-1999: 6-digit region, 8-digit birth date, 3-digit sequence, ISO 7064 MOD 11-2 check.
    """
    # str.isdigit() also accepts full-width and other scripts' digits, which would hash the same
    # person differently: fold full-width forms (typed in Chinese IMEs) to ASCII, refuse the rest.
    value = unicodedata.normalize("NFKC", raw).strip().upper()
    if len(value) != 18 or not value.isascii() or not value[:17].isdigit() or value[17] not in "0123456789X":
        raise errors.InvalidIdNumber("身份证号码应为18位")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise errors.InvalidIdNumber("身份证号码中的出生日期无效") from None
    if born.year < 1900 or born > date.today():
        raise errors.InvalidIdNumber("身份证号码中的出生日期无效")
    total = sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS, strict=True))
    if _CHECK_CHARS[total % 11] != value[17]:
        raise errors.InvalidIdNumber()
    return value


def check_digit(first17: str) -> str:
    """The GB 11643 check character for 17 digits (used by demo data and tests)."""
    return _CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def mask_id_number(id_number: str) -> str:
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def normalize_name(raw: str) -> str:
    """Every name we store (rosters, face verification, commissioners) follows one rule."""
    return person_name(raw)


class PersonalDataKeys:
    def __init__(self, secret: bytes) -> None:
        self._lookup_key = _derive(secret, b"pxq id-number lookup v1")
        self._aead = AESGCM(_derive(secret, b"pxq personal-data aes-gcm v1"))

    def id_hash(self, id_number: str) -> str:
        return hmac.new(self._lookup_key, id_number.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, text: str, context: bytes = b"") -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, text.encode(), context)
        return _CIPHER_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, context: bytes = b"") -> str:
        if not token.startswith(_CIPHER_PREFIX):
            raise ValueError("unknown key generation")
        raw = base64.urlsafe_b64decode(token[len(_CIPHER_PREFIX) :])
        return self._aead.decrypt(raw[:12], raw[12:], context).decode()


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)
