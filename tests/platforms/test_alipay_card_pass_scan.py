"""The QR on a voucher's Alipay card-pack pass, scanned at the institution's desk.

The trainee claims in Alipay, the card-pack sync and delivery put the pass in the sandbox's card
pack, and the staff scan what the pass shows: its QR image, read back by zbar.
"""

from __future__ import annotations

import time
import types
from pathlib import Path

from models import AlipayPass, ScanRecord
from peixunquan.appkeys import SERVICES
from peixunquan.config import Config
from peixunquan.runtime import load_qr_keys
from platforms.alipay.card_pack import PASS_RESIGN, sync_card_pack
from tests.support import factories
from tests.support.alipay import ID_NUMBER, NAME, AlipayEnv
from tests.support.institutions import API, post_scan, scan_body, setup_institution, voucher_payload
from tests.support.qr import decode_png, rotate_to
from vouchers.common.clock import utcnow
from vouchers.qr import codes as qr
from vouchers.qr import offline as qr_offline
from vouchers.scanning.scan import REASONS

auth = factories.auth


async def _pass_qr(alipay: AlipayEnv, code: str) -> str:
    """What the card pack shows as the pass's QR, read from the sandbox's record as Alipay has it,
    rendered as an image and read back by a real decoder (the scanner's side)."""
    r = await alipay.http.get("/_sandbox/alipay/record")
    assert r.status == 200
    record = await r.json()
    shown = record["passes"][code]
    assert shown["status"] == "ACTIVE"
    [operation] = shown["shown"]["operation"]
    assert operation["format"] == "qrcode" and operation["altText"] == code
    return decode_png(qr.png(operation["message"]))


async def test_the_card_pass_code_verifies_and_enrols_but_cannot_check_in(alipay: AlipayEnv, svc, monkeypatch):
    await factories.regions()
    bureau = await factories.bureau(svc)
    batch = await factories.published_batch(alipay.http, bureau, title="2026年无锡市职业培训券")
    env = await setup_institution(alipay.http, bureau)
    token = await alipay.verified_login("zhangsan")
    claimed = await alipay.http.post(f"{API}/claims", json={"batch_id": batch["id"]}, headers=auth(token))
    assert claimed.status == 201, await claimed.text()
    code = (await claimed.json())["code"]
    assert await sync_card_pack(utcnow(), svc.qr) == 1
    await alipay.deliver_card_pack()

    payload = await _pass_qr(alipay, code)
    assert payload.startswith(f"PXQ1.P.{code}.")
    desk, class_id = env["scanner"], env["class"]["id"]

    verified = await post_scan(alipay.http, desk, scan_body(payload, "verify"))
    assert (verified["result"], verified["reason"]) == ("ok", None), verified
    summary = verified["voucher"]
    assert summary["code"] == code and summary["status"] == "claimed"
    assert summary["title"] == "2026年无锡市职业培训券"
    assert summary["holder_name"] == "张*"  # the sandbox's 张三, masked
    assert summary["holder_id_number"] == ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:]
    assert NAME not in str(verified) and ID_NUMBER not in str(verified)

    enrolled = await post_scan(alipay.http, desk, scan_body(payload, "enrol", class_id))
    assert (enrolled["result"], enrolled["reason"]) == ("ok", None), enrolled
    assert enrolled["voucher"]["status"] == "enrolled" and enrolled["class_id"] == class_id

    # Check-in needs the rotating code from the mini program, also for an enrolled trainee.
    refused = await post_scan(alipay.http, desk, scan_body(payload, "checkin", class_id))
    assert (refused["result"], refused["reason"]) == ("error", "qr_static")
    assert refused["message"] == "卡包券码不能用于签到，请在小程序中出示动态二维码"
    rotating = await voucher_payload(alipay.http, token, code)
    checked_in = await post_scan(alipay.http, desk, scan_body(rotating, "checkin", class_id))
    assert checked_in["result"] == "ok" and checked_in["reason"] is None, checked_in

    # An altered pass code is a forgery.
    parts = payload.split(".")
    for altered in (".".join([*parts[:3], str(int(parts[3]) + 1), *parts[4:]]), payload.replace(".P.", ".V.")):
        answer = await post_scan(alipay.http, desk, scan_body(altered, "verify"))
        assert (answer["result"], answer["reason"], answer["voucher"]) == ("error", "qr_invalid", None)

    # A day later by the server's clock the pass code still scans; a rotating code is long stale.
    real_time = time.time
    later = types.SimpleNamespace(time=lambda: real_time() + 86_400)
    monkeypatch.setattr(qr, "time", later)
    monkeypatch.setattr(qr_offline, "time", later)
    alipay.http.app[SERVICES].qr.verified.clear()  # the full check, then the remembered one
    for _ in range(2):
        answer = await post_scan(alipay.http, desk, scan_body(payload, "verify"))
        assert (answer["result"], answer["reason"]) == ("ok", None), answer
    stale = await post_scan(alipay.http, desk, scan_body(rotating, "verify"))
    assert stale["reason"] == "qr_stale"
    monkeypatch.undo()

    revoked = await alipay.http.post(
        f"{API}/admin/vouchers/{code}/revoke", json={"reason": "重复领取"}, headers=auth(bureau)
    )
    assert revoked.status == 200
    for action in ("verify", "enrol"):
        answer = await post_scan(alipay.http, desk, scan_body(payload, action, class_id))
        assert (answer["result"], answer["reason"]) == ("error", "revoked"), answer
    assert set(await ScanRecord.all().values_list("reason", flat=True)) <= {None, *REASONS}


