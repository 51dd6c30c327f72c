"""The Ed25519 keys that sign QR payloads: one signs, every unretired one verifies.

Keys live as files in one directory, `<key id>.key` holding the 32-byte seed in hex. The newest
key id (ids are `K` + UTC time of creation, so they sort by age) signs. Rotation: add a key (or
let `rotate` make one); old codes keep verifying until their file is renamed `<key id>.retired`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from infra.files import create_exclusive, directory_lock
from vouchers.qr.offline import QrSubject, b32

SUFFIX = ".key"
RETIRED_SUFFIX = ".retired"


class QrKeyError(Exception):
    pass


def new_key_id(now: datetime | None = None) -> str:
    return f"K{(now or datetime.now(UTC)):%y%m%d%H%M%S}"


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass
class QrKeyRing:
    keys: dict[str, Ed25519PrivateKey]
    step_s: int = 30
    tolerance_steps: int = 1
    _public: dict[str, bytes] = field(default_factory=dict, init=False, repr=False)
    # Payloads whose signature checked out (see `vouchers.qr.codes.read`), per ring: a retired key
    # means a new ring, so nothing it signed is remembered.
    verified: dict[str, QrSubject] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise QrKeyError("no QR signing key")
        self._public = {kid: public_bytes(k) for kid, k in self.keys.items()}

    @property
    def signing_key_id(self) -> str:
        return max(self.keys)

    @property
    def public_keys(self) -> dict[str, bytes]:
        return self._public

    def sign(self, message: bytes) -> tuple[str, str]:
        kid = self.signing_key_id
        return kid, b32(self.keys[kid].sign(message))

    @classmethod
    def ephemeral(cls, step_s: int = 30, tolerance_steps: int = 1) -> QrKeyRing:
        """An in-memory key: for code paths that never publish or persist codes (tests, tools)."""
        return cls({new_key_id(): Ed25519PrivateKey.generate()}, step_s, tolerance_steps)

    @classmethod
    def load(cls, directory: str | Path, *, generate: bool, step_s: int = 30, tolerance_steps: int = 1) -> QrKeyRing:
        path = Path(directory)
        keys = _read_keys(path)
        if not keys:
            if not generate:
                raise QrKeyError(f"{path} holds no {SUFFIX} file")
            # Children of `serve --processes N` start together: under the lock the first makes the
            # key and the rest find it, so every process signs and verifies with the same one.
            with directory_lock(path):
                if not _read_keys(path):
                    rotate(path)
                keys = _read_keys(path)
        return cls(keys, step_s, tolerance_steps)


def rotate(directory: str | Path, kid: str | None = None) -> str:
    """Write a new key, which becomes the signing key at the next load if its id sorts last (the
    default id, from the current second, does; tests name theirs). Returns its id."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    kid = kid or new_key_id()
    target = path / f"{kid}{SUFFIX}"
    seed = Ed25519PrivateKey.generate().private_bytes_raw().hex()
    # Never overwrites a key (FileExistsError), and a reader never sees the file half-written.
    create_exclusive(target, seed + "\n")
    return kid


def _read_keys(path: Path) -> dict[str, Ed25519PrivateKey]:
    if not path.is_dir():
        return {}
    keys = {}
    for file in sorted(path.glob(f"*{SUFFIX}")):
        kid = file.name[: -len(SUFFIX)]
        if not (kid.isascii() and kid.isalnum() and kid.isupper() and len(kid) <= 16):
            raise QrKeyError(f"{file}: key ids are up to 16 upper-case letters and digits")
        try:
            keys[kid] = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(file.read_text(encoding="ascii").strip()))
        except (ValueError, UnicodeDecodeError) as exc:
            raise QrKeyError(f"{file}: not a hex Ed25519 seed") from exc
    return keys
