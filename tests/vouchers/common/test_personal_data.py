"""Personal data: ID numbers are checked (GB 11643), masked when shown, encrypted at rest, hashed
for lookup, and never found in clear in any table or log line."""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag
from tortoise import connections

from models.database import is_postgres
from peixunquan.logs import JsonFormatter, redact
from tests.support.factories import auth, bad_check_digit, bureau, id_number, published_batch, regions, trainee
from vouchers.common import errors
from vouchers.common.clock import local_date, utcnow
from vouchers.common.personal_data import (
    PersonalDataKeys,
    check_digit,
    mask_id_number,
    normalize_id_number,
)

MASKED = re.compile(r"^\d{4}\*{10}\d{3}[\dX]$")


def _with_x_check_digit() -> str:
    """A valid number whose check character is X (about one in eleven are)."""
    for serial in range(1000):
        first17 = f"45010219900307{serial:03d}"
        if check_digit(first17) == "X":
            return first17 + "X"
    raise AssertionError("no serial gives an X check digit")


# --- GB 11643 check ------------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["320202", "500101", "110105", "450102"])
def test_valid_numbers_are_accepted_unchanged(region):
    number = id_number(region=region)
    assert normalize_id_number(number) == number
    assert normalize_id_number(f"  {number} ") == number


def test_lowercase_x_check_digit_is_normalised_to_upper_case():
    number = _with_x_check_digit()
    assert normalize_id_number(number.lower()) == number
    assert normalize_id_number(number[:-1] + "x").endswith("X")


def test_full_width_digits_fold_to_the_same_number_and_lookup_hash():
    number = _with_x_check_digit()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)  # as typed with a Chinese IME
    assert full_width != number
    assert normalize_id_number(full_width) == number
    keys = PersonalDataKeys(secrets.token_bytes(32))
    assert keys.id_hash(normalize_id_number(full_width)) == keys.id_hash(normalize_id_number(number.lower()))


@pytest.mark.parametrize(
    "bad",
    [
        bad_check_digit(id_number()),
        bad_check_digit(_with_x_check_digit()),
        id_number()[:17],  # 17 characters
        id_number() + "1",  # 19 characters
        id_number()[:15],  # the old 15-digit form is not accepted
        "",
        "32020219900307123A",
        # Another script's digits would hash the same person differently: refused.
        "".join(chr(0x660 + int(c)) if c.isdigit() else c for c in id_number()),
    ],
)
def test_wrong_check_digit_or_length_is_invalid_id_number(bad):
    with pytest.raises(errors.InvalidInput) as caught:
        normalize_id_number(bad)
    assert caught.value.code == "invalid_id_number"
    assert caught.value.status == 422
    assert "身份证" in caught.value.text


@pytest.mark.parametrize(
    "born",
    ["19900230", "19901301", "19900000", "18991231", (local_date(utcnow()) + timedelta(days=1)).strftime("%Y%m%d")],
)
def test_impossible_birth_date_is_invalid_id_number(born):
    first17 = f"320202{born}123"
    # The check digit is right: only the date is wrong.
    with pytest.raises(errors.InvalidInput) as caught:
        normalize_id_number(first17 + check_digit(first17))
    assert caught.value.code == "invalid_id_number"
    assert "出生日期" in caught.value.text


# --- masking -------------------------------------------------------------------------------------


def test_mask_keeps_first_four_and_last_four():
    number = _with_x_check_digit()
    masked = mask_id_number(number)
    assert MASKED.match(masked), masked
    assert masked[:4] == number[:4] and masked[-4:] == number[-4:]
    assert number[4:14] not in masked
    assert mask_id_number("45010219900307123X") == "4501**********123X"


# --- encryption and lookup hash -------------------------------------------------------------------


def test_aes_gcm_round_trip_and_fresh_nonce():
    keys = PersonalDataKeys(secrets.token_bytes(32))
    number = id_number()
    first, second = keys.encrypt(number, b"id"), keys.encrypt(number, b"id")
    assert first != second  # a fresh nonce each time: equal inputs do not show as equal
    assert number not in first
    assert keys.decrypt(first, b"id") == number
    assert keys.decrypt(keys.encrypt("王小明", b"name"), b"name") == "王小明"


def test_aes_gcm_detects_tampering_wrong_context_and_wrong_key():
    keys = PersonalDataKeys(secrets.token_bytes(32))
    sealed = keys.encrypt(id_number(), b"id")
    prefix, body = sealed[:3], sealed[3:]
    # Flip one character in the middle of the ciphertext (still valid base64url).
    i = len(body) // 2
    flipped = body[:i] + ("A" if body[i] != "A" else "B") + body[i + 1 :]
    with pytest.raises(InvalidTag):
        keys.decrypt(prefix + flipped, b"id")
    with pytest.raises(InvalidTag):
        keys.decrypt(sealed, b"name")  # a name ciphertext cannot pass for an ID number
    with pytest.raises(InvalidTag):
        PersonalDataKeys(secrets.token_bytes(32)).decrypt(sealed, b"id")
    with pytest.raises(ValueError):
        keys.decrypt("g9:" + body, b"id")  # unknown key generation


