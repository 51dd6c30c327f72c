"""Passwords of bureau users and institution staff: argon2 hashes, checked off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Checked when there is no usable account, so timing does not tell which usernames exist.
_DUMMY_HASH = _hasher.hash("pxq-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no stored hash (no usable account) the same work is done
    against a dummy hash and the answer is False. argon2 takes tens of milliseconds of CPU: it
    runs in a thread."""
    try:
        await asyncio.to_thread(_hasher.verify, stored_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return stored_hash is not None
