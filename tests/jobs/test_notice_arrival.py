"""Every notice any use case writes arrives at its reader through the worker as production wires it
(`peixunquan.worker_setup.build_jobs`: its sweep, card-pack and delivery jobs), after the real
action that writes it:

- a trainee's notice in the Alipay sandbox's messages, to the trainee's Alipay user, with the
  batch's title and the words of what happened (the trainee here uses Alipay only, so the WeChat
  mini program cannot take it first);
- a card-pack change in the Alipay sandbox's passes;
- an institution's notice at its webhook receiver (signature checked there) and, as a template
  message of the Official Account, on the phone of the staff member who bound WeChat by scanning
  the portal's QR code in the WeChat sandbox.

`CASES` maps each kind to the scenario that writes it; a kind written anywhere in the source
(tests/jobs/test_outbox_routes.py finds them) without a case fails `test_every_kind_has_a_case`.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from channels.alipay.sandbox import SandboxAlipay
from models import Lesson, OutboxMessage, OutboxStatus, Voucher
from peixunquan.appkeys import WECHAT_SANDBOX
from peixunquan.config import Config
from peixunquan.worker_setup import build_jobs
from tests.jobs.test_outbox_routes import THROUGH_PARAMETERS, written_kinds
from tests.support.alipay import AlipayEnv, on_port
from tests.support.catalogue import open_class
from tests.support.factories import auth, bureau, id_number, published_batch, regions
from tests.support.institutions import (
    API,
    STAFF_PASSWORD,
    post_scan,
    scan_body,
    setup_institution,
    voucher_payload,
)
from tests.support.platforms import course, register
from tests.support.qr import forged
from tests.support.settlement import STANDARD, decide, passed, submit
from tests.support.webhooks import WEBHOOK_SECRET
from vouchers.common.clock import LOCAL_TZ, utcnow
from vouchers.common.policy import Policy, PolicyRule
from vouchers.qr import codes as qr
from vouchers.qr.keys import QrKeyRing
from vouchers.services import Services

FOLLOWER = "frontdesk"  # the staff member's WeChat user in the sandbox


@dataclass
class World:
    """The app on a real port with both platform sandboxes mounted, a bureau, an institution whose
    webhook and one staff member's WeChat are set up, and the worker's production jobs."""

    env: AlipayEnv
    config: Config
    svc: Services
    hook: tuple[str, list[dict[str, Any]]]
    trainees: dict[str, str] = field(default_factory=dict)  # session -> Alipay user
    _bureau: str | None = None
    _institution: dict[str, Any] | None = None

    @property
    def http(self):
        return self.env.http

    @property
    def alipay(self) -> SandboxAlipay:
        return self.env.sandbox

    @property
    def wechat(self):
        from channels.wechat.sandbox import STATE

        return self.http.app[WECHAT_SANDBOX][STATE]

    async def bureau(self) -> str:
        if self._bureau is None:
            await regions()
            self._bureau = await bureau(self.svc)
            r = await self.http.put(f"{API}/admin/settlement/standards", json=STANDARD, headers=auth(self._bureau))
            assert r.status == 200, await r.text()
        return self._bureau

    async def batch(self, **overrides: Any) -> dict[str, Any]:
        return await published_batch(self.http, await self.bureau(), **overrides)

    async def institution(self) -> dict[str, Any]:
        """Its class has a lesson open now; its webhook is the receiver; its scanning member has
        bound WeChat (the Official Account) from the portal's QR code."""
        if self._institution is None:
            env = await setup_institution(self.http, await self.bureau())
            url, _ = self.hook
            hook = {"url": url, "secret": WEBHOOK_SECRET}
            r = await self.http.put(f"{API}/institution/webhook", json=hook, headers=auth(env["commissioner"]))
            assert r.status == 200, await r.text()
            r = await self.http.post(f"{API}/institution/wechat/binding-qr", headers=auth(env["scanner"]))
            assert r.status in (200, 201), await r.text()
            ticket = list(self.wechat.qrcodes)[-1]  # what the phone reads from the QR image
            scanned = await self.http.post(
                "/_sandbox/wechat/sandbox/scan-qrcode", json={"user": FOLLOWER, "ticket": ticket}
            )
            assert "绑定成功" in (await scanned.json())["reply"]
            self._institution = env
        return self._institution

    async def trainee(self, number: str | None = None) -> str:
        """A trainee verified in Alipay who allowed the voucher notices (several times)."""
        user = f"t{secrets.token_hex(4)}"
        session = await self.env.verified_login(user, name="李四", number=number or id_number())
        template = self.config.alipay.voucher_template_id
        for _ in range(8):
            r = await self.http.post(
                "/api/v1/alipay/subscriptions", json={"results": {template: "accept"}}, headers=auth(session)
            )
            assert r.status == 200, await r.text()
        self.trainees[session] = user
        return session

    async def claim(self, session: str, batch_id: int) -> str:
        r = await self.http.post(f"{API}/claims", json={"batch_id": batch_id}, headers=auth(session))
        assert r.status == 201, await r.text()
        return (await r.json())["code"]

    async def claimed(self, **batch: Any) -> tuple[str, str, dict[str, Any]]:
        """(session, voucher code, batch) of a new trainee's claim."""
        b = await self.batch(**batch)
        session = await self.trainee()
        return session, await self.claim(session, b["id"]), b

    async def enrol(
        self, session: str, code: str, checkin: bool = False, class_id: int | None = None
    ) -> dict[str, Any]:
        env = await self.institution()
        payload = await voucher_payload(self.http, session, code)
        class_id = class_id or env["class"]["id"]
        answer = await post_scan(self.http, env["scanner"], scan_body(payload, "enrol", class_id))
        assert answer["result"] == "ok", answer
        if checkin:
            answer = await post_scan(self.http, env["scanner"], scan_body(payload, "checkin", env["class"]["id"]))
            assert answer["result"] == "ok", answer
        return env

    async def run_worker(self) -> None:
        """The production jobs, until nothing is left to send: a row the worker set for later
        (a reminder's hour, a pass waiting for its template) is made due, as time would."""
        async with aiohttp.ClientSession() as http:
            jobs = {job.name: job for job in build_jobs(self.config, self.svc, http)}
            for _ in range(6):
                for name in ("sweep", "alipay_card_pack_sync", "deliver"):
                    await jobs[name].run(self.svc)
                due = OutboxMessage.filter(status=OutboxStatus.PENDING)
                if not await due.exists():
                    break
                await due.update(next_attempt_at=utcnow() - timedelta(seconds=1))
        # Every row reached its reader: none waits, none died (a refused field, no route, no channel).
        left = await OutboxMessage.filter(status__not=OutboxStatus.SENT).values_list("kind", "status", "last_error")
        assert left == [], f"not delivered: {left}"

    # --- what the readers have --------------------------------------------------------------

    def trainee_messages(self, session: str) -> list[dict[str, Any]]:
        to = self.alipay.open_id(self.trainees[session])
        return [m for m in self.alipay.messages if m["to"] == to]

    def webhook_events(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.hook[1] if e["event"] == kind]

    def staff_messages(self) -> list[dict[str, Any]]:
        app_id = self.config.wechat_official.app_id
        return self.wechat.sent_to(self.wechat.openid(app_id, FOLLOWER))


