"""Settlement: completion results row by row, subsidy computation, approval and rejection."""

from __future__ import annotations

import asyncio

from models import (
    Certificate,
    OutboxMessage,
    Payee,
    SettlementClaim,
    Voucher,
    VoucherHistory,
)
from tests.support.factories import auth, id_number, trainee
from tests.support.institutions import API, claimed_voucher
from tests.support.settlement import class_over, decide, enrolled, passed, settlement_env, submit
from tests.support.webhooks import WEBHOOK_SECRET


async def test_completion_is_checked_and_reported_row_by_row(client, svc):
    env = await settlement_env(client, svc, trainees=2)
    a, b = env["trainees"]
    # One trainee enrolled but never checked in, one who claimed but never enrolled.
    session, absent = await claimed_voucher(client, svc, env["batch"]["id"])
    await enrolled(client, env, session, absent, checkin=False)
    _, stranger = await claimed_voucher(client, svc, env["batch"]["id"])
    csv_text = (
        "身份证号,考核结果,证书类别,证书编号,等级\n"
        f"{a['id_number']},合格,职业技能等级证书,CERT-A,五级\n"
        f"{b['id_number']},不合格,,,\n"
        f"{id_number()},合格,职业技能等级证书,CERT-X,五级\n"
    )
    report = await submit(client, env, csv_text, "text/csv")
    assert (report["total"], report["created"], report["rejected"]) == (3, 2, 1)
    # Line numbers as a spreadsheet shows them: the header is row 1.
    assert report["problems"] == [{"line": 4, "code": "not_in_class", "message": "该学员未以培训券报名此培训班"}]
    ok = {r["voucher_code"]: r for r in report["rows"]}
    # 1,200 yuan standard x 100 %, capped at the voucher's 500 yuan face value.
    assert ok[a["code"]]["passed"] is True and ok[a["code"]]["subsidy_fen"] == 50_000
    assert ok[b["code"]]["passed"] is False and ok[b["code"]]["subsidy_fen"] == 0

    report = await submit(
        client,
        env,
        [
            passed(absent),
            passed(stranger),
            passed(a["code"]),
            {"voucher": b["code"], "passed": "maybe"},
            {"voucher": b["code"], "passed": True},
        ],
    )
    assert {p["line"]: p["code"] for p in report["problems"]} == {
        1: "no_attendance",
        2: "not_in_class",
        3: "already_submitted",
        4: "invalid_input",
        5: "duplicate_row",
    }
    assert report["created"] == 0

    for t, status in ((a, "completed"), (b, "completed")):
        voucher = await Voucher.get(code=t["code"])
        assert voucher.status == status
        assert await VoucherHistory.exists(voucher_id=voucher.id, action="completed", actor_kind="institution")
        assert await OutboxMessage.exists(voucher_id=voucher.id, kind="voucher_completed")
    assert (await Voucher.get(code=absent)).status == "enrolled"
    claims = {c.voucher_id: c for c in await SettlementClaim.all()}
    assert sorted(c.status for c in claims.values()) == ["failed", "pending"]


async def test_a_pass_needs_a_certificate_and_a_standard(client, svc):
    env = await settlement_env(client, svc, trainees=1, occupation=None)
    [t] = env["trainees"]
    report = await submit(client, env, [{"voucher": t["code"], "passed": "合格"}])
    assert report["problems"][0]["code"] == "certificate_required"
    # The bureau has a standard for electricians only at level 四级: none applies to 五级.
    from models import SubsidyStandard

    await SubsidyStandard.filter(level="").update(level="四级")
    report = await submit(client, env, [passed(t["code"])])
    assert report["problems"][0]["code"] == "no_subsidy_standard"
    assert (await Voucher.get(code=t["code"])).status == "enrolled"


