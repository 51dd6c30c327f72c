"""End to end, as the bureau, a trainee and an online platform would do it: the bureau registers
the platform; the platform signs its requests with its own implementation of the signature,
written here from docs/online-platforms.md with nothing but hmac and hashlib; it declares a
course, verifies and enrols the voucher the trainee presents, reports study and the assessment
result; the claim waits in the bureau's settlement queue, and the bureau approves it."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest

from jobs.delivery import Deliverer
from jobs.routes import build_routes
from jobs.wechat_routes import official_notifier
from models import AccountChannel, ChannelAccount, OutboxMessage, OutboxStatus, Voucher
from platforms.wechat.notice_links import NoticeLinks
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.wechat import WechatEnv, make_env
from vouchers.common.clock import local_date, utcnow
from vouchers.identity.sessions import open_session

API = "/api/v1"


class PlatformSide:
    """What the platform's engineers write from the document, and nothing of ours."""

    def __init__(self, client, code: str, key_id: str, secret: str) -> None:
        self.client, self.code, self.key_id, self.secret = client, code, key_id, secret

    def sign(self, method: str, path: str, query: dict[str, str], body: bytes) -> dict[str, str]:
        timestamp = str(int(time.time()))
        nonce = secrets.token_urlsafe(18)  # 24 characters of A-Z a-z 0-9 - _
        pairs = sorted((quote(k, safe="-._~"), quote(v, safe="-._~")) for k, v in query.items())
        canonical = "\n".join(
            [
                "PXQ-HMAC-SHA256",
                method,
                path,
                "&".join(f"{k}={v}" for k, v in pairs),
                self.code,
                self.key_id,
                timestamp,
                nonce,
                hashlib.sha256(body).hexdigest(),
            ]
        )
        signature = hmac.new(self.secret.encode("ascii"), canonical.encode("utf-8"), hashlib.sha256).hexdigest()
        return {
            "X-Pxq-Platform": self.code,
            "X-Pxq-Key-Id": self.key_id,
            "X-Pxq-Timestamp": timestamp,
            "X-Pxq-Nonce": nonce,
            "X-Pxq-Signature": signature,
            "Content-Type": "application/json",
        }

    async def send(self, method: str, path: str, body: dict | None = None, query: dict[str, str] | None = None):
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else b""
        url = path + ("?" + urlencode(query) if query else "")
        response = await self.client.request(method, url, data=raw, headers=self.sign(method, path, query or {}, raw))
        assert response.status == 200, await response.text()
        return await response.json()


@pytest.fixture
async def wechat(aiohttp_client, aiohttp_server, config, svc) -> WechatEnv:
    return await make_env(aiohttp_client, aiohttp_server, config, svc)


async def _deliver(wechat: WechatEnv) -> None:
    links = NoticeLinks(wechat.config.wechat.app_id, wechat.config.server.public_url)
    notifier = official_notifier(wechat.clients.official, wechat.config.wechat_official.trainee_template_id, links)
    await Deliverer(wechat.svc.redis, build_routes([notifier]), per_second=lambda _c: 0).run()


