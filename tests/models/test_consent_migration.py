"""Migration 0007: Alipay's subscribe-message consents move into the one consent table. A database
upgraded from 0006 with consents on both channels keeps every count, and they work as before.
Runs on the suite's database kind: a file of its own on SQLite, a schema of its own on PostgreSQL."""

from __future__ import annotations

import pytest
from tortoise import Tortoise, connections

from models import AccountChannel, ChannelAccount, Person, SubscriptionConsent
from models.database import init_db, migrate
from vouchers.notices.consent import record_consents, use_consent

BEFORE = "models.0006_settlement"
TEMPLATE = "tpl-voucher"


async def _account(person: Person, channel: AccountChannel, subject: str) -> int:
    """Raw SQL: today's model has columns (token_version, 0025) the 0006 schema has not."""
    conn = connections.get("default")
    await conn.execute_query(
        "INSERT INTO channel_account (channel, app_id, subject, person_id, bound_at, created_at) "
        f"VALUES ('{channel}', 'app', '{subject}', {person.id}, '2026-11-01 08:00:00+00:00', "
        "'2026-11-01 08:00:00+00:00')"
    )
    _, rows = await conn.execute_query(f"SELECT id FROM channel_account WHERE subject = '{subject}'")
    return rows[0]["id"]


async def _consents_at_0006(url: str) -> tuple[int, int]:
    """One person with a WeChat and an Alipay account, consents in both old tables."""
    await migrate(url, target=BEFORE)
    await init_db(url, pool_max=2)
    try:
        person = await Person.create(id_hash="h" * 64, id_cipher="c", name_cipher="n")
        wechat = await _account(person, AccountChannel.WECHAT_MINIAPP, "wx-openid")
        alipay = await _account(person, AccountChannel.ALIPAY, "alipay-open-id")
        columns = "(account_id, template_id, remaining, long_term, refused_at, updated_at)"
        at = "'2026-11-01 08:00:00+00:00'"
        conn = connections.get("default")
        await conn.execute_script(
            f"INSERT INTO wechat_subscription_consent {columns} VALUES"
            f" ({wechat}, '{TEMPLATE}', 1, FALSE, NULL, {at});"
            f"INSERT INTO alipay_subscription_consent {columns} VALUES"
            f" ({alipay}, '{TEMPLATE}', 2, FALSE, NULL, {at}),"
            f" ({alipay}, 'tpl-long', 0, TRUE, NULL, {at}),"
            f" ({alipay}, 'tpl-refused', 0, FALSE, {at}, {at});"
        )
        return wechat, alipay
    finally:
        await Tortoise.close_connections()


async def _counts() -> dict[tuple[int, str], tuple[int, bool, bool]]:
    return {
        (row.account_id, row.template_id): (row.remaining, row.long_term, row.refused_at is not None)
        for row in await SubscriptionConsent.all()
    }


async def test_upgrading_keeps_alipay_consents_usable(scratch_url: str) -> None:
    wechat, alipay = await _consents_at_0006(scratch_url)

    await migrate(scratch_url)
    await init_db(scratch_url, pool_max=2)
    try:
        assert await _counts() == {
            (wechat, TEMPLATE): (1, False, False),
            (alipay, TEMPLATE): (2, False, False),
            (alipay, "tpl-long"): (0, True, False),
            (alipay, "tpl-refused"): (0, False, True),
        }
        # Counted as before: one send takes one consent, a long-term one is not used up, a
        # refused template sends nothing, and a new accept adds to the moved row.
        assert await use_consent(alipay, TEMPLATE)
        assert await use_consent(alipay, "tpl-long") and await use_consent(alipay, "tpl-long")
        assert not await use_consent(alipay, "tpl-refused")
        account = await ChannelAccount.get(id=alipay)
        assert await record_consents(account, {TEMPLATE: "accept", "tpl-refused": "accept"}) == {
            TEMPLATE: 2,
            "tpl-refused": 1,
        }
        assert (await _counts())[(wechat, TEMPLATE)] == (1, False, False)  # the WeChat row is its own
        # New rows get ids after the copied ones (the shared table's own sequence).
        await record_consents(await ChannelAccount.get(id=wechat), {"tpl-new": "accept"})
        assert await SubscriptionConsent.filter(template_id="tpl-new").count() == 1
        old_tables = "SELECT count(*) AS n FROM {} WHERE account_id = {}"
        with pytest.raises(Exception, match="alipay_subscription_consent"):
            await connections.get("default").execute_query(old_tables.format("alipay_subscription_consent", alipay))
    finally:
        await Tortoise.close_connections()

    # Back to 0006 (it is reversible): the Alipay rows return to their own table.
    await migrate(scratch_url, target=BEFORE)
    await init_db(scratch_url, pool_max=2)
    try:
        conn = connections.get("default")
        _, back = await conn.execute_query(
            f"SELECT template_id, remaining FROM alipay_subscription_consent WHERE account_id = {alipay}"
        )
        assert {r["template_id"]: r["remaining"] for r in back} == {TEMPLATE: 2, "tpl-long": 0, "tpl-refused": 1}
        _, left = await conn.execute_query("SELECT account_id FROM wechat_subscription_consent")
        assert {r["account_id"] for r in left} == {wechat}
    finally:
        await Tortoise.close_connections()
