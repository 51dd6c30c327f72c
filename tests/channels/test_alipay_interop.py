"""Interoperability with an independent Alipay implementation, PyPI `python-alipay-sdk`.

It installs a top-level package named `alipay`, like alipay-sdk-python, so it never enters our
environment: it is installed with `pip install --target` into a directory of its own (under the
venv, once) and run in a subprocess with that directory first on PYTHONPATH. If it cannot be
installed the test fails: it never skips silently.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from channels.alipay import keys
from channels.alipay.client import AlipayClient
from models import AccountChannel, AlipayNotification, ChannelAccount
from peixunquan.appkeys import CONFIG
from tests.support.alipay import AlipayEnv

OTHER = "python-alipay-sdk==3.4.0"
OTHER_DIR = Path(sys.prefix) / "interop" / "python-alipay-sdk-3.4.0"


@pytest.fixture(scope="session")
def other_library() -> Path:
    marker = OTHER_DIR / ".complete"
    if not marker.exists():
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--target",
                str(OTHER_DIR),
                OTHER,
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            pytest.fail(f"cannot install {OTHER} for the interoperability test:\n{result.stderr[-2000:]}")
        marker.touch()
    return OTHER_DIR


def run_other(library: Path, script: str, data: dict[str, Any]) -> Any:
    """Run `script` with python-alipay-sdk importable as `alipay`; it reads JSON on stdin."""
    env = {**os.environ, "PYTHONPATH": str(library)}
    result = subprocess.run(
        [sys.executable, "-c", "import json, sys\ndata = json.load(sys.stdin)\n" + script],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


SIGN_NOTIFICATION = """
import alipay
assert hasattr(alipay, "AliPay"), alipay.__file__  # the other library, not alipay-sdk-python
signer = alipay.AliPay(appid=data["app_id"], app_private_key_string=data["private_key"],
                       alipay_public_key_string=data["public_key"], sign_type="RSA2")
signed = signer.sign_data(dict(data["params"]))  # sorted k=v of every field, URL-quoted, plus sign
print(json.dumps(signed + "&sign_type=RSA2"))
"""

VERIFY_REQUEST = """
import alipay
from urllib.parse import unquote_plus
params = dict(data["params"])
sign = params.pop("sign")
verifier = alipay.AliPay(appid=params["app_id"], app_private_key_string=data["private_key"],
                         alipay_public_key_string=data["public_key"], sign_type="RSA2")
message = "&".join("{}={}".format(k, v) for k, v in verifier._ordered_data(dict(params)))
resigner = alipay.AliPay(appid=params["app_id"], app_private_key_string=data["private_key"],
                         alipay_public_key_string=data["public_key"], sign_type="RSA2")
resigned = unquote_plus(resigner.sign_data(dict(params)).rsplit("&sign=", 1)[1])
print(json.dumps({"verified": verifier._verify(message, sign), "same_sign": resigned}))
"""


async def test_a_notification_signed_by_the_other_library_is_accepted_and_a_tampered_copy_refused(
    alipay: AlipayEnv, other_library: Path
) -> None:
    await alipay.verified_login("zhaoliu")
    params = {
        "notify_id": "interop-0001",
        "notify_time": "2026-11-21 20:00:00",
        "app_id": alipay.client.settings.app_id,
        "charset": "utf-8",
        "version": "1.1",
        "msg_method": "alipay.open.auth.userauth.cancelled",
        "biz_content": json.dumps(
            {"open_id": alipay.sandbox.open_id("zhaoliu"), "reason": "用户取消"}, ensure_ascii=False
        ),
        "memo": "",  # empty values are signed too
    }
    public = keys.public_of(alipay.sandbox.private_key)
    body = run_other(
        other_library,
        SIGN_NOTIFICATION,
        {"app_id": params["app_id"], "private_key": alipay.sandbox.private_key, "public_key": public, "params": params},
    )
    tampered = body.replace("interop-0001", "interop-0002")
    answer = await alipay.http.post("/alipay/notify", data=tampered.encode("ascii"))
    assert answer.status == 400 and await answer.text() != "success"
    assert (await ChannelAccount.get(channel=AccountChannel.ALIPAY)).person_id is not None

    answer = await alipay.http.post("/alipay/notify", data=body.encode("ascii"))
    assert (answer.status, await answer.text()) == (200, "success")
    assert (await ChannelAccount.get(channel=AccountChannel.ALIPAY)).person_id is None
    assert await AlipayNotification.filter(notify_id="interop-0001").exists()


async def test_our_request_signatures_verify_with_the_other_library(alipay: AlipayEnv, other_library: Path) -> None:
    from alipay.aop.api.domain.AlipayUserCertifyOpenQueryModel import AlipayUserCertifyOpenQueryModel
    from alipay.aop.api.request.AlipayUserCertifyOpenQueryRequest import AlipayUserCertifyOpenQueryRequest

    client: AlipayClient = alipay.client
    model = AlipayUserCertifyOpenQueryModel()
    model.certify_id = "证件-0001"
    common, business = client.signed_params(AlipayUserCertifyOpenQueryRequest(model))
    ours = keys.private_key_pkcs1(
        Path(alipay.http.app[CONFIG].alipay.app_private_key_path).read_text()  # noqa: ASYNC240 - a test
    )
    result = run_other(
        other_library,
        VERIFY_REQUEST,
        {"params": common | business, "private_key": ours, "public_key": keys.public_of(ours)},
    )
    assert result == {"verified": True, "same_sign": common["sign"]}
    # and a changed parameter no longer verifies there either
    forged = common | business | {"timestamp": "2020-01-01 00:00:00"}
    result = run_other(
        other_library, VERIFY_REQUEST, {"params": forged, "private_key": ours, "public_key": keys.public_of(ours)}
    )
    assert result["verified"] is False
