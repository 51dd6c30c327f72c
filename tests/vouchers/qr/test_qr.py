"""Signed rotating QR payloads: keys and rotation, staleness, forgery, images read by zbar, and
the offline check with nothing but the published public key."""

from __future__ import annotations

import base64
import time

import pytest

from tests.support.qr import decode_png, rotate_to
from vouchers.common import errors
from vouchers.qr import codes as qr
from vouchers.qr.keys import QrKeyError, QrKeyRing
from vouchers.qr.offline import QrInvalidError, QrStaleError, check_payload

CODE = "ABCDEFGHIJKLMNOP"


def test_a_fresh_code_reads_back_and_carries_no_personal_data():
    ring = QrKeyRing.ephemeral()
    code = qr.sign(ring, qr.VOUCHER, CODE)
    subject = qr.read(ring, code.payload, qr.VOUCHER)
    assert (subject.kind, subject.ident) == ("V", CODE)
    # Only QR alphanumeric characters: a scan gun types it unchanged on any keyboard layout.
    assert set(code.payload) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.")
    assert code.expires_at > time.time()


def test_one_step_either_way_is_accepted_two_are_stale():
    ring = QrKeyRing.ephemeral(step_s=30, tolerance_steps=1)
    now = 1_800_000_000.0
    payload = qr.sign(ring, qr.VOUCHER, CODE, now=now).payload
    for later in (-30, 0, 30, 59):
        qr.read(ring, payload, qr.VOUCHER, now=now + later)
    for later in (-61, 61, 3600):
        with pytest.raises(errors.QrStale):
            qr.read(ring, payload, qr.VOUCHER, now=now + later)
    wider = QrKeyRing(ring.keys, step_s=30, tolerance_steps=3)
    qr.read(wider, payload, qr.VOUCHER, now=now + 61)


def test_altered_or_foreign_payloads_are_invalid():
    ring = QrKeyRing.ephemeral()
    payload = qr.sign(ring, qr.VOUCHER, CODE).payload
    other = QrKeyRing.ephemeral()
    forged_code = payload.replace(CODE, "ZZZZZZZZZZZZZZZZ")
    parts = payload.split(".")
    later_step = ".".join([*parts[:3], str(int(parts[3]) + 1), *parts[4:]])
    cases = [
        forged_code,
        later_step,
        payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"),
        qr.sign(other, qr.VOUCHER, CODE).payload,  # someone else's key
        "PXQ1.V." + CODE,
        "https://example.com/" + CODE,
        "",
        "中文",
        payload + "." + payload,
    ]
    for text in cases:
        with pytest.raises(errors.QrInvalid):
            qr.read(ring, text, qr.VOUCHER)
    # A class code is not a voucher code, and the other way round.
    with pytest.raises(errors.QrInvalid):
        qr.read(ring, qr.sign(ring, qr.CLASS, "12").payload, qr.VOUCHER)


def test_keys_come_from_files_rotate_and_retire(tmp_path):
    with pytest.raises(QrKeyError):
        QrKeyRing.load(tmp_path / "none", generate=False)
    ring = QrKeyRing.load(tmp_path / "keys", generate=True)
    [(first, _)] = ring.public_keys.items()
    assert (tmp_path / "keys" / f"{first}.key").stat().st_mode & 0o077 == 0
    old_payload = qr.sign(ring, qr.VOUCHER, CODE).payload
    second = rotate_to(tmp_path / "keys")
    ring = QrKeyRing.load(tmp_path / "keys", generate=False)
    assert ring.signing_key_id == second != first
    # Codes signed with the old key keep verifying until it is retired.
    qr.read(ring, old_payload, qr.VOUCHER)
    assert qr.read(ring, qr.sign(ring, qr.VOUCHER, CODE).payload, qr.VOUCHER).key_id == second
    (tmp_path / "keys" / f"{first}.key").rename(tmp_path / "keys" / f"{first}.retired")
    ring = QrKeyRing.load(tmp_path / "keys", generate=False)
    with pytest.raises(errors.QrInvalid):
        qr.read(ring, old_payload, qr.VOUCHER)
    (tmp_path / "keys" / "bad.key").write_text("zz")
    with pytest.raises(QrKeyError):
        QrKeyRing.load(tmp_path / "keys", generate=False)


def test_png_is_read_back_by_zbar_and_svg_is_an_svg():
    ring = QrKeyRing.ephemeral()
    payload = qr.sign(ring, qr.VOUCHER, CODE).payload
    assert decode_png(qr.png(payload)) == payload
    svg = qr.svg(payload).decode()
    assert svg.startswith("<?xml") and "<svg" in svg and "<path" in svg


async def test_offline_check_with_only_the_published_public_key(client, svc):
    """What a scanner without a connection does: keys fetched once, then the tiny function."""
    published = await (await client.get("/api/v1/qr/keys")).json()
    assert published["step_s"] == 30 and published["tolerance_steps"] == 1
    public = {k["key_id"]: base64.urlsafe_b64decode(k["public_key"] + "==") for k in published["keys"]}
    assert all(len(raw) == 32 for raw in public.values())
    now = time.time()
    payload = qr.sign(svc.qr, qr.VOUCHER, CODE, now=now).payload
    subject = check_payload(payload, public, step_s=published["step_s"], now=now)
    assert subject.ident == CODE
    with pytest.raises(QrStaleError):
        check_payload(payload, public, step_s=published["step_s"], now=now + 120)
    with pytest.raises(QrInvalidError):
        check_payload(payload.replace(CODE, "BBBBBBBBBBBBBBBB"), public, now=now)
    # The private half is nowhere in what was published.
    text = await (await client.get("/api/v1/qr/keys")).text()
    for key in svc.qr.keys.values():
        assert key.private_bytes_raw().hex() not in text
        assert base64.urlsafe_b64encode(key.private_bytes_raw()).decode().rstrip("=") not in text


