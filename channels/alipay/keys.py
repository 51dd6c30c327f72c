"""RSA keys in the shapes alipay-sdk-python wants: the app private key as PKCS#1 PEM, public
keys as SubjectPublicKeyInfo PEM.

Alipay's key tool hands out PKCS#8 keys or bare base64 without PEM markers; both are accepted
here and converted once, at start-up, so the SDK's signing functions always get what they parse.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from infra.files import create_once


class InvalidKey(ValueError):
    """A key file that does not hold a usable RSA key."""


def _der(text: str) -> bytes | None:
    if "-----BEGIN" in text:
        return None
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidKey("neither PEM nor base64") from None


def private_key_pkcs1(text: str) -> str:
    der = _der(text)
    try:
        if der is None:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError) as exc:
        raise InvalidKey(f"not an RSA private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise InvalidKey("must be an RSA key of at least 2048 bits")
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def public_key_pem(text: str) -> str:
    der = _der(text)
    try:
        key = (
            serialization.load_pem_public_key(text.encode()) if der is None else serialization.load_der_public_key(der)
        )
    except (ValueError, TypeError) as exc:
        raise InvalidKey(f"not an RSA public key: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise InvalidKey("must be an RSA key of at least 2048 bits")
    return _spki(key)


def public_of(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return _spki(key.public_key())


def new_private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def ensure_key_pair(private_path: Path, public_path: Path | None = None) -> str:
    """Development only: create a key pair when the private key file is missing."""
    private = private_path.read_text(encoding="ascii") if private_path.exists() else None
    if private is None:
        private = create_once(private_path, new_private_key())
    if public_path is not None and not public_path.exists():
        create_once(public_path, public_of(private), mode=0o644)
    return private


def _spki(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
