"""Payment lists (拨付清单): approved claims gathered per payee, paid (vouchers written off once),
cancelled (claims freed), exported as XLSX, all within the bureau user's regions."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import openpyxl

from models import PaymentListLine, SettlementClaim, Voucher, VoucherHistory
from tests.support.factories import auth, bureau
from tests.support.payments import EMPLOYER, LISTS, approved_env, gather, pay
from tests.support.settlement import decide
from vouchers.common.clock import local_date, utcnow

API_CLAIMS = "/api/v1/admin/settlement/claims"


async def test_approved_claims_are_gathered_into_one_list_per_payee(client, svc):
    env = await approved_env(client, svc)
    token = env["bureau"]
    made = await gather(client, token)
    by_payee = {(p["payee_kind"], p["payee_name"]): p for p in made}
    assert set(by_payee) == {
        ("institution", env["institution"]["name"]),
        ("institution", env["other"]["institution"]["name"]),
        ("employer", EMPLOYER),
        ("trainee", "参训人员社会保障卡银行账户"),
    }
    assert all(
        (p["total_fen"], p["line_count"], p["status"], p["status_text"]) == (50_000, 1, "drafted", "草稿") for p in made
    )
    day = local_date(utcnow()).strftime("%Y%m%d")
    assert sorted(p["number"] for p in made) == [f"BF-320200-{day}-{n:03d}" for n in range(1, 5)]

    # The pending claim stays out; nothing is gathered twice.
    assert await gather(client, token) == []
    r = await decide(client, env, env["claims"]["a3"], decision="approve")
    assert r.status == 200
    [later] = await gather(client, token)
    assert later["number"] == f"BF-320200-{day}-005" and later["payee_name"] == env["institution"]["name"]

    listed = await (await client.get(f"{LISTS}?status=drafted", headers=auth(token))).json()
    assert (listed["total"], listed["total_fen"], len(listed["items"])) == (5, 250_000, 5)

    # The detail: a line per claim, the holder masked.
    a_list = by_payee[("institution", env["institution"]["name"])]
    detail = await (await client.get(f"{LISTS}/{a_list['id']}", headers=auth(token))).json()
    [line] = detail["lines"]
    assert line["voucher_code"] == env["codes"]["a1"] and line["holder_name"] == "李*"
    assert re.fullmatch(r"\d{4}\*{10}[\dX]{4}", line["id_number"])
    assert (line["class_name"], line["institution"], line["amount_fen"]) == (
        env["class"]["name"],
        env["institution"]["name"],
        50_000,
    )
    # The queue names the list holding each approved claim.
    queue = await (await client.get(f"{API_CLAIMS}?status=approved", headers=auth(token))).json()
    numbers = {i["voucher_code"]: i["payment_list"]["number"] for i in queue["items"]}
    assert numbers[env["codes"]["a1"]] == a_list["number"]


async def test_gathering_can_be_narrowed_to_a_payee_kind_or_an_institution(client, svc):
    env = await approved_env(client, svc)
    [trainees] = await gather(client, env["bureau"], payee_kind="trainee")
    assert trainees["payee_kind"] == "trainee"
    of_b = await gather(client, env["bureau"], institution_id=env["other"]["institution"]["id"])
    assert sorted(p["payee_name"] for p in of_b) == sorted([env["other"]["institution"]["name"], EMPLOYER])
    # Institution B's claims are b1 (paid to B) and b2 (to an employer): the employer's list too.
    rest = await gather(client, env["bureau"])
    assert [(p["payee_kind"], p["payee_name"]) for p in rest] == [("institution", env["institution"]["name"])]


async def test_marking_paid_writes_off_every_voucher_once(client, svc):
    env = await approved_env(client, svc)
    token = env["bureau"]
    made = await gather(client, token)
    employer = next(p for p in made if p["payee_kind"] == "employer")

    r = await pay(client, token, employer["id"], "  CB20260315-0042 ")
    assert r.status == 200, await r.text()
    paid = await r.json()
    assert (paid["status"], paid["status_text"], paid["payment_ref"]) == ("paid", "已拨付", "CB20260315-0042")
    assert paid["paid_at"]
    voucher = await Voucher.get(code=env["codes"]["b2"])
    assert voucher.status == "settled"
    [h] = await VoucherHistory.filter(voucher_id=voucher.id, action="written_off")
    assert (h.actor_kind, h.from_status, h.to_status) == ("bureau", "settled", "settled")
    assert h.detail["payment_list"] == employer["number"] and h.detail["payment_ref"] == "CB20260315-0042"
    # Only that list's vouchers.
    other = await Voucher.get(code=env["codes"]["a1"])
    assert not await VoucherHistory.exists(voucher_id=other.id, action="written_off")

    # Paying again, or cancelling a paid list, is refused in Chinese; nothing is written twice.
    r = await pay(client, token, employer["id"], "CB-AGAIN")
    assert r.status == 409
    assert (await r.json())["error"] == {"code": "payment_list_paid", "message": "该拨付清单已拨付，不能重复拨付或作废"}
    r = await client.post(f"{LISTS}/{employer['id']}/cancel", headers=auth(token))
    assert r.status == 409 and (await r.json())["error"]["code"] == "payment_list_paid"
    assert await VoucherHistory.filter(voucher_id=voucher.id, action="written_off").count() == 1
    shown = await (await client.get(f"{LISTS}/{employer['id']}", headers=auth(token))).json()
    assert shown["payment_ref"] == "CB20260315-0042"
    # A reference is required.
    r = await client.post(f"{LISTS}/{made[0]['id']}/paid", json={"payment_ref": " "}, headers=auth(token))
    assert r.status == 422


async def test_cancelling_a_drafted_list_frees_its_claims(client, svc):
    env = await approved_env(client, svc)
    token = env["bureau"]
    [trainees] = await gather(client, token, payee_kind="trainee")
    r = await client.post(f"{LISTS}/{trainees['id']}/cancel", headers=auth(token))
    assert r.status == 200, await r.text()
    cancelled = await r.json()
    assert (cancelled["status"], cancelled["status_text"]) == ("cancelled", "已作废")
    assert [line["voucher_code"] for line in cancelled["lines"]] == [env["codes"]["a2"]]  # kept, for the record

    r = await pay(client, token, trainees["id"])
    assert r.status == 409 and (await r.json())["error"]["code"] == "payment_list_cancelled"
    [again] = await gather(client, token, payee_kind="trainee")
    assert again["id"] != trainees["id"] and again["number"] != trainees["number"]
    claim = await SettlementClaim.get(id=env["claims"]["a2"])
    assert await PaymentListLine.filter(claim_id=claim.id).count() == 2
    assert await PaymentListLine.filter(claim_id=claim.id, live=True).count() == 1
    assert (await pay(client, token, again["id"])).status == 200
    assert await VoucherHistory.filter(voucher__code=env["codes"]["a2"], action="written_off").count() == 1


async def test_the_xlsx_has_the_header_block_and_id_numbers_as_text(client, svc):
    env = await approved_env(client, svc)
    token = env["bureau"]
    # a3 holds an ID number of 18 digits, the kind Excel would round to 15 if it were a number.
    assert (await decide(client, env, env["claims"]["a3"], decision="approve")).status == 200
    [a_list] = await gather(client, token, institution_id=env["institution"]["id"], payee_kind="institution")
    assert a_list["line_count"] == 2

    async def sheet():
        r = await client.get(f"{LISTS}/{a_list['id']}/export.xlsx", headers=auth(token))
        assert r.status == 200, await r.text()
        return r, openpyxl.load_workbook(io.BytesIO(await r.read())).active

    r, ws = await sheet()
    assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    disposition = r.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith(f"拨付清单-{a_list['number']}")
    header = {row[0].value: row[1].value for row in ws.iter_rows(max_row=10)}
    assert header["清单编号"] == a_list["number"] and header["收款方"] == env["institution"]["name"]
    assert header["状态"] == "草稿" and header["拨付凭证号"] in ("", None)
    assert float(header["合计金额（元）"]) == 1000.0
    rows = list(ws.iter_rows(min_row=12))
    assert [c.value for c in rows[0]][:4] == ["序号", "培训券号", "姓名", "身份证号"]
    by_code = {r[1].value: r for r in rows[1:-1]}
    line = by_code[env["codes"]["a3"]]
    id_cell = line[3]
    assert id_cell.data_type == "s" and id_cell.number_format == "@"
    assert id_cell.value == env["trainees"][2]["id_number"] and len(id_cell.value) == 18 and id_cell.value.isdigit()
    assert line[2].value == "李四" and float(line[8].value) == 500.0
    assert rows[-1][0].value == "合计" and float(rows[-1][8].value) == 1000.0

    assert (await pay(client, token, a_list["id"], "CB-77")).status == 200
    _, ws = await sheet()
    header = {row[0].value: row[1].value for row in ws.iter_rows(max_row=10)}
    assert (header["状态"], header["拨付凭证号"]) == ("已拨付", "CB-77")


async def test_another_regions_lists_are_out_of_reach(client, svc):
    env = await approved_env(client, svc)
    [listed, *_] = await gather(client, env["bureau"])
    chongqing = await bureau(svc, "cq", "500000")
    jiangyin = await bureau(svc, "jiangyin", "320281")  # below Wuxi: Wuxi's lists are not its own
    province = await bureau(svc, "jiangsu", "320000")
    for token in (chongqing, jiangyin):
        for method, path, body in (
            ("GET", f"{LISTS}/{listed['id']}", None),
            ("GET", f"{LISTS}/{listed['id']}/export.xlsx", None),
            ("POST", f"{LISTS}/{listed['id']}/paid", {"payment_ref": "CB-X"}),
            ("POST", f"{LISTS}/{listed['id']}/cancel", None),
            ("POST", LISTS, {"region": "320200"}),
        ):
            r = await client.request(method, path, json=body, headers=auth(token))
            assert r.status == 403, (method, path, await r.text())
            assert (await r.json())["error"]["code"] == "out_of_region"
        assert (await (await client.get(LISTS, headers=auth(token))).json())["total"] == 0
    assert (await client.get(f"{LISTS}/{listed['id']}", headers=auth(province))).status == 200
    assert (await client.get(f"{LISTS}/999999", headers=auth(env["bureau"]))).status == 404
    assert (await (await client.get(f"{LISTS}/{listed['id']}", headers=auth(env["bureau"]))).json())[
        "status"
    ] == "drafted"
