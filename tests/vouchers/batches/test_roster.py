"""Targeted vouchers (定向券): the bureau imports an institution's roster, each good row becomes a
voucher claimed automatically, bad rows are reported line by line."""

from __future__ import annotations

import dataclasses
import json

import pytest

from models import Batch, BureauUser, OutboxMessage, Voucher, VoucherHistory
from peixunquan.app import create_app
from tests.support.factories import (
    auth,
    bad_check_digit,
    batch_body,
    bureau,
    id_number,
    published_batch,
    regions,
    trainee,
)

BATCHES = "/api/v1/admin/batches"
CSV = "text/csv"
JSON = "application/json"


async def _targeted(client, svc, **overrides):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(
        client,
        token,
        title="无锡企业职工定向券",
        distribution="targeted",
        value_mode="deduction",
        face_value_fen=None,
        eligible_groups=["企业职工"],
        **overrides,
    )
    return batch, token


async def _upload(client, token, batch_id, data: bytes, content_type: str = CSV):
    return await client.post(
        f"{BATCHES}/{batch_id}/roster", data=data, headers={**auth(token), "Content-Type": content_type}
    )


async def _report(response) -> dict:
    assert response.status == 200, await response.text()
    return await response.json()


def _csv(rows: list[tuple[str, ...]], header: str = "name,id_number,phone,class") -> str:
    return header + "\r\n" + "".join(",".join(r) + "\r\n" for r in rows)


async def _assert_roster_vouchers(batch_id: int, user: BureauUser, count: int) -> list[Voucher]:
    vouchers = await Voucher.filter(batch_id=batch_id).order_by("id")
    assert len(vouchers) == count
    assert all(v.status == "claimed" and v.automatic and v.claimed_via_id is None for v in vouchers)
    for v in vouchers:
        [history] = await VoucherHistory.filter(voucher_id=v.id)
        assert (history.action, history.actor_kind, history.actor_id) == ("claimed", "bureau", str(user.id))
        assert history.automatic is True
        assert history.to_status == "claimed"
        assert await OutboxMessage.filter(voucher_id=v.id, kind="voucher_issued", person_id=v.person_id).count() == 1
    assert await OutboxMessage.filter(kind="voucher_issued").count() == count
    return vouchers


# --- good files in every accepted form -----------------------------------------------------------


async def test_utf8_bom_csv_creates_claimed_vouchers_that_the_trainee_sees(client, svc):
    batch, token = await _targeted(client, svc, quantity=10)
    a, b = id_number(), id_number(region="320281")
    body = _csv([("张三", a, "13800000001", "电工一班"), ("李四", b, "", "电工二班")])
    report = await _report(await _upload(client, token, batch["id"], "\ufeff".encode() + body.encode("utf-8")))
    assert report == {"total": 2, "created": 2, "unchanged": 0, "rejected": 0, "problems": [], "problems_not_shown": 0}

    user = await BureauUser.get(username="wuxi")
    vouchers = await _assert_roster_vouchers(batch["id"], user, 2)
    assert {v.roster_class for v in vouchers} == {"电工一班", "电工二班"}
    assert (await Batch.get(id=batch["id"])).remaining == 10 - 2
    listed = await (await client.get(f"{BATCHES}/{batch['id']}", headers=auth(token))).json()
    assert listed["remaining"] == 8

    # The person logs in later and passes face verification: the voucher is already there.
    _, session = await trainee(svc, a, name="张三")
    wallet = await (await client.get("/api/v1/vouchers", headers=auth(session))).json()
    [voucher] = wallet["items"]
    assert (voucher["batch_id"], voucher["status"], voucher["automatic"]) == (batch["id"], "claimed", True)
    detail = await (await client.get(f"/api/v1/vouchers/{voucher['code']}", headers=auth(session))).json()
    assert [(h["action"], h["actor_kind"], h["automatic"]) for h in detail["history"]] == [("claimed", "bureau", True)]


async def test_gbk_csv_with_chinese_headers(client, svc):
    batch, token = await _targeted(client, svc)
    number = id_number()
    body = _csv([("王五", number, "13912345678", "焊工培训班")], header="姓名,身份证号,手机号,班级")
    raw = body.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really GBK, as Excel on Chinese Windows saves it
    report = await _report(await _upload(client, token, batch["id"], raw))
    assert (report["created"], report["rejected"]) == (1, 0)
    [voucher] = await Voucher.filter(batch_id=batch["id"])
    assert voucher.roster_class == "焊工培训班"
    person = await voucher.person
    assert svc.keys.decrypt(person.name_cipher, b"name") == "王五"
    assert svc.keys.decrypt(person.id_cipher, b"id") == number
    assert svc.keys.decrypt(person.phone_cipher, b"phone") == "13912345678"


