"""A payment list as XLSX for the bank and the files: a header block (number, payee, status in
Chinese, the transfer's reference, total) and a line per claim with the trainee's name and ID
number in clear (the bureau's own region: `get_payment_list` checked it), amounts in yuan. ID
numbers are text cells formatted as text, so Excel never rounds 18 digits; every text cell goes
through `XlsxBook`, which keeps formulas out."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal

from models import PayeeKind, PaymentList, PaymentListLine
from vouchers.common.clock import LOCAL_TZ
from vouchers.common.personal_data import PersonalDataKeys
from vouchers.common.spreadsheets import XlsxBook
from vouchers.payments.lists import PAYEE_KIND_TEXT, STATUS_TEXT, list_lines

SHEET = "拨付清单"
LINE_HEADER = ["序号", "培训券号", "姓名", "身份证号", "培训班", "培训机构", "收款方", "收款账户", "金额（元）"]


def yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def _local(at: datetime | None) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if at else ""


def filename(payment_list: PaymentList) -> str:
    return f"拨付清单-{payment_list.number}-{payment_list.payee_name}.xlsx"


async def export_list(keys: PersonalDataKeys, payment_list: PaymentList) -> bytes:
    lines = await list_lines(payment_list)
    book = XlsxBook(SHEET, text_format=True)
    book.append(_header(payment_list))
    book.append([[], LINE_HEADER])
    book.append(_line(keys, n, line) for n, line in enumerate(lines, 1))
    book.append([["合计", "", "", "", "", "", "", "", yuan(sum(line.amount_fen for line in lines))]])
    return await asyncio.to_thread(book.to_bytes)


def _header(p: PaymentList) -> list[list[object]]:
    return [
        ["清单编号", p.number],
        ["地区", f"{p.region.name}（{p.region_id}）"],
        ["收款方", p.payee_name],
        ["收款方类型", PAYEE_KIND_TEXT.get(str(p.payee_kind), str(p.payee_kind))],
        ["状态", STATUS_TEXT.get(str(p.status), str(p.status))],
        ["拨付凭证号", p.payment_ref or ""],
        ["合计金额（元）", yuan(p.total_fen)],
        ["笔数", p.line_count],
        ["生成时间", _local(p.created_at)],
        ["拨付时间", _local(p.paid_at)],
    ]


def _line(keys: PersonalDataKeys, n: int, line: PaymentListLine) -> list[object]:
    claim = line.claim
    person = claim.voucher.person
    payee = claim.payee
    if payee.kind == PayeeKind.TRAINEE:
        to, account = "本人", "社会保障卡银行账户"
    elif payee.kind == PayeeKind.EMPLOYER:
        to, account = payee.employer_name or "", "用人单位账户"
    else:
        to, account = claim.institution.name, "培训机构账户"
    return [
        n,
        claim.voucher.code,
        keys.decrypt(person.name_cipher, b"name"),
        keys.decrypt(person.id_cipher, b"id"),
        claim.training_class.name,
        claim.institution.name,
        to,
        account,
        yuan(line.amount_fen),
    ]
