"""A region's rule counts the vouchers of that region only: Chongqing's "one claim per voucher
type a year" is about Chongqing's vouchers, Wuxi's "one use per occupation a year" about Wuxi's.
(Under the configuration `make run` uses, where both cities' rules are on.)"""

from __future__ import annotations

import dataclasses

import pytest

from peixunquan.config import Config
from tests.support.factories import id_number, published_batch, regions, trainee
from tests.support.regional import bureau_of, claim, classes, enrol, make_run_config


@pytest.fixture
def config(config: Config) -> Config:
    return dataclasses.replace(config, policy=make_run_config().policy)


async def test_a_wuxi_voucher_does_not_count_against_chongqings_claim_limit(client, svc):
    await regions()
    wuxi = await bureau_of(svc, "wuxi", "320200")
    chongqing = await bureau_of(svc, "chongqing", "500000")
    wuxi_batch = await published_batch(client, wuxi, title="无锡电工券", voucher_type="电工券")
    cq_batch = await published_batch(client, chongqing, title="重庆电工券", region="500000", voucher_type="电工券")
    _, session = await trainee(svc, id_number())
    assert (await claim(client, session, wuxi_batch["id"])).status == 201
    r = await claim(client, session, cq_batch["id"])
    assert r.status == 201, await r.text()


async def test_a_use_in_chongqing_does_not_count_against_wuxis_occupation_rule(client, svc):
    await regions()
    wuxi = await bureau_of(svc, "wuxi", "320200")
    chongqing = await bureau_of(svc, "chongqing", "500000")
    cq_batch = await published_batch(client, chongqing, title="重庆电工券", region="500000")
    wuxi_batch = await published_batch(client, wuxi, title="无锡电工券")
    cq_scanner, [cq_class] = await classes(client, chongqing, "500101", ["电工"])
    wuxi_scanner, [wuxi_class] = await classes(client, wuxi, "320200", ["电工"])
    _, session = await trainee(svc, id_number())
    codes = []
    for batch in (cq_batch, wuxi_batch):
        r = await claim(client, session, batch["id"])
        assert r.status == 201, await r.text()
        codes.append((await r.json())["code"])
    assert (await enrol(client, cq_scanner, session, codes[0], cq_class))["result"] == "ok"
    answer = await enrol(client, wuxi_scanner, session, codes[1], wuxi_class)
    assert (answer["result"], answer["reason"]) == ("ok", None)
