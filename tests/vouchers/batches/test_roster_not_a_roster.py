"""A file that is not a roster is refused as such, saying what a roster looks like; a roster with
many bad rows answers a report of bounded size: the first rows that went wrong and a count of the rest."""

from __future__ import annotations

import json
import random

import pytest

from models import Voucher
from tests.support.factories import id_number
from tests.vouchers.batches.test_roster import CSV, JSON, _report, _targeted, _upload

TEN_MB = 10 * 1024 * 1024


def _assert_not_a_roster(error: dict) -> None:
    assert error["code"] == "not_a_roster"
    message = error["message"]
    # What was expected: the formats and the columns.
    for expected in ("CSV", "JSON", "UTF-8", "GBK", "身份证号", "姓名"):
        assert expected in message, message


async def test_ten_megabytes_of_garbage_is_not_a_roster(client, svc):
    batch, token = await _targeted(client, svc)
    garbage = random.Random(17).randbytes(TEN_MB)
    response = await _upload(client, token, batch["id"], garbage)
    assert response.status == 422, (await response.text())[:500]
    _assert_not_a_roster((await response.json())["error"])
    assert await Voucher.all().count() == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        # Printable garbage: text, but no header a roster has.
        (bytes(random.Random(3).choices(b"abcdefghijklmnopqrstuvwxyz0123456789,;\n ", k=TEN_MB)), CSV),
        ("订单号,金额,日期\nA001,100,2024-01-01\n".encode(), CSV),  # another spreadsheet
        ("姓名,手机号\n张三,13800000000\n".encode(), CSV),  # no ID number column
        (b"\xff\xfe\x00\x00garbage\x80\x81", CSV),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 50, CSV),  # an .xlsx workbook (a zip)
        (b"\x00\x01\x02name,id_number\x00\x00\x00" * 100, CSV),  # binary that decodes as text
        (json.dumps([{"order": n, "amount": 100} for n in range(1000)]).encode(), JSON),  # other JSON
        (json.dumps(list(range(1000))).encode(), JSON),
        (b'{"rows": 5}', JSON),
        (b'"just a string"', JSON),
    ],
)
async def test_other_files_are_not_a_roster(client, svc, data, content_type):
    batch, token = await _targeted(client, svc)
    response = await _upload(client, token, batch["id"], data, content_type)
    assert response.status == 422, (await response.text())[:500]
    _assert_not_a_roster((await response.json())["error"])
    assert await Voucher.all().count() == 0


async def test_an_excel_workbook_is_told_to_be_saved_as_csv(client, svc):
    batch, token = await _targeted(client, svc)
    response = await _upload(client, token, batch["id"], b"PK\x03\x04" + bytes(range(256)) * 50)
    assert "另存为" in (await response.json())["error"]["message"]


async def test_many_bad_rows_answer_the_first_hundred_and_a_count_of_the_rest(client, svc):
    batch, token = await _targeted(client, svc, quantity=10)
    good = [id_number() for _ in range(3)]
    rng = random.Random(5)
    lines = ["姓名,身份证号"]
    for n in range(138_508):  # the right header over garbage
        lines.append(f"x{n}," + "".join(rng.choices("0123456789abcdefXYZ", k=18)))
    lines[5000:5000] = [f"张三,{good[0]}", f"李四,{good[1]}", f"王五,{good[2]}"]  # rows 5000-5002
    data = ("\n".join(lines) + "\n").encode()
    response = await _upload(client, token, batch["id"], data)
    report = await _report(response)
    assert len(await response.read()) < 50_000  # not 11 MB
    assert (report["total"], report["created"], report["unchanged"]) == (138_511, 3, 0)
    assert report["rejected"] == 138_508
    assert len(report["problems"]) == 100
    assert report["problems_not_shown"] == 138_408
    assert [p["line"] for p in report["problems"]] == list(range(1, 101))  # the first ones, in order
    assert {p["code"] for p in report["problems"]} == {"invalid_id_number"}
    assert await Voucher.filter(batch_id=batch["id"]).count() == 3


async def test_a_few_bad_rows_are_all_listed(client, svc):
    batch, token = await _targeted(client, svc, quantity=10)
    data = f"姓名,身份证号\n甲,{id_number()}\n乙,123\n".encode()
    report = await _report(await _upload(client, token, batch["id"], data))
    assert (report["created"], report["rejected"], report["problems_not_shown"]) == (1, 1, 0)
    assert [p["line"] for p in report["problems"]] == [2]
