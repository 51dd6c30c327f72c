"""Region scope on the console's endpoints: a bureau acts on its region and the regions below,
never above or beside. A region code outside the scope is refused (403, out_of_region); a record
of another region addressed by its id is answered as not found (404), so ids reveal nothing."""

from __future__ import annotations

from tests.support.factories import auth, bureau, regions
from tests.support.institutions import institution


async def test_a_county_bureau_cannot_touch_the_citys_standards_targets_accounts_or_institutions(client, svc):
    await regions()
    wuxi = await bureau(svc)
    jiangyin = await bureau(svc, "jiangyin", "320281")
    city_school, _ = await institution(client, wuxi, region="320200")
    county_school, _ = await institution(client, wuxi, region="320281")

    refused = [
        await client.put(
            "/api/v1/admin/settlement/standards",
            json={"region": "320200", "project_type": "创业培训", "amount_fen": 150000},
            headers=auth(jiangyin),
        ),
        await client.put(
            "/api/v1/admin/settlement/ratios",
            json={"region": "320200", "eligible_group": "失业人员", "ratio_permille": 800},
            headers=auth(jiangyin),
        ),
        await client.put(
            "/api/v1/admin/targets",
            json={"region": "320200", "year": 2026, "issue_target": 1, "use_target": 1},
            headers=auth(jiangyin),
        ),
        await client.post(
            "/api/v1/admin/accounts",
            json={"username": "intruder", "password": "a long password", "role": "admin", "region": "320200"},
            headers=auth(jiangyin),
        ),
    ]
    for response in refused:
        assert response.status == 403, await response.text()
        assert (await response.json())["error"]["code"] == "out_of_region"

    place = f"/api/v1/admin/institutions/{city_school['id']}"
    for response in [
        await client.get(place, headers=auth(jiangyin)),
        await client.get(place + "/overview", headers=auth(jiangyin)),
        await client.put(place, json={"phone": "0510-1234567"}, headers=auth(jiangyin)),
        await client.post(place + "/suspend", json={"reason": "越权"}, headers=auth(jiangyin)),
    ]:
        assert response.status == 404, await response.text()

    listed = await (await client.get("/api/v1/admin/institutions", headers=auth(jiangyin))).json()
    assert [i["code"] for i in listed["items"]] == [county_school["code"]]
    targets = await (await client.get("/api/v1/admin/targets?year=2021", headers=auth(jiangyin))).json()
    assert [t["region"] for t in targets["items"]] == ["320281"]
    events = await (await client.get("/api/v1/admin/events", headers=auth(jiangyin))).json()
    assert events["items"] == []
    # The city's standard applies in the county too: the county reads it, by the city's name.
    standard = {"region": "320200", "project_type": "创业培训", "amount_fen": 150000, "effective_year": 2026}
    assert (await client.put("/api/v1/admin/settlement/standards", json=standard, headers=auth(wuxi))).status == 200
    read = await (await client.get("/api/v1/admin/settlement/standards", headers=auth(jiangyin))).json()
    assert [(s["region"], s["region_name"]) for s in read["standards"]] == [("320200", "无锡市")]
    # The city sees its own and the county's.
    assert (await client.get(f"/api/v1/admin/institutions/{county_school['id']}", headers=auth(wuxi))).status == 200
