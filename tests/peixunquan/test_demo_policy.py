"""The regional rules of the seed regions are on in the configuration `make run` uses.

The configuration is read off `make -n run` itself, so a Makefile that stops passing it (or a
file that loses its regional tables) fails here. Wuxi: one use per occupation a year. Chongqing:
at most three uses a year and one claim per voucher type a year. Each refusal reaches the person
who meets it (the trainee claiming, the institution's scanner) with its code and Chinese text.
"""

from __future__ import annotations

import dataclasses

import pytest

from peixunquan.config import Config
from tests.support.factories import id_number, published_batch, regions, trainee
from tests.support.regional import bureau_of, claim, classes, enrol, make_run_config
from vouchers.common.clock import local_date, utcnow


@pytest.fixture
def config(config: Config) -> Config:
    return dataclasses.replace(config, policy=make_run_config().policy)


async def test_wuxi_one_use_per_occupation_a_year_under_make_run(client, svc):
    await regions()
    wuxi = await bureau_of(svc, "wuxi", "320200")
    first = await published_batch(client, wuxi, title="无锡电工券（一）")
    second = await published_batch(client, wuxi, title="无锡电工券（二）")
    any_trade = await published_batch(client, wuxi, title="无锡通用券", occupation=None)
    scanner_token, (electric_a, electric_b, welding) = await classes(client, wuxi, "320200", ["电工", "电工", "焊工"])
    _, session = await trainee(svc, id_number())

    codes = []
    for batch in (first, second, any_trade):
        r = await claim(client, session, batch["id"])
        assert r.status == 201, await r.text()  # Wuxi limits uses, not claims
        codes.append((await r.json())["code"])

    assert (await enrol(client, scanner_token, session, codes[0], electric_a))["result"] == "ok"
    refused = await enrol(client, scanner_token, session, codes[1], electric_b)
    assert (refused["result"], refused["reason"]) == ("error", "occupation_limit")
    assert refused["message"] == "该学员本年度已用券参加过同一工种培训"
    # Another occupation in the same year is a use of its own.
    assert (await enrol(client, scanner_token, session, codes[2], welding))["result"] == "ok"


async def test_chongqing_three_uses_and_one_claim_per_type_a_year_under_make_run(client, svc):
    await regions()
    chongqing = await bureau_of(svc, "chongqing", "500000")
    types = ["电工券", "焊工券", "育婴员券", "养老护理员券"]
    batches = [
        await published_batch(client, chongqing, title=f"重庆市{t}", region="500000", occupation=None, voucher_type=t)
        for t in types
    ]
    same_type = await published_batch(
        client, chongqing, title="重庆市电工券（第二批）", region="500000", occupation=None, voucher_type="电工券"
    )
    scanner_token, class_ids = await classes(client, chongqing, "500101", ["电工"] * 4)
    _, session = await trainee(svc, id_number("500101"))

    codes = []
    for batch in batches:
        r = await claim(client, session, batch["id"])
        assert r.status == 201, await r.text()
        codes.append((await r.json())["code"])
    r = await claim(client, session, same_type["id"])
    assert r.status == 409
    assert (await r.json())["error"] == {"code": "type_limit", "message": "同一类型培训券每人每年限领一次"}

    # Chongqing has no occupation rule: three 电工 classes in one year are fine, a fourth use is not.
    for code, class_id in zip(codes[:3], class_ids[:3], strict=True):
        assert (await enrol(client, scanner_token, session, code, class_id))["result"] == "ok"
    refused = await enrol(client, scanner_token, session, codes[3], class_ids[3])
    assert (refused["result"], refused["reason"]) == ("error", "yearly_limit")
    assert refused["message"] == "该学员本年度用券次数已达上限"

    # The use limit is a use-time rule. At claim time it refuses only a voucher that could be used
    # this year alone; one valid into next year can still be used then.
    year = local_date(utcnow()).year
    this_year_only = await published_batch(
        client,
        chongqing,
        title="重庆市电商券",
        region="500000",
        occupation=None,
        voucher_type="电商券",
        validity_mode="fixed_date",
        valid_days=None,
        valid_until_date=f"{year}-12-31",
    )
    r = await claim(client, session, this_year_only["id"])
    assert r.status == 409
    assert (await r.json())["error"] == {"code": "yearly_limit", "message": "您本年度用券次数已达上限"}
    into_next_year = await published_batch(
        client,
        chongqing,
        title="重庆市家政券",
        region="500000",
        occupation=None,
        voucher_type="家政券",
        valid_days=400,
    )
    r = await claim(client, session, into_next_year["id"])
    assert r.status == 201, await r.text()
