"""`peixunquan add-bureau-user USERNAME --region CODE [--role admin] [--name NAME]`: the first
administrator of a bureau (later ones are added in the console's 账号管理). The password is read
from $PXQ_NEW_PASSWORD or asked for on the terminal, never taken from the command line (it
would stay in the shell's history and the process list)."""

from __future__ import annotations

import getpass
import os
import sys

from peixunquan.config import Config
from peixunquan.runtime import open_services, run


def add_bureau_user_command(config: Config, username: str, region: str, role: str, name: str) -> int:
    from models import BureauRole, BureauUser, Region
    from vouchers.identity.bureau_auth import create_bureau_user

    password = os.environ.get("PXQ_NEW_PASSWORD") or getpass.getpass("password (at least 10 characters): ")
    if len(password) < 10:
        print("the password needs at least 10 characters", file=sys.stderr)
        return 2

    async def add() -> str | None:
        async with open_services(config):
            if not await Region.exists(code=region):
                return f"region {region} does not exist"
            if await BureauUser.exists(username=username):
                return f"username {username} is taken"
            await create_bureau_user(username, password, region, display_name=name, role=BureauRole(role))
            return None

    problem = run(add())
    if problem:
        print(problem, file=sys.stderr)
        return 1
    print(f"bureau user {username} ({role}) of region {region} added")
    return 0