Scenario = Callable[[World], Awaitable[Callable[[], None]]]
CASES: dict[str, Scenario] = {}


def case(*kinds: str) -> Callable[[Scenario], Scenario]:
    def register_case(scenario: Scenario) -> Scenario:
        for kind in kinds:
            assert kind not in CASES, kind
            CASES[kind] = scenario
        return scenario

    return register_case


def told(world: World, session: str, batch_title: str, what: str, hint: str = "") -> Callable[[], None]:
    """The check that the trainee read `what` about this batch's voucher."""

    def check() -> None:
        messages = world.trainee_messages(session)
        seen = [(m["data"]["keyword1"]["value"], m["data"]["keyword2"]["value"]) for m in messages]
        assert (batch_title, what) in seen, seen
        if hint:
            hints = [m["data"]["keyword4"]["value"] for m in messages]
            assert any(hint in h for h in hints), hints

    return check


def institution_told(world: World, kind: str, title: str, **fields: Any) -> Callable[[], None]:
    """The webhook got the event with `fields`; the bound staff member read `title`."""

    def check() -> None:
        [event] = world.webhook_events(kind)
        assert {k: event[k] for k in fields} == fields, event
        titles = [m["data"]["thing1"]["value"] for m in world.staff_messages()]
        assert title in titles, titles
        sent = next(m for m in world.staff_messages() if m["data"]["thing1"]["value"] == title)
        assert sent["template_id"] == world.config.wechat_official.staff_template_id
        assert all(v["value"] for v in sent["data"].values())  # WeChat refuses an empty field

    return check