@pytest.mark.parametrize("wrapped", [False, True])
async def test_json_roster(client, svc, wrapped):
    batch, token = await _targeted(client, svc)
    rows = [
        {"name": "赵六", "id_number": id_number(), "phone": "13700000000", "class_name": "A班"},
        {"姓名": "钱七", "身份证号": id_number(), "班级": "B班"},
    ]
    data = json.dumps({"rows": rows} if wrapped else rows, ensure_ascii=False).encode()
    report = await _report(await _upload(client, token, batch["id"], data, JSON))
    assert (report["total"], report["created"], report["rejected"]) == (2, 2, 0)
    user = await BureauUser.get(username="wuxi")
    vouchers = await _assert_roster_vouchers(batch["id"], user, 2)
    assert {v.roster_class for v in vouchers} == {"A班", "B班"}


async def test_nul_and_broken_unicode_in_a_roster_do_not_break_the_import(client, svc):
    batch, token = await _targeted(client, svc)
    rows = [
        {"name": "周九", "id_number": id_number(), "class_name": "电工\u0000一班"},
        {"name": "吴十", "id_number": id_number(), "class_name": "焊工\ud800班"},
        {"name": "郑\u0000十一", "id_number": id_number(), "class_name": ""},
    ]
    raw = json.dumps(rows).encode()  # ASCII escapes, as a JSON encoder writes them
    report = await _report(await _upload(client, token, batch["id"], raw, JSON))
    assert (report["created"], report["rejected"]) == (3, 0)
    classes = {v.roster_class for v in await Voucher.filter(batch_id=batch["id"])}
    assert None in classes and "电工一班" in classes
    assert all("\x00" not in (c or "") for c in classes)
    csv_raw = _csv([("冯十二", id_number(), "", "木工\x00班")]).encode()
    assert (await _report(await _upload(client, token, batch["id"], csv_raw)))["created"] == 1


async def test_already_verified_person_sees_the_roster_voucher(client, svc):
    batch, token = await _targeted(client, svc)
    number = id_number()
    # Verified on WeChat before the roster arrives; the roster writes the check digit in lower case.
    _, session = await trainee(svc, number, name="孙八")
    before = await (await client.get("/api/v1/vouchers", headers=auth(session))).json()
    assert before["items"] == []
    report = await _report(await _upload(client, token, batch["id"], _csv([("孙八", number.lower(), "", "")]).encode()))
    assert report["created"] == 1
    wallet = await (await client.get("/api/v1/vouchers", headers=auth(session))).json()
    assert [(v["batch_id"], v["automatic"], v["status"]) for v in wallet["items"]] == [(batch["id"], True, "claimed")]


# --- bad rows ------------------------------------------------------------------------------------


async def test_bad_rows_are_reported_line_by_line_and_good_rows_go_in(client, svc):
    batch, token = await _targeted(client, svc, quantity=3, usable_regions=["320281", "320282"])
    good = [id_number() for _ in range(4)]
    rows = [
        ("甲", good[0], "13800000001", "一班", "320281"),  # 1 good
        ("乙", bad_check_digit(id_number()), "", "", ""),  # 2 invalid_id_number
        ("丙", good[0], "", "", ""),  # 3 duplicate_row (of line 1)
        ("", id_number(), "", "", ""),  # 4 name_required
        ("丁", id_number(), "1380000", "", ""),  # 5 invalid_phone
        ("戊", id_number(), "", "", "500101"),  # 6 wrong_region: Wanzhou, Chongqing
        ("己", id_number(), "", "", "999999"),  # 7 wrong_region: no such region
        ("庚", good[1], "", "", "320282"),  # 8 good
        ("辛", good[2], "", "", ""),  # 9 good (no region column value)
        ("壬", good[3], "", "", ""),  # 10 sold_out: quantity 3
        ("癸", "12345", "", "", ""),  # 11 invalid_id_number: length
        ("子", "32020219900230123" + "0", "", "", ""),  # 12 invalid_id_number: 30 February
    ]
    header = "姓名,身份证号,手机号,班级,地区代码"
    report = await _report(await _upload(client, token, batch["id"], _csv(rows, header).encode()))
    assert (report["total"], report["created"], report["unchanged"]) == (12, 3, 0)
    assert [(p["line"], p["code"]) for p in report["problems"]] == [
        (2, "invalid_id_number"),
        (3, "duplicate_row"),
        (4, "name_required"),
        (5, "invalid_phone"),
        (6, "wrong_region"),
        (7, "wrong_region"),
        (10, "sold_out"),
        (11, "invalid_id_number"),
        (12, "invalid_id_number"),
    ]
    assert report["rejected"] == len(report["problems"])
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p["message"]) for p in report["problems"])
    # No ID number comes back in the report.
    assert not any(n in json.dumps(report) for n in good)

    assert await Voucher.filter(batch_id=batch["id"]).count() == 3
    assert (await Batch.get(id=batch["id"])).remaining == 0
    holders = {await _id_of(svc, v) for v in await Voucher.filter(batch_id=batch["id"]).prefetch_related("person")}
    assert holders == set(good[:3])


