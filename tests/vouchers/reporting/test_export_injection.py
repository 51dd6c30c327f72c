"""Formula injection (CSV injection): no text a person, an institution or a bureau typed comes out
of an export as something a spreadsheet would run. Read back with independent readers: the csv
module and openpyxl, not the project's own writer."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl

from models import Batch
from tests.support.factories import auth
from tests.support.formula_injection import HYPERLINK, INJECTED
from tests.support.reporting import JAN_1_2021, voucher_row, wuxi_2021

API = "/api/v1"
FORMULA = ("=", "+", "-", "@")


def _active(text: str) -> bool:
    """What a spreadsheet would take for a formula: a formula character first, once leading
    whitespace (which Excel and LibreOffice skip or which a name normaliser collapses) is gone."""
    return text.lstrip(" \t\r\n")[:1] in FORMULA


async def _injected(svc) -> dict:
    data = await wuxi_2021(svc)
    await Batch.filter(id=data["city"].id).update(title="-" + HYPERLINK)
    for name in INJECTED:  # names stored before names were checked at import
        await voucher_row(
            svc, data["city"], JAN_1_2021 + timedelta(days=5), name=name, eligible_group=("@" + name)[:32]
        )
    return data


async def test_no_cell_of_the_csv_export_is_a_formula(client, svc):
    data = await _injected(svc)
    r = await client.get(f"{API}/admin/exports/vouchers.csv?year=2021&region=320200", headers=auth(data["token"]))
    assert r.status == 200
    rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig"))))
    names = [row[5] for row in rows[1:]]
    for name in INJECTED:
        assert "'" + name in names  # kept as typed, behind the apostrophe that makes it text
    for row in rows:
        for cell in row:
            assert not _active(cell), row


async def test_no_cell_of_the_xlsx_export_is_a_formula(client, svc):
    data = await _injected(svc)
    r = await client.get(f"{API}/admin/exports/vouchers.xlsx?year=2021&region=320200", headers=auth(data["token"]))
    assert r.status == 200, await r.text()
    assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    book = openpyxl.load_workbook(io.BytesIO(await r.read()))
    sheet = book.active
    rows = [[cell for cell in row] for row in sheet.iter_rows()]
    assert [c.value for c in rows[0][:7]] == ["券码", "批次", "发券地区", "状态", "人员类别", "姓名", "身份证号"]
    names = [row[5].value for row in rows[1:]]
    for name in INJECTED:
        assert "'" + name.replace("\r", "\n") in names  # XML reads a CR back as a line feed
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", cell.value
            assert not (isinstance(cell.value, str) and _active(cell.value)), cell.value
    # ID numbers stay text (no 4.5e17 in the sheet).
    assert all(isinstance(row[6].value, str) and len(row[6].value) == 18 for row in rows[1:])


async def test_the_xlsx_export_speaks_chinese_and_keeps_id_numbers_whole(client, svc):
    from tests.support.factories import bureau, id_number, published_batch, regions, trainee

    await regions()
    token = await bureau(svc, "wuxi-export")
    batch = await published_batch(client, token, title="2026年无锡市通用券")
    number = id_number()
    _, session = await trainee(svc, number, name="王小明")
    code = (await (await client.post(f"{API}/claims", json={"batch_id": batch["id"]}, headers=auth(session))).json())[
        "code"
    ]
    r = await client.post(f"{API}/admin/vouchers/{code}/revoke", json={"reason": "重复发放"}, headers=auth(token))
    assert r.status == 200
    r = await client.get(f"{API}/admin/exports/vouchers.xlsx", headers=auth(token))
    assert r.status == 200, await r.text()
    sheet = openpyxl.load_workbook(io.BytesIO(await r.read())).active
    [header, row] = list(sheet.iter_rows())
    assert header[3].value == "状态" and row[3].value == "已作废"
    assert row[6].value == number and row[6].data_type == "s"  # 18 digits as text, not 3.2e17
    # The CSV keeps the codes, for tools.
    csv_text = (await (await client.get(f"{API}/admin/exports/vouchers.csv", headers=auth(token))).read()).decode()
    assert ",revoked," in csv_text