def test_a_code_read_before_still_goes_stale():
    ring = QrKeyRing.ephemeral()
    now = time.time()
    payload = qr.sign(ring, qr.VOUCHER, "ABCDEFGHIJKLMNOP", now=now).payload
    assert qr.read(ring, payload, qr.VOUCHER, now=now).ident == "ABCDEFGHIJKLMNOP"
    assert qr.read(ring, payload, qr.VOUCHER, now=now).ident == "ABCDEFGHIJKLMNOP"  # remembered
    with pytest.raises(errors.QrStale):
        qr.read(ring, payload, qr.VOUCHER, now=now + 120)
    with pytest.raises(errors.QrInvalid):
        qr.read(ring, payload, qr.CLASS, now=now)


def test_a_card_pass_code_never_goes_stale_and_is_refused_where_a_rotating_code_is_needed():
    """The Alipay card pack's static code: accepted as the voucher's wherever a static code will
    do, at any time; refused for check-in (qr_static) and as a class code; altered ones invalid."""
    ring = QrKeyRing.ephemeral()
    now = 1_800_000_000.0
    payload = qr.sign_card_pass(ring, CODE, 42)
    assert payload.startswith(f"PXQ1.P.{CODE}.42.{ring.signing_key_id}.")
    assert set(payload) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.")
    for later in (0, 3600, 86_400, 400 * 86_400):
        ring.verified.clear()  # the full check, then the remembered one
        for _ in range(2):
            subject = qr.read(ring, payload, qr.VOUCHER, now=now + later, static_ok=True)
            assert (subject.kind, subject.ident, subject.step) == ("P", CODE, 42)
    with pytest.raises(errors.QrStatic):
        qr.read(ring, payload, qr.VOUCHER)
    with pytest.raises(errors.QrInvalid):
        qr.read(ring, payload, qr.CLASS)
    parts = payload.split(".")
    for altered in (
        ".".join([*parts[:3], "43", *parts[4:]]),  # another pass number
        payload.replace(".P.", ".V."),  # passed off as a rotating code
        payload.replace(CODE, "ZZZZZZZZZZZZZZZZ"),
        qr.sign_card_pass(QrKeyRing.ephemeral(), CODE, 42),  # someone else's key
    ):
        with pytest.raises(errors.QrInvalid):
            qr.read(ring, altered, qr.VOUCHER, static_ok=True)
    assert decode_png(qr.png(payload)) == payload


def test_a_card_pass_code_verifies_with_an_older_key_until_it_is_retired(tmp_path):
    ring = QrKeyRing.load(tmp_path, generate=True)
    first = ring.signing_key_id
    payload = qr.sign_card_pass(ring, CODE, 7)
    rotate_to(tmp_path)
    ring = QrKeyRing.load(tmp_path, generate=False)
    assert qr.read(ring, payload, qr.VOUCHER, static_ok=True).key_id == first
    (tmp_path / f"{first}.key").rename(tmp_path / f"{first}.retired")
    ring = QrKeyRing.load(tmp_path, generate=False)
    with pytest.raises(errors.QrInvalid):
        qr.read(ring, payload, qr.VOUCHER, static_ok=True)


async def test_offline_check_accepts_a_card_pass_code_with_only_the_public_key(client, svc):
    published = await (await client.get("/api/v1/qr/keys")).json()
    public = {k["key_id"]: base64.urlsafe_b64decode(k["public_key"] + "==") for k in published["keys"]}
    payload = qr.sign_card_pass(svc.qr, CODE, 9)
    for later in (0, 3600, 30 * 86_400):  # static: no time step to go stale
        subject = check_payload(payload, public, step_s=published["step_s"], now=time.time() + later)
        assert (subject.kind, subject.ident, subject.step) == ("P", CODE, 9)
    with pytest.raises(QrInvalidError):
        check_payload(payload.replace(".9.", ".10."), public)
    with pytest.raises(QrInvalidError):
        check_payload(payload, {})  # its key retired: no longer published


def test_exactly_one_last_character_of_the_signature_verifies():
    """103 base32 characters hold the 64-byte signature with 3 bits to spare: a lax decoder lets 8
    of the 32 possible last characters verify. Only the signed spelling is genuine, on the server
    and in the offline check."""
    ring = QrKeyRing.ephemeral()
    now = time.time()
    payload = qr.sign(ring, qr.VOUCHER, CODE, now=now).payload
    accepted = []
    for last in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567":
        spelling = payload[:-1] + last
        try:
            check_payload(spelling, ring.public_keys, now=now)
        except QrInvalidError:
            continue
        accepted.append(spelling)
    assert accepted == [payload]
    for spelling in (payload[:-1] + chr(ord(payload[-1]) ^ 1), payload + "=", payload + "======"):
        if spelling != payload:
            with pytest.raises(errors.QrInvalid):
                qr.read(ring, spelling, qr.VOUCHER, now=now)
