"""The training catalogue (人选培训): classes open for sign-up that the trainee's vouchers can pay
for, each with "which of my vouchers fits", searchable, with distances from the trainee."""

from __future__ import annotations

from datetime import timedelta

from models import Voucher
from tests.support.catalogue import catalogue, catalogue_env, open_class
from tests.support.factories import auth, bureau, published_batch, unverified
from tests.support.institutions import API, claimed_voucher, institution, post_scan, scan_body, site, voucher_payload
from vouchers.common.clock import local_date, utcnow
from vouchers.scanning.coordinates import distance_m, wgs84_to_gcj02


async def test_a_class_the_voucher_cannot_pay_for_is_not_offered(client, svc):
    env = await catalogue_env(client, svc)  # a Wuxi 电工 voucher for 就业技能培训
    commissioner, site_ids = env["commissioner"], [env["site"]["id"]]
    await open_class(client, commissioner, site_ids, name="焊工班", occupation="焊工")
    await open_class(client, commissioner, site_ids, name="创业班", project_type="创业培训")
    # An institution of Chongqing, where a Wuxi voucher cannot be used.
    _, cq_commissioner = await institution(client, await bureau(svc, "chongqing", "500000"), region="500000")
    await open_class(client, cq_commissioner, [(await site(client, cq_commissioner))["id"]], name="外地电工班")

    found = await catalogue(client, env["session"])
    assert [c["name"] for c in found["items"]] == [env["class"]["name"]]
    assert found["total"] == 1
    [offered] = found["items"]
    assert [v["code"] for v in offered["fitting_vouchers"]] == [env["code"]]
    voucher = offered["fitting_vouchers"][0]
    assert voucher["title"] == env["batch"]["title"] and voucher["signed_up_class_id"] is None
    assert offered["institution"] == {
        "id": env["institution"]["id"],
        "name": env["institution"]["name"],
        "phone": env["institution"]["phone"],
    }
    assert offered["places_left"] == 30 and offered["evaluation_score"] is None
    assert offered["my_signup"] is None

    # all=true: every open class, each with the vouchers that fit it (none for the others).
    everything = await catalogue(client, env["session"], "all=true")
    fit = {c["name"]: [v["code"] for v in c["fitting_vouchers"]] for c in everything["items"]}
    assert fit == {env["class"]["name"]: [env["code"]], "焊工班": [], "创业班": [], "外地电工班": []}


async def test_a_city_voucher_without_occupation_is_offered_in_its_districts_for_any_trade(client, svc):
    env = await catalogue_env(client, svc, occupation=None)
    _, other = await institution(client, env["bureau"], region="320281")  # 江阴市, under 无锡
    await open_class(client, other, [(await site(client, other))["id"]], name="江阴焊工班", occupation="焊工")
    names = [c["name"] for c in (await catalogue(client, env["session"]))["items"]]
    assert sorted(names) == sorted([env["class"]["name"], "江阴焊工班"])


async def test_no_usable_voucher_means_nothing_offered_until_all_is_asked(client, svc):
    env = await catalogue_env(client, svc)
    await Voucher.filter(code=env["code"]).update(status="revoked")
    assert (await catalogue(client, env["session"]))["items"] == []
    [shown] = (await catalogue(client, env["session"], "all=true"))["items"]
    assert shown["fitting_vouchers"] == []