async def _id_of(svc, voucher: Voucher) -> str:
    return svc.keys.decrypt(voucher.person.id_cipher, b"id")


async def test_same_file_twice_creates_nothing_new(client, svc):
    batch, token = await _targeted(client, svc, quantity=10)
    rows = [("甲", id_number(), "", ""), ("乙", id_number(), "", ""), ("丙", bad_check_digit(id_number()), "", "")]
    data = _csv(rows).encode()
    first = await _report(await _upload(client, token, batch["id"], data))
    assert (first["created"], first["unchanged"], first["rejected"]) == (2, 0, 1)
    second = await _report(await _upload(client, token, batch["id"], data))
    assert (second["created"], second["unchanged"], second["rejected"]) == (0, first["created"], 1)
    assert await Voucher.filter(batch_id=batch["id"]).count() == 2
    assert await VoucherHistory.all().count() == 2
    assert await OutboxMessage.filter(kind="voucher_issued").count() == 2
    assert (await Batch.get(id=batch["id"])).remaining == 8
    # A later file with one known and one new person adds only the new one.
    third = await _report(
        await _upload(client, token, batch["id"], _csv([rows[0], ("丁", id_number(), "", "")]).encode())
    )
    assert (third["created"], third["unchanged"]) == (1, 1)
    assert (await Batch.get(id=batch["id"])).remaining == 7


# --- refused imports -----------------------------------------------------------------------------


async def test_general_or_draft_or_closed_batch_refuses_a_roster(client, svc):
    await regions()
    token = await bureau(svc)
    data = _csv([("甲", id_number(), "", "")]).encode()
    general = await published_batch(client, token, title="通用券")
    draft = await (
        await client.post(BATCHES, json=batch_body(title="草稿", distribution="targeted"), headers=auth(token))
    ).json()
    closed = await published_batch(client, token, title="已关闭", distribution="targeted")
    assert (await client.post(f"{BATCHES}/{closed['id']}/close", headers=auth(token))).status == 200
    for batch in (general, draft, closed):
        response = await _upload(client, token, batch["id"], data)
        assert response.status == 409, await response.text()
        assert (await response.json())["error"]["code"] == "batch_state_conflict"
    assert await Voucher.all().count() == 0


async def test_other_region_cannot_import_and_unknown_batch_is_404(client, svc):
    batch, _ = await _targeted(client, svc)
    chongqing = await bureau(svc, "cq", "500000")
    data = _csv([("甲", id_number(), "", "")]).encode()
    response = await _upload(client, chongqing, batch["id"], data)
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "out_of_region"
    response = await _upload(client, chongqing, 999999, data)
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"
    assert (await _upload(client, "", batch["id"], data)).status == 401
    assert await Voucher.all().count() == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"", CSV),
        (b"   \r\n", CSV),
        (b"", JSON),
        (b'[{"name": ', JSON),
        (b"[" * 100_000, JSON),
        (b"name,id_number\n" + b"x" * 200_000 + b",1\n", CSV),  # a field over the CSV size limit
    ],
)  # files that are no roster at all: test_roster_not_a_roster.py
async def test_unreadable_file_is_invalid_input(client, svc, data, content_type):
    batch, token = await _targeted(client, svc)
    response = await _upload(client, token, batch["id"], data, content_type)
    assert response.status == 422, await response.text()
    error = (await response.json())["error"]
    assert error["code"] == "invalid_input"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
    assert await Voucher.all().count() == 0


async def test_file_over_max_upload_bytes_is_413(aiohttp_client, config, svc):
    small = dataclasses.replace(config, server=dataclasses.replace(config.server, max_upload_bytes=4096))
    client = await aiohttp_client(create_app(small, services=svc, manage_db=False))
    batch, token = await _targeted(client, svc)
    rows = [("某某", id_number(), "", "") for _ in range(200)]
    data = _csv(rows).encode()
    assert len(data) > 4096
    response = await _upload(client, token, batch["id"], data)
    assert response.status == 413, await response.text()
    assert (await response.json())["error"]["code"] == "payload_too_large"

    async def chunked():  # no Content-Length: the limit holds while streaming too
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    response = await _upload(client, token, batch["id"], chunked())
    assert response.status == 413, await response.text()
    assert (await response.json())["error"]["code"] == "payload_too_large"
    assert await Voucher.all().count() == 0
    # A file under the limit goes in.
    report = await _report(await _upload(client, token, batch["id"], _csv(rows[:5]).encode()))
    assert report["created"] == 5