# --- the trainee's notices -----------------------------------------------------------------------


@case("voucher_claimed", "alipay_pass_template", "alipay_pass_add")
async def claimed(world: World):
    session, code, b = await world.claimed(title="2026年无锡市职业培训券")

    def check() -> None:
        told(world, session, b["title"], "领取成功")()
        card = world.alipay.passes[code]
        assert card["status"] == "ACTIVE" and card["user_id"] == world.alipay.open_id(world.trainees[session])

    return check


@case("voucher_issued")
async def issued(world: World):
    number = id_number()
    session = await world.trainee(number)  # bound in Alipay before the bureau imports the roster
    b = await world.batch(
        title="无锡企业职工定向券",
        distribution="targeted",
        value_mode="deduction",
        face_value_fen=None,
        eligible_groups=["企业职工"],
    )
    roster = f"name,id_number,phone,class\r\n李四,{number},,电工一班\r\n".encode()
    r = await world.http.post(
        f"{API}/admin/batches/{b['id']}/roster",
        data=roster,
        headers={**auth(await world.bureau()), "Content-Type": "text/csv"},
    )
    assert r.status == 200, await r.text()
    return told(world, session, b["title"], "已发放")


@case("voucher_enrolled", "institution_enrolment", "webhook_notice", "staff_notice", "alipay_pass_update")
async def enrolled(world: World):
    session, code, b = await world.claimed()
    await world.run_worker()  # the pass is in the card pack before the voucher is used
    await world.enrol(session, code)

    def check() -> None:
        told(world, session, b["title"], "已报名")()
        institution_told(world, "institution_enrolment", "学员报名成功", voucher_code=code)()
        assert world.alipay.passes[code]["status"] == "USED"  # the card pack shows it used

    return check


@case("voucher_enrolled_online")
async def enrolled_online(world: World):
    session, code, b = await world.claimed()
    platform, _ = await register(world.http, await world.bureau())
    await course(platform)
    payload = await voucher_payload(world.http, session, code)
    await platform.ok("POST", f"{API}/platform/enrolments", {"code": payload, "course": "ELEC-101"})
    return told(world, session, b["title"], "线上报名")


@case("voucher_revoked")
async def revoked(world: World):
    session, code, b = await world.claimed()
    r = await world.http.post(
        f"{API}/admin/vouchers/{code}/revoke", json={"reason": "重复领取"}, headers=auth(await world.bureau())
    )
    assert r.status == 200, await r.text()
    return told(world, session, b["title"], "已作废")


@case("voucher_returned")
async def returned(world: World):
    session, code, b = await world.claimed()
    r = await world.http.post(f"{API}/vouchers/{code}/return", headers=auth(session))
    assert r.status == 200, await r.text()
    return told(world, session, b["title"], "已退券")


