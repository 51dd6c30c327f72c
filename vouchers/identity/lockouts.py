"""Login lockouts of real accounts: recorded, told to the account's owner, lifted by an
administrator.

A staff member hears of it through the institution's notices (webhook, and the staff bound to
the Official Account: `institution_login_lockout`); a bureau user is shown it at the next
successful login (`LoginResponse.notices`) and the console shows it. Lifting it (`peixunquan
unlock-login`, or POST /api/v1/admin/login-lockouts/lift) unlocks at once.
"""

from __future__ import annotations

from datetime import timedelta

from tortoise.transactions import in_transaction

from models import BureauUser, LoginLockout, Staff
from vouchers.common import errors
from vouchers.common.admin_log import record
from vouchers.common.clock import LOCAL_TZ, utcnow
from vouchers.common.outbox import outbox_row
from vouchers.identity.login_throttle import LoginThrottle
from vouchers.services import Services

BUREAU, STAFF = "bureau", "staff"
LOCKOUT_NOTICE = "institution_login_lockout"


async def failed_login(svc: Services, kind: str, username: str, address: str) -> None:
    """Counts a failed login of a bureau user or a staff member; the failure that locks the
    username records the lockout and tells the account's owner."""
    if await svc.login_throttle.failed(kind, username, address):
        limits = svc.login_limits
        await record_lockout(kind, username, limits.max_failures, limits.lock_s)


async def record_lockout(kind: str, username: str, failures: int, lock_s: int) -> LoginLockout | None:
    """The lockout of an existing account, and the notice to its owner; None for a username that
    belongs to nobody (locked in Redis all the same)."""
    model = BureauUser if kind == BUREAU else Staff
    account = await model.get_or_none(username=username)
    if account is None:
        return None
    # A bureau user's lock is an account event: its administrators read it in the admin log.
    region_path = (await account.region).path if isinstance(account, BureauUser) else None
    now = utcnow()
    until = now + timedelta(seconds=lock_s)
    async with in_transaction() as conn:
        lockout = await LoginLockout.create(
            account_kind=kind,
            account_id=account.id,
            username=username,
            failures=failures,
            locked_at=now,
            locked_until=until,
            using_db=conn,
        )
        if region_path is not None:
            shown = {"username": username, "failures": failures, "until": until.isoformat()}
            await record(
                None, "account_locked", "account", account.id, region_path, after=shown, conn=conn, actor_name="系统"
            )
        if isinstance(account, Staff):
            notice = outbox_row(
                LOCKOUT_NOTICE,
                now,
                payload={
                    "institution_id": account.institution_id,
                    "staff_id": account.id,
                    "username": username,
                    "failures": failures,
                    "until": until.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                },
                dedupe_key=f"{LOCKOUT_NOTICE}:{lockout.id}",
            )
            await notice.save(using_db=conn)
    return lockout


def lockout_text(lockout: LoginLockout) -> str:
    at = lockout.locked_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    until = lockout.locked_until.astimezone(LOCAL_TZ).strftime("%H:%M")
    how = (
        f"已由管理员于{lockout.lifted_at.astimezone(LOCAL_TZ):%H:%M}解锁" if lockout.lifted_at else f"至{until}自动解锁"
    )
    return f"您的账号于{at}因连续{lockout.failures}次密码错误被临时锁定（{how}）。如非本人操作，请尽快修改密码。"


async def unseen_lockouts(kind: str, account_id: int) -> list[str]:
    """What the owner has not been shown yet, marked shown."""
    rows = await LoginLockout.filter(account_kind=kind, account_id=account_id, seen_at=None).order_by("id")
    if rows:
        await LoginLockout.filter(id__in=[r.id for r in rows]).update(seen_at=utcnow())
    return [lockout_text(r) for r in rows]


async def lift_lockout(throttle: LoginThrottle, kind: str, username: str, by: str) -> bool:
    """Unlocks `username` now; True if it was locked."""
    if kind not in (BUREAU, STAFF):
        raise errors.InvalidInput("账号类型应为 bureau 或 staff", field="kind")
    locked = await throttle.lift(kind, username)
    await LoginLockout.filter(account_kind=kind, username=username, lifted_at=None, locked_until__gt=utcnow()).update(
        lifted_at=utcnow(), lifted_by=by[:80]
    )
    return locked


async def lift_in_scope(throttle: LoginThrottle, user: BureauUser, kind: str, username: str) -> bool:
    """A bureau user lifts the lock of a bureau user or a staff member of its regions."""
    if kind == BUREAU:
        target = await BureauUser.get_or_none(username=username).prefetch_related("region")
        region = target.region if target is not None else None
    else:
        staff = await Staff.get_or_none(username=username).prefetch_related("institution__region")
        region = staff.institution.region if staff is not None else None
    if region is None or not user.region.covers(region.path):
        raise errors.NotFound("在您管辖的地区没有该账号")
    locked = await lift_lockout(throttle, kind, username, f"bureau:{user.username}")
    subject = target.id if kind == BUREAU else staff.id
    await record(
        user,
        "lockout_lifted",
        "account" if kind == BUREAU else "staff",
        subject,
        region.path,
        after={"username": username, "was_locked": locked},
    )
    return locked
