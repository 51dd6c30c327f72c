"""The yearly use limit (`max_uses_per_year`, Chongqing's "at most three uses a year"), as the
people who meet it see it: the institution's scanner and the trainee signing up for a class are
refused with its code and Chinese text; a voucher voided because its training was not completed
in time is not a use, and a use of last year does not count this year.

(The refusal at the third enrolment and at the claim is in tests/peixunquan/test_demo_policy.py.)"""

from __future__ import annotations

from datetime import timedelta

from models import Voucher, VoucherStatus
from tests.support.catalogue import open_class, post_signup
from tests.support.factories import bureau, id_number, published_batch, regions, trainee
from tests.support.institutions import institution, scanner, site, training_class
from tests.support.regional import claim, enrol
from vouchers.batches.expire import expire_vouchers
from vouchers.common.clock import utcnow
from vouchers.common.policy import Policy, PolicyRule

SCANNER_TEXT = "该学员本年度用券次数已达上限"
TRAINEE_ERROR = {"code": "yearly_limit", "message": "您本年度用券次数已达上限"}


async def test_two_uses_a_year_then_refused_until_a_use_is_voided_or_a_year_old(client, svc):
    rule = PolicyRule(max_uses_per_year=2, void_uncompleted_at_deadline=True)
    svc.policy = Policy(regions={"320200": rule})
    await regions()
    token = await bureau(svc)
    batches = [await published_batch(client, token, title=f"无锡电工券（{n}）", valid_days=400) for n in "一二三四"]
    inst, commissioner = await institution(client, token)
    _, desk = await scanner(client, commissioner, f"s{inst['code']}")
    site_id = (await site(client, commissioner))["id"]
    classes = [(await training_class(client, commissioner, [site_id], name=f"电工{n}班"))["id"] for n in range(4)]
    upcoming = await open_class(client, commissioner, [site_id], name="下月电工班")
    _, session = await trainee(svc, id_number())
    codes = []
    for batch in batches:
        r = await claim(client, session, batch["id"])
        assert r.status == 201, await r.text()
        codes.append((await r.json())["code"])

    for code, class_id in zip(codes[:2], classes[:2], strict=True):
        assert (await enrol(client, desk, session, code, class_id))["result"] == "ok"
    # The third use is refused at the desk, and the trainee cannot sign up with it either.
    refused = await enrol(client, desk, session, codes[2], classes[2])
    assert (refused["result"], refused["reason"], refused["message"]) == ("error", "yearly_limit", SCANNER_TEXT)
    r = await post_signup(client, session, upcoming["id"], codes[2])
    assert r.status == 409 and (await r.json())["error"] == TRAINEE_ERROR

    # The first training was not completed by its deadline: the worker's sweep voids the voucher
    # (Chongqing's rule), which is no use, so the third voucher may now be used.
    first = await Voucher.get(code=codes[0])
    deadline = utcnow() - timedelta(seconds=1)
    await Voucher.filter(id=first.id).update(valid_until=deadline)
    assert await expire_vouchers(utcnow(), svc.policy) == {"expired": 0, "voided": 1}
    assert (await Voucher.get(id=first.id)).status == VoucherStatus.VOIDED
    assert (await enrol(client, desk, session, codes[2], classes[2]))["result"] == "ok"
    refused = await enrol(client, desk, session, codes[3], classes[3])
    assert refused["reason"] == "yearly_limit"

    # A use of last year is not one of this year's.
    second = await Voucher.get(code=codes[1])
    await Voucher.filter(id=second.id).update(used_at=second.used_at - timedelta(days=366))
    assert (await enrol(client, desk, session, codes[3], classes[3]))["result"] == "ok"
