"""QR images read back as a scanner would (zbar), and key rotation with explicit key ids."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from vouchers.qr import keys

try:
    from pyzbar.pyzbar import decode as zbar_decode

    zbar_decode(Image.new("L", (10, 10), 255))
    ZBAR = None
except (ImportError, OSError) as exc:  # the Python package or the system libzbar0 is missing
    ZBAR = f"zbar is not installed ({exc}); .ci/run installs libzbar0"


def require_zbar() -> None:
    """QR images must be read back in CI; on a laptop without libzbar0 the test says why it skips."""
    if ZBAR and os.environ.get("CI") == "true":
        pytest.fail(ZBAR)
    if ZBAR:
        pytest.skip(ZBAR)


def decode_png(png: bytes) -> str:
    require_zbar()
    [found] = zbar_decode(Image.open(io.BytesIO(png)))
    assert found.type == "QRCODE"
    return found.data.decode("ascii")


# Explicit key ids for rotation tests: they sort after any id made from the clock (`K` + yymmdd...),
# so the rotated key signs, and the test does not depend on which second it runs in.
NEXT_KEY_ID = "K991231000001"


def rotate_to(directory: str | Path, kid: str = NEXT_KEY_ID) -> str:
    """`rotate(directory)` with a named key id (rather than the current second's)."""
    return keys.rotate(directory, kid)


def forged(payload: str, chars: int = 4) -> str:
    """The payload with the end of its signature changed. Always changed: a plain "AAAA" left a
    signature that already ended in it valid (once in about a thousand runs for two characters)."""
    end = "A" * chars if payload[-chars:] != "A" * chars else "B" * chars
    return payload[:-chars] + end
