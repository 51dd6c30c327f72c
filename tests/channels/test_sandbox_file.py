"""Issue 17 item 10: the sandboxes' state file survives concurrent writes and restarts."""

from __future__ import annotations

import json
import threading

from channels.sandbox_file import SandboxFile
from channels.wechat.sandbox import STATE, create_sandbox

APPS = {"wxmini": "s1", "wxofficial": "s2"}


def test_concurrent_writes_leave_one_whole_file(tmp_path) -> None:
    store = SandboxFile(tmp_path / "sandbox" / "state.json")
    threads = [
        threading.Thread(target=lambda n=n: [store.save({"writer": n, "sent": list(range(500))}) for _ in range(20)])
        for n in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    data = json.loads((tmp_path / "sandbox" / "state.json").read_text(encoding="utf-8"))
    assert data["writer"] in range(8) and data["sent"] == list(range(500))
    assert [p.name for p in (tmp_path / "sandbox").iterdir()] == ["state.json"]  # no stray temporary files


async def test_a_restarted_wechat_sandbox_knows_its_users_followers_and_consents(aiohttp_client, tmp_path) -> None:
    path = str(tmp_path / "wechat.json")
    first = await aiohttp_client(create_sandbox(APPS, state_file=path))
    follow = await (await first.post("/sandbox/follow", json={"user": "wang"})).json()
    consent = await first.post("/sandbox/subscribe", json={"user": "wang", "template_id": "t1", "count": 2})
    assert follow["errcode"] == 0 and (await consent.json())["errcode"] == 0
    login = await first.get(
        "/sns/jscode2session",
        params={"appid": "wxmini", "secret": "s1", "js_code": "sandboxwang.x1", "grant_type": "authorization_code"},
    )
    openid = (await login.json())["openid"]
    await first.close()

    state = create_sandbox(APPS, state_file=path)[STATE]
    assert state.users[("wxmini", openid)] == "wang"
    assert ("wxofficial", follow["openid"]) in state.followers
    assert state.consents[("wxmini", openid, "t1")] == 2
    assert "sandboxwang.x1" in state.used_codes  # a code stays used, as on WeChat
