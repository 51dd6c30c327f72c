"""Crypto at test cost: argon2 with small parameters, RSA private keys parsed once per process.

Both are pure cost in tests, not behaviour. The default argon2 parameters (64 MiB, 3 passes, 4
lanes) take ~85 ms per hash or verify on this project's 2-core machine, and a test that signs in a
bureau user and an institution's two staff members pays six of them; each app the tests build
reads the same development Alipay keys again, and cryptography checks an RSA private key's primes
on every parse (~30 ms, five keys per app). Together they were most of the suite's CPU time.
Hashes stay argon2id and are still checked by argon2's own verify (a stored hash names its own
parameters); a key that fails to parse still raises, since only successful parses are kept.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives import serialization

from vouchers.common import passwords

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@functools.lru_cache(maxsize=64)
def _load_pem_private_key(data: bytes, password: bytes | None, backend=None, **kwargs):
    return _LOAD_PEM_PRIVATE_KEY(data, password, backend, **kwargs)


_LOAD_PEM_PRIVATE_KEY = serialization.load_pem_private_key


@pytest.fixture(autouse=True, scope="session")
def cheap_crypto() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", CHEAP_HASHER)
        patch.setattr(serialization, "load_pem_private_key", _load_pem_private_key)
        yield