@case("voucher_expiring", "institution_digest")
async def expiring(world: World):
    # One voucher 7 days from its end (the trainee's reminder), one enrolled voucher 3 days from
    # its end (the institution's digest of trainees whose vouchers end soon).
    session, code, b = await world.claimed()
    await Voucher.filter(code=code).update(valid_until=_local_midnight_in(7))
    other, enrolled_code, _ = await world.claimed()
    await world.enrol(other, enrolled_code)
    await Voucher.filter(code=enrolled_code).update(valid_until=_local_midnight_in(3))

    def check() -> None:
        told(world, session, b["title"], "即将过期", "7")()
        institution_told(world, "institution_digest", "学员培训券即将到期")()
        [event] = world.webhook_events("institution_digest")
        assert [t["voucher_code"] for t in event["trainees"]] == [enrolled_code]

    return check


@case("voucher_expired")
async def expired(world: World):
    session, code, b = await world.claimed()
    await Voucher.filter(code=code).update(valid_until=utcnow() - timedelta(minutes=1))
    return told(world, session, b["title"], "已过期")


@case("voucher_voided")
async def voided(world: World):
    # Wuxi's rule here: a voucher enrolled but not completed by its deadline is void.
    world.svc.policy = Policy(regions={"320200": PolicyRule(void_uncompleted_at_deadline=True)})
    session, code, b = await world.claimed()
    await world.enrol(session, code)
    await Voucher.filter(code=code).update(valid_until=utcnow() - timedelta(minutes=1))
    return told(world, session, b["title"], "已失效")


@case("voucher_completed", "voucher_settled", "institution_settlement")
async def settled(world: World):
    session, code, b = await world.claimed()
    env = await world.enrol(session, code, checkin=True)
    env["bureau"] = await world.bureau()
    await submit(world.http, env, [passed(code)])
    [claim] = (await (await world.http.get(f"{API}/admin/settlement/claims", headers=auth(env["bureau"]))).json())[
        "items"
    ]
    r = await decide(world.http, env, claim["id"], decision="approve")
    assert r.status == 200, await r.text()

    def check() -> None:
        told(world, session, b["title"], "已结业", "评价")()
        told(world, session, b["title"], "已核销")()
        institution_told(world, "institution_settlement", "结算审核通过", voucher_code=code)()

    return check


