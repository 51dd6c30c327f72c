"""`peixunquan unlock-login {bureau|staff} USERNAME`: an operator lifts a login lockout at once
(the same as the bureau console's POST /api/v1/admin/login-lockouts/lift, without region scope)."""

from __future__ import annotations

from peixunquan.config import Config
from peixunquan.runtime import open_services, run


def unlock_login_command(config: Config, kind: str, username: str) -> int:
    from vouchers.identity.lockouts import lift_lockout

    async def unlock() -> bool:
        async with open_services(config) as services:
            return await lift_lockout(services.login_throttle, kind, username, "cli")

    was_locked = run(unlock())
    print(f"{kind} {username}: {'unlocked' if was_locked else 'was not locked'}")
    return 0