async def test_subsidy_is_standard_times_group_ratio_in_fen_from_the_nearest_region(client, svc):
    env = await settlement_env(client, svc, trainees=2, face_value_fen=None, value_mode="deduction")
    a, b = env["trainees"]
    h = auth(env["bureau"])
    # The level-specific standard wins over "any level"; the province is not Wuxi's to set.
    assert (
        await client.put(
            f"{API}/admin/settlement/standards",
            json={
                "region": "320200",
                "project_type": "就业技能培训",
                "occupation": "电工",
                "level": "四级",
                "amount_fen": 180_001,
            },
            headers=h,
        )
    ).status == 200
    r = await client.put(
        f"{API}/admin/settlement/standards",
        json={"region": "320000", "project_type": "就业技能培训", "amount_fen": 1},
        headers=h,
    )
    assert r.status == 403  # the province is above Wuxi's bureau
    r = await client.put(
        f"{API}/admin/settlement/ratios",
        json={"region": "320200", "eligible_group": "失业人员", "ratio_permille": 800},
        headers=h,
    )
    assert r.status == 200
    report = await submit(client, env, [passed(a["code"], level="四级"), passed(b["code"], level="五级")])
    subsidy = {r["voucher_code"]: r["subsidy_fen"] for r in report["rows"]}
    assert subsidy == {a["code"]: 180_001 * 800 // 1000, b["code"]: 120_000 * 800 // 1000}
    standards = await (await client.get(f"{API}/admin/settlement/standards", headers=h)).json()
    assert {s["level"] for s in standards["standards"]} == {"", "四级"}
    assert standards["ratios"] == [
        {
            "region": "320200",
            "region_name": "无锡市",
            "eligible_group": "失业人员",
            "ratio_permille": 800,
            "effective_year": 2021,
        }
    ]


async def test_approval_settles_records_payee_archives_certificate_and_notifies(client, svc):
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    report = await submit(client, env, [passed(t["code"], number="3202001234")])
    claim_id = report["rows"][0]["claim_id"]

    queue = await (
        await client.get(f"{API}/admin/settlement/claims?status=pending", headers=auth(env["bureau"]))
    ).json()
    [item] = queue["items"]
    assert item["id"] == claim_id and item["holder_name"] == "李*" and "*" * 10 in item["id_number"]
    assert item["subsidy_fen"] == 50_000 and item["class_name"] == env["class"]["name"]

    # Two reviewers approve at once: settled once.
    first, second = await asyncio.gather(
        decide(client, env, claim_id, decision="approve"), decide(client, env, claim_id, decision="approve")
    )
    assert sorted([first.status, second.status]) == [200, 409]
    loser = first if first.status == 409 else second
    assert (await loser.json())["error"]["code"] == "claim_decided"

    voucher = await Voucher.get(code=t["code"])
    assert voucher.status == "settled"
    settled = await VoucherHistory.filter(voucher_id=voucher.id, action="settled")
    assert len(settled) == 1 and settled[0].actor_kind == "bureau" and settled[0].from_status == "completed"
    payee = await Payee.get(claim_id=claim_id)
    assert (payee.kind, payee.amount_fen, payee.institution_id) == ("institution", 50_000, env["institution"]["id"])
    kinds = sorted(await OutboxMessage.filter(voucher_id=voucher.id).values_list("kind", flat=True))
    assert {"voucher_settled", "institution_settlement"} <= set(kinds)
    assert kinds.count("voucher_settled") == 1
    notice = await OutboxMessage.get(voucher_id=voucher.id, kind="institution_settlement")
    assert notice.payload["institution_id"] == env["institution"]["id"] and notice.payload["decision"] == "approved"

    [cert] = await Certificate.filter(person_id=voucher.person_id)
    assert (cert.kind, cert.number, cert.level, cert.occupation) == ("职业技能等级证书", "3202001234", "五级", "电工")

    # A settled voucher cannot be submitted again.
    report = await submit(client, env, [passed(t["code"])])
    assert report["problems"][0]["code"] == "already_settled"


async def test_rejection_needs_a_reason_and_lets_the_institution_submit_again(client, svc):
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    claim_id = (await submit(client, env, [passed(t["code"], number="WRONG")]))["rows"][0]["claim_id"]
    r = await decide(client, env, claim_id, decision="reject")
    assert r.status == 422 and (await r.json())["error"]["code"] == "reason_required"
    r = await decide(client, env, claim_id, decision="reject", reason="证书编号与鉴定系统不符")
    assert r.status == 200
    body = await r.json()
    assert body["status"] == "rejected" and body["reason"] == "证书编号与鉴定系统不符"
    voucher = await Voucher.get(code=t["code"])
    assert voucher.status == "completed"
    notice = await OutboxMessage.get(voucher_id=voucher.id, kind="institution_settlement")
    assert notice.payload["decision"] == "rejected" and notice.payload["reason"] == "证书编号与鉴定系统不符"
    assert not await Certificate.exists(person_id=voucher.person_id)

    report = await submit(client, env, [passed(t["code"], number="RIGHT")])
    assert report["created"] == 1
    assert (await decide(client, env, report["rows"][0]["claim_id"], decision="approve")).status == 200
    assert (await Voucher.get(code=t["code"])).status == "settled"
    assert await Certificate.filter(person_id=voucher.person_id).values_list("number", flat=True) == ["RIGHT"]


async def test_whole_class_approval_settles_and_payment_writes_off_targeted_deduction_vouchers(client, svc):
    from tests.support.factories import bureau, published_batch, regions
    from tests.support.institutions import setup_institution
    from tests.support.settlement import STANDARD

    await regions()
    token = await bureau(svc)
    env = await setup_institution(client, token)
    env["bureau"] = token
    await client.put(f"{API}/admin/settlement/standards", json=STANDARD, headers=auth(token))
    batch = await published_batch(
        client,
        token,
        value_mode="deduction",
        face_value_fen=None,
        distribution="targeted",
        eligible_groups=["企业职工"],
    )
    people = []
    for _ in range(3):
        number = id_number()
        _, session = await trainee(svc, number=number)
        people.append((number, session))
    roster = "姓名,身份证号\n" + "".join(f"李四,{n}\n" for n, _ in people)
    r = await client.post(
        f"{API}/admin/batches/{batch['id']}/roster",
        data=roster.encode(),
        headers={**auth(token), "Content-Type": "text/csv"},
    )
    assert (await r.json())["created"] == 3
    codes = []
    for _, session in people:
        [v] = (await (await client.get(f"{API}/vouchers", headers=auth(session))).json())["items"]
        await enrolled(client, env, session, v["code"])
        codes.append(v["code"])
    report = await submit(client, env, [passed(c) for c in codes[:2]] + [{"voucher": codes[2], "passed": "不合格"}])
    assert report["created"] == 3

    r = await client.post(
        f"{API}/admin/settlement/classes/{env['class']['id']}/decision",
        json={"decision": "approve", "payee": "employer", "employer_name": "无锡某某机械有限公司"},
        headers=auth(token),
    )
    assert r.status == 200, await r.text()
    decided = (await r.json())["items"]
    assert sorted(c["voucher_code"] for c in decided) == sorted(codes[:2])
    assert all(c["status"] == "approved" and c["subsidy_fen"] == 120_000 for c in decided)
    for code in codes[:2]:
        voucher = await Voucher.get(code=code)
        assert voucher.status == "settled"
        assert await VoucherHistory.exists(voucher_id=voucher.id, action="settled")
        # Written off when the subsidy is paid, not at approval.
        assert not await VoucherHistory.exists(voucher_id=voucher.id, action="written_off")
    assert (await Voucher.get(code=codes[2])).status == "completed"  # failed: nothing to write off
    payees = await Payee.all()
    assert {(p.kind, p.employer_name, p.amount_fen) for p in payees} == {("employer", "无锡某某机械有限公司", 120_000)}
    # Again: nothing left pending, nothing settled twice.
    r = await client.post(
        f"{API}/admin/settlement/classes/{env['class']['id']}/decision",
        json={"decision": "approve"},
        headers=auth(token),
    )
    assert (await r.json())["items"] == []
    assert await Payee.all().count() == 2
    # The employer's payment list, paid: both vouchers written off.
    r = await client.post(f"{API}/admin/payment-lists", json={"region": "320200"}, headers=auth(token))
    [listed] = (await r.json())["items"]
    assert (listed["payee_name"], listed["total_fen"], listed["line_count"]) == ("无锡某某机械有限公司", 240_000, 2)
    r = await client.post(
        f"{API}/admin/payment-lists/{listed['id']}/paid", json={"payment_ref": "CB-1"}, headers=auth(token)
    )
    assert r.status == 200, await r.text()
    for code in codes[:2]:
        voucher = await Voucher.get(code=code)
        [h] = await VoucherHistory.filter(voucher_id=voucher.id, action="written_off")
        assert (h.actor_kind, h.from_status, h.to_status) == ("bureau", "settled", "settled")


async def test_other_regions_and_institutions_are_kept_out(client, svc):
    from tests.support.factories import bureau

    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    claim_id = (await submit(client, env, [passed(t["code"])]))["rows"][0]["claim_id"]
    chongqing = await bureau(svc, "cq", "500000")
    r = await client.post(
        f"{API}/admin/settlement/claims/{claim_id}/decision", json={"decision": "approve"}, headers=auth(chongqing)
    )
    assert r.status == 403
    assert (await (await client.get(f"{API}/admin/settlement/claims", headers=auth(chongqing))).json())["items"] == []
    # A scanner (not the commissioner) cannot submit results.
    r = await client.post(
        f"{API}/institution/classes/{env['class']['id']}/completion",
        json=[passed(t["code"])],
        headers=auth(env["scanner"]),
    )
    assert r.status == 403


async def test_standards_are_inherited_from_the_region_above_and_the_nearest_wins(client, svc):
    from models import SubsidyRatio, SubsidyStandard
    from tests.support.factories import regions
    from vouchers.settlement.subsidy import ratio_for, standard_for

    await regions()
    jiangyin = "320000/320200/320281"
    await SubsidyStandard.create(region_id="320000", project_type="创业培训", amount_fen=100_000)
    assert await standard_for(jiangyin, "创业培训", "电工", "五级", 2026) == 100_000  # the province's, for any level
    await SubsidyStandard.create(region_id="320200", project_type="创业培训", amount_fen=150_000)
    await SubsidyStandard.create(region_id="320000", project_type="创业培训", occupation="电工", amount_fen=90_000)
    # Nearest region first (Wuxi's "any occupation" beats the province's "电工"), then the most specific.
    assert await standard_for(jiangyin, "创业培训", "电工", "五级", 2026) == 150_000
    await SubsidyStandard.create(region_id="320200", project_type="创业培训", level="五级", amount_fen=160_000)
    assert await standard_for(jiangyin, "创业培训", "电工", "五级", 2026) == 160_000
    assert await standard_for(jiangyin, "创业培训", "电工", "四级", 2026) == 150_000
    assert await standard_for("500000", "创业培训", None, None, 2026) is None  # Chongqing has none
    await SubsidyRatio.create(region_id="320000", eligible_group="脱贫人口", ratio_permille=1200)
    assert await ratio_for(jiangyin, "脱贫人口", 2026) == 1200
    assert await ratio_for(jiangyin, "失业人员", 2026) == 1000 and await ratio_for(jiangyin, None, 2026) == 1000


async def test_a_later_years_standard_applies_from_its_year_and_the_earlier_one_before(client, svc):
    from models import SubsidyRatio, SubsidyStandard
    from tests.support.factories import regions
    from vouchers.settlement.subsidy import ratio_for, standard_for

    await regions()
    wuxi = "320000/320200"
    await SubsidyStandard.create(region_id="320200", project_type="创业培训", amount_fen=150_000, effective_year=2021)
    await SubsidyStandard.create(region_id="320200", project_type="创业培训", amount_fen=180_000, effective_year=2026)
    assert await standard_for(wuxi, "创业培训", None, None, 2025) == 150_000
    assert await standard_for(wuxi, "创业培训", None, None, 2026) == 180_000
    assert await standard_for(wuxi, "创业培训", None, None, 2027) == 180_000
    assert await standard_for(wuxi, "创业培训", None, None, 2020) is None
    await SubsidyRatio.create(region_id="320200", eligible_group="脱贫人口", ratio_permille=1200, effective_year=2027)
    assert await ratio_for(wuxi, "脱贫人口", 2026) == 1000
    assert await ratio_for(wuxi, "脱贫人口", 2027) == 1200


async def test_the_institution_reads_the_decision_in_its_staff_notice(client, svc):
    from jobs.wechat_routes import staff_notice_data

    env = await settlement_env(client, svc, trainees=2)
    a, b = env["trainees"]
    report = await submit(client, env, [passed(a["code"]), passed(b["code"])])
    first, second = (r["claim_id"] for r in report["rows"])
    assert (await decide(client, env, first, decision="approve")).status == 200
    assert (await decide(client, env, second, decision="reject", reason="证书编号有误")).status == 200
    approved = await OutboxMessage.get(kind="institution_settlement", voucher__code=a["code"])
    rejected = await OutboxMessage.get(kind="institution_settlement", voucher__code=b["code"])
    # The template's keywords only, one line of 20 characters each (WeChat's rule since May 2023).
    assert staff_notice_data(approved)["thing1"] == "结算审核通过"
    assert staff_notice_data(approved)["thing2"].startswith(f"{env['class']['name']}：券号")
    assert staff_notice_data(rejected)["thing1"] == "结算申请被驳回"
    assert all(len(v) <= 20 for v in staff_notice_data(rejected).values())


async def test_the_decision_reaches_the_institution_webhook(client, svc, webhook_receiver):
    import aiohttp

    from channels.webhook import WebhookSender
    from jobs.delivery import Deliverer
    from jobs.institution_routes import institution_routes

    url, received = webhook_receiver
    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    hook = {"url": url, "secret": WEBHOOK_SECRET}
    assert (await client.put(f"{API}/institution/webhook", json=hook, headers=auth(env["commissioner"]))).status == 200
    claim_id = (await submit(client, env, [passed(t["code"])]))["rows"][0]["claim_id"]
    assert (await decide(client, env, claim_id, decision="approve")).status == 200
    async with aiohttp.ClientSession() as http:
        deliverer = Deliverer(
            svc.redis, institution_routes(svc.keys, WebhookSender(http, allow_private=True), staff=[]), lambda _c: 0
        )
        for _ in range(3):
            await deliverer.run()
    settlement = [e for e in received if e["event"] == "institution_settlement"]
    assert len(settlement) == 1
    assert (settlement[0]["voucher_code"], settlement[0]["decision"], settlement[0]["subsidy_fen"]) == (
        t["code"],
        "approved",
        50_000,
    )


async def test_the_same_results_uploaded_twice_at_once_file_one_claim(client, svc):
    env = await settlement_env(client, svc, trainees=2)
    rows = [passed(t["code"]) for t in env["trainees"]]
    # The class ends first, once: two `class_over` at once would move its lessons twice.
    await class_over(env["class"]["id"])
    first, second = await asyncio.gather(submit(client, env, rows, ended=False), submit(client, env, rows, ended=False))
    assert first["created"] + second["created"] == 2, (first["problems"], second["problems"])
    assert sorted(p["code"] for p in first["problems"] + second["problems"]) == ["already_submitted"] * 2
    assert await SettlementClaim.all().count() == 2
    for t in env["trainees"]:
        voucher = await Voucher.get(code=t["code"])
        assert await VoucherHistory.filter(voucher_id=voucher.id, action="completed").count() == 1