async def signed_up(world: World) -> tuple[str, str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(session, code, batch, institution, sign-up) of a trainee who signed up for a class that
    starts today (the registration day)."""
    session, code, b = await world.claimed()
    env = await world.institution()
    today = await open_class(world.http, env["commissioner"], [env["site"]["id"]], days=0, name="今日开班电工班")
    r = await world.http.post(
        f"{API}/signups", json={"class_id": today["id"], "voucher_code": code}, headers=auth(session)
    )
    assert r.status == 201, await r.text()
    return session, code, b, env, await r.json()


@case("signup_confirmed", "institution_signup")
async def signup_confirmed(world: World):
    session, code, b, _, signup = await signed_up(world)
    await world.enrol(session, code, class_id=signup["training_class"]["id"])  # the registration scan confirms it

    def check() -> None:
        told(world, session, b["title"], "报名已确认")()
        institution_told(world, "institution_signup", "新的线上报名", voucher_code=code)()

    return check


@case("signup_declined")
async def signup_declined(world: World):
    session, _, b, env, signup = await signed_up(world)
    r = await world.http.post(
        f"{API}/institution/signups/{signup['id']}/decline",
        json={"reason": "本期名额已满"},
        headers=auth(env["commissioner"]),
    )
    assert r.status == 200, await r.text()
    return told(world, session, b["title"], "报名被婉拒", "本期名额已满")


# --- the institution's notices ---------------------------------------------------------------------


@case("institution_anomaly")
async def anomaly(world: World):
    session, code, _ = await world.claimed()
    env = await world.institution()
    tampered = forged(await voucher_payload(world.http, session, code))
    answer = await post_scan(world.http, env["scanner"], scan_body(tampered, "verify"))
    assert answer["reason"] == "qr_invalid"
    return institution_told(world, "institution_anomaly", "签到异常提醒", anomaly="qr_invalid")


@case("institution_daily_summary")
async def daily_summary(world: World):
    session, code, _ = await world.claimed()
    env = await world.enrol(session, code, checkin=True)
    # The check-in was in yesterday's lesson: the summary of yesterday is sent today.
    yesterday = datetime.now(LOCAL_TZ).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=1)
    await Lesson.filter(id=env["lesson"]["id"]).update(starts_at=yesterday.astimezone(UTC))
    return institution_told(world, "institution_daily_summary", "培训班每日签到汇总", class_id=env["class"]["id"])


@case("institution_login_lockout")
async def login_lockout(world: World):
    env = await world.institution()
    username = f"c{env['institution']['code']}"
    for _ in range(world.config.security.login_max_failures):
        wrong = {"username": username, "password": "wrong-password"}
        await world.http.post(f"{API}/institution/login", json=wrong)
    right = {"username": username, "password": STAFF_PASSWORD}
    assert (await world.http.post(f"{API}/institution/login", json=right)).status == 429
    return institution_told(world, "institution_login_lockout", "账号登录锁定提醒", username=username)


@case("institution_offline_refused")
async def offline_refused(world: World):
    session, code, _ = await world.claimed()
    env = await world.enrol(session, code)
    r = await world.http.post(
        f"{API}/admin/vouchers/{code}/revoke", json={"reason": "重复领取"}, headers=auth(await world.bureau())
    )
    assert r.status == 200, await r.text()
    at = utcnow() - timedelta(minutes=1)
    scan = {
        "payload": qr.sign(world.svc.qr, qr.VOUCHER, code, now=at.timestamp()).payload,
        "action": "checkin",
        "class_id": env["class"]["id"],
        "nonce": f"offline-{secrets.token_hex(4)}",
        "scanned_at": at.isoformat(),
    }
    r = await world.http.post(
        f"{API}/scans/offline", json={"device": "离线扫码枪-1", "scans": [scan]}, headers=auth(env["scanner"])
    )
    assert r.status == 200 and (await r.json())["refused"] == 1, await r.text()
    return institution_told(world, "institution_offline_refused", "离线扫码有 1 条未计入")


@case("alipay_pass_resign")
async def pass_resigned(world: World):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _, code, _ = await world.claimed()
    await world.run_worker()
    # A new signing key (a restart with one more key file): the pass in the card pack is signed again.
    world.svc.qr = QrKeyRing(world.svc.qr.keys | {"ZNEWER": Ed25519PrivateKey.generate()})

    def check() -> None:
        shown = world.alipay.passes[code]["shown"]["operation"][0]["message"]
        assert shown.split(".")[4] == "ZNEWER" and world.alipay.passes[code]["status"] == "ACTIVE"

    return check


def _local_midnight_in(days: int) -> datetime:
    """The end of the local day `days - 1` days from today: `days` days left, today included."""
    today = datetime.now(LOCAL_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    return (today + timedelta(days=days)).astimezone(UTC)


# --- the tests -------------------------------------------------------------------------------------


def test_every_kind_has_a_case() -> None:
    kinds, _ = written_kinds()
    assert sorted((kinds | THROUGH_PARAMETERS) - set(CASES)) == []
    assert sorted(set(CASES) - (kinds | THROUGH_PARAMETERS)) == []  # no case for a kind nobody writes


@pytest.fixture
async def world(alipay: AlipayEnv, config, svc, webhook_receiver) -> World:
    return World(alipay, on_port(config, alipay.http.port), svc, webhook_receiver)


@pytest.mark.parametrize("kind", sorted(CASES))
async def test_the_notice_arrives(world: World, kind: str) -> None:
    check = await CASES[kind](world)
    await world.run_worker()
    assert await OutboxMessage.filter(kind=kind, status=OutboxStatus.SENT).exists(), kind
    check()