async def test_started_full_and_suspended_are_not_open(client, svc):
    env = await catalogue_env(client, svc)
    commissioner, site_ids = env["commissioner"], [env["site"]["id"]]
    today = await open_class(client, commissioner, site_ids, days=0, name="今天开班")
    await open_class(client, commissioner, site_ids, days=-1, name="昨天开班")
    full = await open_class(client, commissioner, site_ids, name="一个名额", capacity=1)
    other_session, other_code = await claimed_voucher(client, svc, env["batch"]["id"])
    payload = await voucher_payload(client, other_session, other_code)
    assert (await post_scan(client, env["scanner"], scan_body(payload, "enrol", full["id"])))["result"] == "ok"
    names = [c["name"] for c in (await catalogue(client, env["session"], "all=true"))["items"]]
    assert names == [today["name"], env["class"]["name"]]  # by start date

    r = await client.post(
        f"{API}/admin/institutions/{env['institution']['id']}/suspend",
        json={"reason": "检查发现问题"},
        headers=auth(env["bureau"]),
    )
    assert r.status == 200, await r.text()
    assert (await catalogue(client, env["session"], "all=true"))["items"] == []


async def test_search_by_keyword_occupation_project_district_and_dates(client, svc):
    env = await catalogue_env(client, svc, occupation=None, project_types=["就业技能培训", "创业培训"])
    commissioner, site_ids = env["commissioner"], [env["site"]["id"]]
    await open_class(client, commissioner, site_ids, days=10, name="高级焊工班", occupation="焊工")
    await open_class(
        client, commissioner, site_ids, days=20, name="网店创业班", project_type="创业培训", occupation=None
    )
    _jy, jy_commissioner = await institution(client, env["bureau"], region="320281", name="江阴市技工学校")
    await open_class(client, jy_commissioner, [(await site(client, jy_commissioner))["id"]], days=5, name="电工二期")

    async def names(query: str) -> list[str]:
        return [c["name"] for c in (await catalogue(client, env["session"], query))["items"]]

    assert await names("q=焊工") == ["高级焊工班"]
    assert await names("q=江阴") == ["电工二期"]  # the institution's name
    assert await names("occupation=电工") == [env["class"]["name"], "电工二期"]
    assert await names("project_type=创业培训") == ["网店创业班"]
    assert await names("region=320281") == ["电工二期"]
    assert len(await names("region=320200")) == 4
    assert await names("region=500000") == []
    start = local_date(utcnow()) + timedelta(days=4)
    assert await names(f"start_from={start}&start_to={start + timedelta(days=10)}") == ["电工二期", "高级焊工班"]
    page = await catalogue(client, env["session"], "limit=2&offset=1")
    assert [c["name"] for c in page["items"]] == ["电工二期", "高级焊工班"] and page["total"] == 4


async def test_distance_is_shown_when_a_position_is_given(client, svc):
    env = await catalogue_env(client, svc)
    [without] = (await catalogue(client, env["session"]))["items"]
    assert without["sites"] == [
        {"id": env["site"]["id"], "name": env["site"]["name"], "address": env["site"]["address"], "distance_m": None}
    ]
    # The phone's GPS (WGS-84) about 1 km north of the site, whose point is on a Chinese map (GCJ-02).
    lat, lng = 31.5747 + 0.009, 120.2889
    wgs_lat, wgs_lng = lat, lng
    for _ in range(5):  # the WGS-84 point that GCJ-02 maps to (lat, lng)
        g_lat, g_lng = wgs84_to_gcj02(wgs_lat, wgs_lng)
        wgs_lat, wgs_lng = wgs_lat - (g_lat - lat), wgs_lng - (g_lng - lng)
    query = f"latitude={wgs_lat}&longitude={wgs_lng}&datum=wgs84"
    [near] = (await catalogue(client, env["session"], query))["items"]
    expected = distance_m(lat, lng, 31.5747, 120.2889)
    assert 990 < expected < 1010
    assert abs(near["sites"][0]["distance_m"] - expected) <= 2
    # Treated as GCJ-02 it would be off by the datum shift (hundreds of metres in Wuxi).
    [raw] = (await catalogue(client, env["session"], f"latitude={wgs_lat}&longitude={wgs_lng}&datum=gcj02"))["items"]
    assert abs(raw["sites"][0]["distance_m"] - expected) > 100

    r = await client.get(f"{API}/catalogue/classes?latitude=31.5", headers=auth(env["session"]))
    assert r.status == 422 and "经度" in (await r.json())["error"]["message"]


