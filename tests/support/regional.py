"""Regional-rule scenarios through the API: bureaus of two cities, their institutions and classes,
and the configuration `make run` uses."""

from __future__ import annotations

import os
import re
import shlex
import subprocess

from peixunquan import PROJECT_ROOT
from peixunquan.config import Config, load_config
from tests.support.factories import PASSWORD, auth
from tests.support.institutions import (
    API,
    institution,
    post_scan,
    scan_body,
    scanner,
    site,
    training_class,
    voucher_payload,
)
from vouchers.identity.bureau_auth import create_bureau_user, login


def make_run_config() -> Config:
    """The configuration `peixunquan serve` gets from `make run`, in a clean environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PXQ_")}
    printed = subprocess.run(
        ["make", "-n", "-s", "run"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    [serve] = [line for line in printed.splitlines() if re.search(r"peixunquan\s+serve\b", line)]
    words = shlex.split(serve)
    assignments = dict(w.split("=", 1) for w in words[: words.index(next(w for w in words if "=" not in w))])
    path = assignments.get("PXQ_CONFIG")
    if "--config" in words:
        path = words[words.index("--config") + 1]
    return load_config(PROJECT_ROOT / path if path else None, env={})


async def bureau_of(svc, username: str, region: str) -> str:
    await create_bureau_user(username, PASSWORD, region)
    return (await login(svc, username, PASSWORD))[1]


async def claim(client, session: str, batch_id: int):
    return await client.post(f"{API}/claims", json={"batch_id": batch_id}, headers=auth(session))


async def classes(client, bureau_token: str, region: str, occupations: list[str]) -> tuple[str, list[int]]:
    """An institution of the region with one class per occupation: (scanner token, class ids)."""
    inst, commissioner = await institution(client, bureau_token, region=region)
    _, scanner_token = await scanner(client, commissioner, f"s{inst['code']}")
    site_id = (await site(client, commissioner))["id"]
    ids = [
        (await training_class(client, commissioner, [site_id], name=f"{o}培训班{i}", occupation=o))["id"]
        for i, o in enumerate(occupations)
    ]
    return scanner_token, ids


async def enrol(client, scanner_token: str, session: str, code: str, class_id: int) -> dict:
    payload = await voucher_payload(client, session, code)
    return await post_scan(client, scanner_token, scan_body(payload, "enrol", class_id))
