"""Reads from a read standby (`[database] read_url`), against a real streaming standby of the
test cluster (tests/support/pg_standby.py): statistics, the exports and the catalogue list read
there, so with its replay paused they show what it last replayed; whatever decides a write (a
claim, a sign-up, any read in a transaction) reads the primary; a standby that stops or never
answers costs the user nothing but the primary's answer."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import AsyncIterator

import openpyxl
import pytest
from tortoise.exceptions import TransactionManagementError
from tortoise.transactions import in_transaction

from models import Batch
from models.database import close_db, init_db, is_postgres
from models.replica import on_replica, replica
from peixunquan.config import ConfigError, load_config
from tests.support.catalogue import catalogue, catalogue_env, open_class, post_signup, signed_up
from tests.support.factories import auth, bureau, published_batch, regions, trainee
from tests.support.institutions import API, claimed_voucher
from tests.support.pg_standby import Standby, pg_standby  # noqa: F401 (the fixture)
from tests.support.reporting import batch_row

# One xdist worker runs every test of the group, so one standby serves them (`make test` runs
# `--dist loadgroup`).
pytestmark = pytest.mark.xdist_group("pg_standby")


@pytest.fixture
async def standby(pg_standby: Standby, db: None, config) -> AsyncIterator[Standby]:  # noqa: F811
    """The suite's connections again, now with the standby as read_url; the standby caught up with
    the emptied tables, and running and replaying again after the test."""
    await close_db()
    await init_db(config.database.url, config.database.pool_max, pg_standby.url)
    await pg_standby.caught_up()
    try:
        yield pg_standby
    finally:
        await close_db()
        if not pg_standby.running:
            pg_standby.start()
        await pg_standby.resume_replay()


async def _stats(client, token: str) -> dict:
    r = await client.get(f"{API}/admin/statistics", headers=auth(token))
    assert r.status == 200, await r.text()
    return (await r.json())["region"]["figures"]


async def _csv_codes(client, token: str) -> list[str]:
    r = await client.get(f"{API}/admin/exports/vouchers.csv?all_time=true", headers=auth(token))
    assert r.status == 200, await r.text()
    rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig"))))
    return sorted(row[0] for row in rows[1:])


async def _xlsx_codes(client, token: str) -> list[str]:
    r = await client.get(f"{API}/admin/exports/vouchers.xlsx?all_time=true", headers=auth(token))
    assert r.status == 200, await r.text()
    sheet = openpyxl.load_workbook(io.BytesIO(await r.read()), read_only=True).active
    return sorted(row[0] for row in list(sheet.iter_rows(values_only=True))[1:])


async def _healthz(client) -> dict:
    r = await client.get("/healthz")
    assert r.status == 200, await r.text()  # a standby's trouble is reported, never a 503
    return await r.json()


async def test_statistics_and_exports_read_the_standby_while_claims_decide_on_the_primary(standby, client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token, quantity=2)
    _, first = await claimed_voucher(client, svc, batch["id"])
    await standby.caught_up()
    assert (await _stats(client, token))["issued"] == 1
    assert await _csv_codes(client, token) == [first] == await _xlsx_codes(client, token)
    assert (await _healthz(client))["replica"] == "ok"

    await standby.pause_replay()
    # The primary takes a claim the standby does not replay: the last voucher of the batch.
    _, second = await claimed_voucher(client, svc, batch["id"])
    assert (await Batch.get(id=batch["id"])).remaining == 0  # outside on_replica: the primary
    # The reports show the standby's older figures...
    assert (await _stats(client, token))["issued"] == 1
    assert await _csv_codes(client, token) == [first] == await _xlsx_codes(client, token)
    health = await _healthz(client)
    assert (health["status"], health["replica"]) == ("ok", "lagging")
    # ...while claims are decided on the primary: the batch is sold out, whatever the standby says.
    _, late = await trainee(svc)
    r = await client.post(f"{API}/claims", json={"batch_id": batch["id"]}, headers=auth(late))
    assert r.status == 409 and (await r.json())["error"]["code"] == "sold_out"

    await standby.resume_replay()
    assert (await _stats(client, token))["issued"] == 2
    assert await _csv_codes(client, token) == sorted([first, second]) == await _xlsx_codes(client, token)


async def test_a_stale_catalogue_never_decides_a_sign_up(standby, client, svc):
    env = await catalogue_env(client, svc, quantity=10)
    one_place = await open_class(client, env["commissioner"], [env["site"]["id"]], name="单人班", capacity=1)
    body = {k: one_place[k] for k in ("name", "project_type", "occupation", "start_date", "end_date", "site_ids")}
    r = await client.put(
        f"{API}/institution/classes/{one_place['id']}",
        json=body | {"capacity": 1, "hold_places_for_signups": True},
        headers=auth(env["commissioner"]),
    )
    assert r.status == 200, await r.text()
    a_session, a_code = await claimed_voucher(client, svc, env["batch"]["id"])
    b_session, b_code = await claimed_voucher(client, svc, env["batch"]["id"])
    await standby.caught_up()
    await standby.pause_replay()

    await signed_up(client, a_session, one_place["id"], a_code)  # the only place, on the primary

    def listed(page: dict) -> dict | None:
        return next((c for c in page["items"] if c["id"] == one_place["id"]), None)

    # The list comes from the standby: it still offers the place. The trainee's own sign-up is
    # read on the primary, so A sees it at once.
    assert listed(await catalogue(client, b_session))["places_left"] == 1
    assert listed(await catalogue(client, a_session))["my_signup"]["status"] == "pending"
    # B's sign-up is decided on the primary, under the class's lock: the class is full.
    r = await post_signup(client, b_session, one_place["id"], b_code)
    assert r.status == 409 and (await r.json())["error"]["code"] == "class_full"

    await standby.resume_replay()
    assert listed(await catalogue(client, b_session)) is None  # full: no longer open for sign-up


async def test_transactions_stay_on_the_primary_and_the_standby_refuses_writes(standby, svc):
    await regions()
    await bureau(svc)
    batch = await batch_row("320200", "读写分离")  # 100 left
    await standby.caught_up()
    await standby.pause_replay()
    await Batch.filter(id=batch.id).update(remaining=99)

    async def remaining() -> int:
        return (await Batch.get(id=batch.id)).remaining

    async def reads() -> tuple[int, int]:
        plain = await remaining()
        async with in_transaction():
            deciding = (await Batch.select_for_update().get(id=batch.id)).remaining
        return plain, deciding

    # The plain read comes from the standby; a transaction opened inside on_replica (where reads
    # decide writes) runs on the primary and sees its row.
    assert await on_replica(reads) == (100, 99)
    assert await remaining() == 99  # outside on_replica: the primary
    async with in_transaction():
        # on_replica inside a transaction reads the transaction, which sees its own writes.
        await Batch.filter(id=batch.id).update(remaining=98)
        assert await on_replica(remaining) == 98
    # A write where only reads belong fails loudly: the standby is read-only.
    with pytest.raises(TransactionManagementError, match="read-only"):
        await on_replica(Batch.filter(id=batch.id).update, remaining=1)
    assert await remaining() == 98


async def test_reads_fall_back_to_the_primary_when_the_standby_stops(standby, client, svc, caplog):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token, quantity=5)
    _, first = await claimed_voucher(client, svc, batch["id"])
    await standby.caught_up()
    assert (await _stats(client, token))["issued"] == 1  # the pool now holds standby connections

    standby.stop()
    _, second = await claimed_voucher(client, svc, batch["id"])
    with caplog.at_level(logging.WARNING, logger="models.replica"):
        # The primary answers, with its figures: no error for the user.
        assert (await _stats(client, token))["issued"] == 2
        assert await _csv_codes(client, token) == sorted([first, second])
        assert (await _stats(client, token))["issued"] == 2
    failures = [r for r in caplog.records if "read replica failed" in r.getMessage()]
    assert len(failures) == 1  # logged once, then it backs off
    assert not replica().usable()
    health = await _healthz(client)
    assert (health["status"], health["replica"]) == ("ok", "unreachable")


async def test_a_standby_that_never_answers_costs_only_a_log_line(client, svc, config, caplog):
    if not is_postgres(config.database.url):
        pytest.skip("read_url needs PostgreSQL")
    from tests.support.alipay import unused_port

    nothing = f"postgres://postgres@127.0.0.1:{unused_port()}/nowhere"
    await close_db()
    await init_db(config.database.url, config.database.pool_max, nothing)
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token, quantity=5)
    await claimed_voucher(client, svc, batch["id"])
    with caplog.at_level(logging.WARNING, logger="models.replica"):
        assert (await _stats(client, token))["issued"] == 1
        assert (await _stats(client, token))["issued"] == 1
    assert len([r for r in caplog.records if "read replica failed" in r.getMessage()]) == 1
    assert (await _healthz(client))["replica"] == "unreachable"
    await close_db()


def test_read_url_comes_from_the_file_or_the_environment(tmp_path):
    primary = "postgres://app@db1:5432/pxq"
    standby = "postgres://app@db2:5432/pxq"
    assert load_config(env={"PXQ_DATABASE_URL": primary}).database.read_url == ""
    assert load_config(env={"PXQ_DATABASE_URL": primary, "PXQ_DATABASE_READ_URL": standby}).database.read_url == standby
    file = tmp_path / "pxq.toml"
    file.write_text(f'[database]\nurl = "{primary}"\nread_url = "{standby}"\n')
    assert load_config(file, env={}).database.read_url == standby
    # A standby only of PostgreSQL, and only a PostgreSQL one.
    with pytest.raises(ConfigError) as refused:
        load_config(env={"PXQ_DATABASE_READ_URL": standby})  # the primary is SQLite
    assert refused.value.key == "database.read_url"
    with pytest.raises(ConfigError):
        load_config(env={"PXQ_DATABASE_URL": primary, "PXQ_DATABASE_READ_URL": "sqlite://x.sqlite3"})


async def test_without_a_standby_on_replica_reads_the_primary(db):
    assert replica() is None
    await regions()
    assert await on_replica(Batch.all().count) == 0