async def test_nearest_first_orders_classes_by_their_nearest_site(client, svc):
    env = await catalogue_env(client, svc)  # its class starts in 3 days at the site of SITE
    commissioner = env["commissioner"]
    # Two later classes: one at a site about 2 km north of the trainee, one at both sites.
    far = await site(client, commissioner, name="北区教学点", latitude=31.5747 + 0.05)
    near = await site(client, commissioner, name="身边教学点", latitude=31.5747 + 0.002)
    await open_class(client, commissioner, [far["id"]], days=5, name="远处的班")
    await open_class(client, commissioner, [far["id"], near["id"]], days=9, name="两处上课的班")
    here = "latitude=31.5747&longitude=120.2889&datum=gcj02"
    by_date = await catalogue(client, env["session"], here)
    assert [c["name"] for c in by_date["items"]] == [env["class"]["name"], "远处的班", "两处上课的班"]
    by_distance = await catalogue(client, env["session"], here + "&sort=distance")
    assert [c["name"] for c in by_distance["items"]] == [env["class"]["name"], "两处上课的班", "远处的班"]
    # Its nearest site decides; paging keeps the order.
    page = await catalogue(client, env["session"], here + "&sort=distance&limit=1&offset=1")
    assert [c["name"] for c in page["items"]] == ["两处上课的班"] and page["total"] == 3

    r = await client.get(f"{API}/catalogue/classes?sort=distance", headers=auth(env["session"]))
    assert r.status == 422 and "按距离排序须给出您的位置" in (await r.json())["error"]["message"]


async def test_the_institution_page_lists_its_open_classes_and_sites(client, svc):
    env = await catalogue_env(client, svc)
    commissioner, site_ids = env["commissioner"], [env["site"]["id"]]
    await open_class(client, commissioner, site_ids, name="焊工班", occupation="焊工")
    await open_class(client, commissioner, site_ids, days=-2, name="已开班")
    url = f"{API}/catalogue/institutions/{env['institution']['id']}?latitude=31.5747&longitude=120.2889&datum=gcj02"
    r = await client.get(url, headers=auth(env["session"]))
    assert r.status == 200, await r.text()
    page = await r.json()
    assert page["name"] == env["institution"]["name"] and page["region"] == {"code": "320200", "name": "无锡市"}
    assert page["evaluation_score"] is None
    assert [(s["name"], s["distance_m"]) for s in page["sites"]] == [(env["site"]["name"], 0)]
    fit = {c["name"]: [v["code"] for v in c["fitting_vouchers"]] for c in page["classes"]}
    assert fit == {env["class"]["name"]: [env["code"]], "焊工班": []} and page["classes_total"] == 2

    r = await client.get(f"{API}/catalogue/institutions/999999", headers=auth(env["session"]))
    assert r.status == 404 and (await r.json())["error"]["message"] == "找不到该培训机构"


async def test_an_unverified_trainee_is_asked_to_verify_first(client, svc):
    env = await catalogue_env(client, svc)
    _, token = await unverified(svc)
    for path in ("/catalogue/classes", f"/catalogue/institutions/{env['institution']['id']}", "/signups"):
        r = await client.get(API + path, headers=auth(token))
        assert r.status == 403 and (await r.json())["error"]["code"] == "identity_required", path


async def test_another_bureaus_batch_fits_its_own_region_only(client, svc):
    env = await catalogue_env(client, svc)
    cq = await bureau(svc, "chongqing", "500000")
    cq_batch = await published_batch(client, cq, region="500000", title="重庆券")
    session, _code = await claimed_voucher(client, svc, cq_batch["id"])
    assert (await catalogue(client, session))["items"] == []
    [shown] = (await catalogue(client, session, "all=true"))["items"]
    assert shown["id"] == env["class"]["id"] and shown["fitting_vouchers"] == []
