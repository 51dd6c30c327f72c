"""A bureau reads the archives of persons holding vouchers of its regions only; a province reads
its cities'. An unknown ID number and one outside the bureau's regions are answered alike, and
every look-up is recorded with who asked, where the bureau can see it."""

from __future__ import annotations

from models import ArchiveLookup
from tests.support.factories import PASSWORD, auth, bureau, id_number, published_batch, regions
from tests.support.institutions import API, claimed_voucher
from vouchers.identity.bureau_auth import create_bureau_user, login


async def _lookup(client, token: str, number: str):
    return await client.post(f"{API}/admin/archive/lookup", json={"id_number": number}, headers=auth(token))


async def test_another_region_cannot_tell_a_person_from_an_unknown_id(client, svc):
    await regions()
    wuxi = await bureau(svc)
    batch = await published_batch(client, wuxi)
    wuxi_person = id_number(serial=11)
    await claimed_voucher(client, svc, batch["id"], number=wuxi_person)
    chongqing = await bureau(svc, "chongqing", "500000")

    assert (await _lookup(client, wuxi, wuxi_person)).status == 200
    elsewhere = await _lookup(client, chongqing, wuxi_person)
    unknown = await _lookup(client, chongqing, id_number(serial=99))
    assert elsewhere.status == unknown.status == 404
    assert await elsewhere.json() == await unknown.json()


async def test_a_province_reads_the_archives_of_its_cities(client, svc):
    await regions()
    wuxi = await bureau(svc)
    batch = await published_batch(client, wuxi)
    person = id_number(serial=12)
    await claimed_voucher(client, svc, batch["id"], number=person)
    await create_bureau_user("jiangsu", PASSWORD, "320000")
    _, jiangsu = await login(svc, "jiangsu", PASSWORD)
    r = await _lookup(client, jiangsu, person)
    assert r.status == 200, await r.text()


async def test_every_lookup_is_recorded_and_the_bureau_sees_who_asked(client, svc):
    await regions()
    wuxi = await bureau(svc)
    batch = await published_batch(client, wuxi)
    person = id_number(serial=13)
    await claimed_voucher(client, svc, batch["id"], number=person)
    chongqing = await bureau(svc, "chongqing", "500000")
    await _lookup(client, wuxi, person)
    await _lookup(client, chongqing, person)
    await _lookup(client, chongqing, id_number(serial=98))

    assert await ArchiveLookup.all().count() == 3
    r = await client.get(f"{API}/admin/archive/lookups", headers=auth(wuxi))
    assert r.status == 200, await r.text()
    [mine] = (await r.json())["items"]
    assert mine["username"] == "wuxi" and mine["shown"] is True
    assert mine["id_number"] != person and mine["id_number"][:4] == person[:4] and "*" in mine["id_number"]
    theirs = (await (await client.get(f"{API}/admin/archive/lookups", headers=auth(chongqing))).json())["items"]
    assert [(x["username"], x["shown"]) for x in theirs] == [("chongqing", False), ("chongqing", False)]
    # The ID number is never stored in clear.
    for row in await ArchiveLookup.all().values():
        assert person not in str(row)