def test_hmac_is_stable_per_key_and_differs_across_keys():
    secret = secrets.token_bytes(32)
    number = id_number()
    one, again = PersonalDataKeys(secret), PersonalDataKeys(secret)
    assert one.id_hash(number) == again.id_hash(number)
    assert re.fullmatch(r"[0-9a-f]{64}", one.id_hash(number))
    assert one.id_hash(number) != PersonalDataKeys(secrets.token_bytes(32)).id_hash(number)
    assert one.id_hash(number) != one.id_hash(id_number())
    assert number not in one.id_hash(number)


# --- nothing in clear at rest ---------------------------------------------------------------------


async def _all_tables(database_url: str) -> list[str]:
    conn = connections.get("default")
    if is_postgres(database_url):
        sql = (
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return [r["name"] for r in await conn.execute_query_dict(sql)]


async def _dump_every_cell(database_url: str) -> dict[str, list[str]]:
    """Every non-null cell of every table, as text (JSON columns serialised)."""
    conn = connections.get("default")
    dump: dict[str, list[str]] = {}
    for table in await _all_tables(database_url):
        rows = await conn.execute_query_dict(f'SELECT * FROM "{table}"')
        dump[table] = [
            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
            for row in rows
            for value in row.values()
            if value is not None
        ]
    return dump


async def test_no_id_number_or_name_in_clear_in_any_table_or_redis(client, svc, config):
    await regions()
    token = await bureau(svc)
    general = await published_batch(client, token, title="通用券")
    targeted = await published_batch(client, token, title="定向券", distribution="targeted")

    bound_number, bound_name = _with_x_check_digit(), "欧阳明月"
    _, session = await trainee(svc, bound_number, name=bound_name)
    claimed = await client.post("/api/v1/claims", json={"batch_id": general["id"]}, headers=auth(session))
    assert claimed.status == 201, await claimed.text()

    roster_number, roster_name, phone = id_number(region="320281"), "司马长风", "13812345678"
    roster = (
        f"姓名,身份证号,手机号,班级\n{roster_name},{roster_number},{phone},电工一班\n{bound_name},{bound_number},,\n"
    )
    imported = await client.post(
        f"/api/v1/admin/batches/{targeted['id']}/roster",
        data=roster.encode(),
        headers={**auth(token), "Content-Type": "text/csv"},
    )
    assert imported.status == 200, await imported.text()
    assert (await imported.json())["created"] == 2

    dump = await _dump_every_cell(config.database.url)
    assert {"person", "identity_verification", "voucher", "voucher_history", "outbox_message"} <= set(dump)
    assert sum(len(cells) for cells in dump.values()) > 50  # the dump really read the data
    secrets_in_clear = [bound_number, bound_number.lower(), bound_name, roster_number, roster_name, phone]
    for table, cells in dump.items():
        for cell in cells:
            for secret in secrets_in_clear:
                assert secret not in cell, f"{table} holds personal data in clear"
    # What is stored can be read back by the bureau (so it really is the data, encrypted).
    person_ciphers = await connections.get("default").execute_query_dict("SELECT id_cipher, name_cipher FROM person")
    names = {svc.keys.decrypt(r["name_cipher"], b"name") for r in person_ciphers}
    numbers = {svc.keys.decrypt(r["id_cipher"], b"id") for r in person_ciphers}
    assert names == {bound_name, roster_name}
    assert numbers == {bound_number, roster_number}

    for key in await svc.redis.keys("*"):
        text = key.decode() if isinstance(key, bytes) else str(key)
        kind = await svc.redis.type(key)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        if kind == "string":
            text += str(await svc.redis.get(key))
        elif kind == "set":
            text += str(await svc.redis.smembers(key))
        elif kind == "hash":
            text += str(await svc.redis.hgetall(key))
        for secret in (bound_number, roster_number):
            assert secret not in text, f"redis key {key!r} holds an ID number"


# --- nothing in clear in the logs -----------------------------------------------------------------


def test_log_lines_mask_id_numbers_in_message_extra_and_exception():
    number, with_x = id_number(), _with_x_check_digit()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.personal_data")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("roster row %s refused", number, extra={"row": {"id": with_x.lower()}})
        try:
            raise ValueError(f"bad person {with_x}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    entries = [json.loads(line) for line in lines]  # still one valid JSON object per line
    for secret in (number, with_x, with_x.lower()):
        assert secret not in stream.getvalue()
    assert mask_id_number(number) in entries[0]["message"]
    assert entries[0]["row"]["id"] == mask_id_number(with_x.lower())
    assert mask_id_number(with_x) in entries[1]["exception"]


def test_redact_leaves_other_numbers_alone():
    number = id_number()
    assert redact(f"id={number}") == f"id={mask_id_number(number)}"
    assert redact("order 20260101123456 amount 50000") == "order 20260101123456 amount 50000"
    assert redact("phone 13812345678") == "phone 13812345678"