async def test_a_pass_is_signed_again_after_key_rotation_and_scans_once_the_old_key_is_retired(
    alipay: AlipayEnv, svc, config: Config
):
    """The operator rotates the QR keys (a new key file, a restart), waits for the card-pack sync
    to sign every live pass again, then retires the old key: the trainee's pass still scans."""
    keys_dir = Path(config.institutions.qr_keys_dir)
    first = svc.qr.signing_key_id
    await factories.regions()
    bureau = await factories.bureau(svc)
    batch = await factories.published_batch(alipay.http, bureau)
    env = await setup_institution(alipay.http, bureau)
    token = await alipay.verified_login("zhangsan")
    claimed = await alipay.http.post(f"{API}/claims", json={"batch_id": batch["id"]}, headers=auth(token))
    code = (await claimed.json())["code"]
    assert await sync_card_pack(utcnow(), svc.qr) == 1
    await alipay.deliver_card_pack()
    old_payload = await _pass_qr(alipay, code)
    assert old_payload.split(".")[4] == first
    assert (await AlipayPass.get(serial_number=code)).key_id == first

    second = rotate_to(keys_dir)
    svc.qr = load_qr_keys(config)  # what a restart of the server and the worker loads
    assert await sync_card_pack(utcnow(), svc.qr) == 1
    assert await sync_card_pack(utcnow(), svc.qr) == 0  # asked once, however often the sync runs
    assert await alipay.deliver_card_pack() == [PASS_RESIGN]
    payload = await _pass_qr(alipay, code)
    card = await AlipayPass.get(serial_number=code)
    assert payload.startswith(f"PXQ1.P.{code}.{card.id}.{second}.") and card.key_id == second
    assert await sync_card_pack(utcnow(), svc.qr) == 0  # in step with the signing key

    (keys_dir / f"{first}.key").rename(keys_dir / f"{first}.retired")
    svc.qr = load_qr_keys(config)
    assert first not in svc.qr.public_keys
    desk = env["scanner"]
    verified = await post_scan(alipay.http, desk, scan_body(payload, "verify"))
    assert (verified["result"], verified["reason"]) == ("ok", None), verified
    assert verified["voucher"]["code"] == code
    # What the pass showed before, signed by the retired key, no longer scans.
    stale = await post_scan(alipay.http, desk, scan_body(old_payload, "verify"))
    assert (stale["result"], stale["reason"]) == ("error", "qr_invalid")
    assert await sync_card_pack(utcnow(), svc.qr) == 0