async def test_register_sign_enrol_study_complete_and_the_claim_waits_in_the_bureaus_queue(wechat: WechatEnv):
    client = wechat.client
    await regions()
    clerk = await bureau(wechat.svc)
    batch = await published_batch(client, clerk)  # electricians' training, Wuxi, 500 yuan face value
    standard = {"region": "320200", "project_type": "就业技能培训", "occupation": "电工", "amount_fen": 120_000}
    assert (await client.put(f"{API}/admin/settlement/standards", json=standard, headers=auth(clerk))).status == 200

    # The bureau registers the platform and hands its engineers the code, key id and secret.
    registered = await client.post(
        f"{API}/admin/platforms",
        json={
            "code": "3299001",
            "name": "无锡职业技能在线学习平台",
            "region": "320200",
            "address": "无锡市新吴区菱湖大道200号",
            "phone": "0510-87654321",
            "project_types": ["就业技能培训"],
            "occupations": ["电工", "焊工"],
        },
        headers=auth(clerk),
    )
    assert registered.status == 201, await registered.text()
    out = await registered.json()
    assert (out["code"], out["project_types"], out["occupations"]) == ("3299001", ["就业技能培训"], ["电工", "焊工"])
    platform = PlatformSide(client, out["code"], out["key"]["key_id"], out["key"]["secret"])
    listed = await (await client.get(f"{API}/admin/platforms", headers=auth(clerk))).json()
    assert [p["code"] for p in listed["items"]] == ["3299001"]
    assert "secret" not in json.dumps(listed)  # shown once, at registration

    course = await platform.send(
        "PUT",
        f"{API}/platform/courses/ELEC-101",
        {
            "name": "低压电工线上实操课",
            "project_type": "就业技能培训",
            "occupation": "电工",
            "start_date": (local_date(utcnow()) - timedelta(days=1)).isoformat(),
            "end_date": (local_date(utcnow()) + timedelta(days=60)).isoformat(),
            "capacity": 500,
            "required_hours": 2.5,
        },
    )
    assert (course["code"], course["required_hours"], course["enrolled"]) == ("ELEC-101", 2.5, 0)

    # A trainee claims the voucher in the mini program and follows the Official Account.
    session = await wechat.verified("alice")
    claimed = await client.post(f"{API}/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    assert claimed.status == 201, await claimed.text()
    voucher_code = (await claimed.json())["code"]
    account = await ChannelAccount.get(channel=AccountChannel.WECHAT_MINIAPP, person_id__not_isnull=True)
    official = wechat.config.wechat_official.app_id
    await open_session(
        wechat.svc, AccountChannel.WECHAT_OFFICIAL, official, wechat.follower("alice"), union_id=account.union_id
    )
    # ... and gives the platform the rotating code from the wallet.
    qr = await (await client.get(f"{API}/vouchers/{voucher_code}/qr", headers=auth(session))).json()

    verdict = await platform.send(
        "POST", f"{API}/platform/vouchers/verify", {"code": qr["payload"], "course": "ELEC-101"}
    )
    assert (verdict["voucher_code"], verdict["usable"], verdict["status"]) == (voucher_code, True, "claimed")
    assert verdict["holder_name"] == "王*明" and "*" in verdict["holder_id_number"]

    enrolled = await platform.send("POST", f"{API}/platform/enrolments", {"code": qr["payload"], "course": "ELEC-101"})
    assert (enrolled["voucher_code"], enrolled["status"], enrolled["repeated"]) == (voucher_code, "enrolled", False)
    wallet = await (await client.get(f"{API}/vouchers/{voucher_code}", headers=auth(session))).json()
    assert wallet["status"] == "enrolled"
    assert [(h["action"], h["actor_kind"]) for h in wallet["history"]][-1] == ("enrolled", "platform")

    # Study, per unit, adding up; a report sent twice counts once.
    first = {
        "report_id": "r-0001",
        "voucher": voucher_code,
        "course": "ELEC-101",
        "unit": "第一章 安全用电",
        "hours": 1,
    }
    assert (await platform.send("POST", f"{API}/platform/progress", first))["studied_hours"] == 1
    again = await platform.send("POST", f"{API}/platform/progress", first)
    assert (again["studied_hours"], again["repeated"]) == (1, True)
    second = {**first, "report_id": "r-0002", "unit": "第二章 电工仪表", "hours": 1.5}
    progress = await platform.send("POST", f"{API}/platform/progress", second)
    assert (progress["studied_hours"], progress["complete"]) == (2.5, True)
    read = await platform.send("GET", f"{API}/platform/progress", query={"voucher": voucher_code, "course": "ELEC-101"})
    assert [(u["unit"], u["hours"]) for u in read["units"]] == [("第一章 安全用电", 1), ("第二章 电工仪表", 1.5)]

    result = {
        "voucher": voucher_code,
        "course": "ELEC-101",
        "passed": True,
        "certificate_kind": "职业技能等级证书",
        "certificate_number": "S000032020000501",
        "certificate_level": "五级",
    }
    completed = await platform.send("POST", f"{API}/platform/completions", result)
    # The subsidy: the 1,200 yuan standard, capped at the voucher's 500 yuan face value.
    assert (completed["claim_status"], completed["subsidy_fen"], completed["studied_hours"]) == ("pending", 50_000, 2.5)

    queue = await client.get(f"{API}/admin/settlement/claims", params={"status": "pending"}, headers=auth(clerk))
    [claim] = (await queue.json())["items"]
    assert (claim["id"], claim["voucher_code"], claim["institution"]) == (
        completed["claim_id"],
        voucher_code,
        "无锡职业技能在线学习平台",
    )
    assert (claim["class_name"], claim["certificate_number"], claim["subsidy_fen"]) == (
        "低压电工线上实操课",
        "S000032020000501",
        50_000,
    )
    decided = await client.post(
        f"{API}/admin/settlement/claims/{claim['id']}/decision", json={"decision": "approve"}, headers=auth(clerk)
    )
    assert decided.status == 200, await decided.text()
    assert (await Voucher.get(code=voucher_code)).status == "settled"

    # The trainee was told of the online enrolment, in words that fit it.
    await _deliver(wechat)
    rows = await OutboxMessage.filter(kind="voucher_enrolled_online")
    assert [r.status for r in rows] == [OutboxStatus.SENT]
    phrases = [m["data"]["phrase2"]["value"] for m in wechat.sandbox.sent_to(wechat.follower("alice"))]
    assert "线上报名" in phrases and "已结业" in phrases
