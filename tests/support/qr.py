"""QR images read back as a scanner would (zbar), and key rotation without waiting for the clock."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
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


def rotate_a_second_later(directory: str | Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """`rotate(directory)` as if a second had passed: key ids carry the second they were made, so a
    key made in the same second as the newest one would not sort after it. Instead of sleeping for
    a second, the new key's id is taken one second ahead of the clock."""
    real = keys.new_key_id
    with monkeypatch.context() as patch:
        patch.setattr(keys, "new_key_id", lambda now=None: real((now or datetime.now(UTC)) + timedelta(seconds=1)))
        return keys.rotate(directory)
