"""`peixunquan add-bureau-user`: an operator adds the first administrator, who then logs in."""

from __future__ import annotations

import asyncio

from models import BureauUser
from tests.support.cli import run_cli
from tests.support.factories import regions

PASSWORD = "first admin password"


async def test_the_first_administrator_is_added_and_logs_in(client, svc, database_url, tmp_path):
    await regions()

    def cli(*args: str, password: str = PASSWORD):
        return run_cli(tmp_path, *args, PXQ_DATABASE_URL=database_url, PXQ_NEW_PASSWORD=password)

    done = await asyncio.to_thread(cli, "add-bureau-user", "wang", "--region", "320200", "--name", "王静")
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    user = await BureauUser.get(username="wang")
    assert (user.role, user.region_id, user.display_name) == ("admin", "320200", "王静")
    login = await client.post("/api/v1/admin/login", json={"username": "wang", "password": PASSWORD})
    assert login.status == 200

    again = await asyncio.to_thread(cli, "add-bureau-user", "wang", "--region", "320200")
    assert again.returncode == 1 and "taken" in again.stderr
    nowhere = await asyncio.to_thread(cli, "add-bureau-user", "li", "--region", "999999")
    assert nowhere.returncode == 1 and "999999" in nowhere.stderr
    short = await asyncio.to_thread(cli, "add-bureau-user", "li", "--region", "320200", password="short")
    assert short.returncode == 2
