"""Who sees what of the evaluations: an institution its aggregates, with a class's comments only
from 3 evaluations on; a bureau per institution and class with the comments, in its region only;
and nobody the name, ID number or voucher of who wrote one."""

from __future__ import annotations

import json
from typing import Any

from tests.support.evaluation import API, ended_class, evaluate
from tests.support.factories import auth, bureau, published_batch, regions
from vouchers.evaluation.scores import class_score, institution_score, institution_scores

# (teaching, organisation, usefulness, tags, comment) of the city school's trainees, in order.
CITY = [
    (5, 4, 5, ["老师认真", "内容实用"], "老师讲得很细"),
    (3, 4, 2, ["课时不足"], ""),
    (4, 4, 4, ["老师认真", "设备齐全"], "设备很新，实操多"),
]


async def _world(client, svc) -> dict[str, Any]:
    """Wuxi's bureau and batch; a city school whose class of 3 is over, a county (Jiangyin)
    school whose class of 1 is over; nobody has evaluated yet."""
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    city = await ended_class(client, svc, token, batch["id"], 3, name="梁溪电工一班")
    county = await ended_class(client, svc, token, batch["id"], 1, region="320281", name="江阴电工一班")
    return {"bureau": token, "batch": batch, "city": city, "county": county}


async def _evaluate_city(client, world: dict[str, Any], first: int, stop: int) -> None:
    """The city school's trainees number `first` to `stop - 1` evaluate, as CITY says."""
    for i in range(first, stop):
        t = world["city"]["trainees"][i]
        teaching, organisation, usefulness, tags, comment = CITY[i]
        scores = {"teaching": teaching, "organisation": organisation, "usefulness": usefulness}
        await evaluate(client, t["session"], t["code"], **scores, tags=tags, comment=comment)


def _nobody_named(text: str, world: dict[str, Any]) -> None:
    """No trace of who wrote what: no holder's name, ID number or voucher code."""
    assert "李四" not in text and "李*" not in text
    for place in ("city", "county"):
        for t in world[place]["trainees"]:
            assert t["id_number"] not in text and t["id_number"][-4:] not in text
            assert t["code"] not in text
    for key in ("person", "voucher", "name_masked", "id_number"):
        assert f'"{key}' not in text


async def _institution_view(client, token: str) -> tuple[dict[str, Any], str]:
    r = await client.get(f"{API}/institution/evaluations", headers=auth(token))
    assert r.status == 200, await r.text()
    text = await r.text()
    return json.loads(text), text


async def test_an_institution_sees_aggregates_and_comments_only_from_three(client, svc):
    world = await _world(client, svc)
    city = world["city"]
    await _evaluate_city(client, world, 0, 2)
    await evaluate(client, world["county"]["trainees"][0]["session"], world["county"]["trainees"][0]["code"])

    seen, text = await _institution_view(client, city["commissioner"])
    assert seen["comments_from"] == 3
    assert seen["overall"] == {
        "count": 2,
        "teaching": 4.0,
        "organisation": 4.0,
        "usefulness": 3.5,
        "score": 3.8,  # (4 + 4 + 3.5) / 3
        "tags": {"老师认真": 1, "内容实用": 1, "课时不足": 1},
    }
    [klass] = seen["classes"]
    assert (klass["class_name"], klass["summary"]["count"]) == ("梁溪电工一班", 2)
    # Two evaluations: a comment could be pinned on one of two trainees, so none is shown.
    assert klass["comments_hidden"] is True and klass["comments"] == []
    assert "老师讲得很细" not in text
    _nobody_named(text, world)

    await _evaluate_city(client, world, 2, 3)
    seen, text = await _institution_view(client, city["scanner"])  # any member of the institution
    [klass] = seen["classes"]
    assert klass["summary"]["count"] == 3
    assert (klass["summary"]["teaching"], klass["summary"]["usefulness"], klass["summary"]["score"]) == (4.0, 3.7, 3.9)
    assert klass["summary"]["tags"] == {"老师认真": 2, "内容实用": 1, "设备齐全": 1, "课时不足": 1}
    # Three: the comments (not the empty one), ordered by their text, not by who came first.
    assert klass["comments_hidden"] is False
    assert klass["comments"] == sorted(["老师讲得很细", "设备很新，实操多"])
    _nobody_named(text, world)
    # Only its own: the county school's evaluation is not in the city school's figures.
    assert seen["overall"]["count"] == 3
    county, _ = await _institution_view(client, world["county"]["commissioner"])
    assert county["overall"]["count"] == 1 and county["classes"][0]["comments_hidden"] is True


async def test_a_bureau_sees_each_institution_and_class_with_the_comments(client, svc):
    world = await _world(client, svc)
    await _evaluate_city(client, world, 0, 2)
    [county_trainee] = world["county"]["trainees"]
    await evaluate(client, county_trainee["session"], county_trainee["code"], comment="通知很及时", teaching=3)
    h = auth(world["bureau"])

    r = await client.get(f"{API}/admin/evaluations", headers=h)
    assert r.status == 200, await r.text()
    text = await r.text()
    seen = json.loads(text)
    assert seen["overall"]["count"] == 3
    assert [(g["name"], g["summary"]["count"]) for g in seen["institutions"]] == [
        (world["city"]["institution"]["name"], 2),
        (world["county"]["institution"]["name"], 1),
    ]
    assert seen["classes"] == []
    # Comments with their class and institution, newest first; fewer than 3 is no bar for the bureau.
    assert [(c["class_name"], c["comment"]) for c in seen["comments"]] == [
        ("江阴电工一班", "通知很及时"),
        ("梁溪电工一班", "老师讲得很细"),
    ]
    assert seen["comments"][0]["teaching"] == 3 and seen["comments"][1]["tags"] == ["老师认真", "内容实用"]
    _nobody_named(text, world)

    city_id = world["city"]["institution"]["id"]
    one = await (await client.get(f"{API}/admin/evaluations?institution_id={city_id}", headers=h)).json()
    assert one["overall"]["count"] == 2 and one["institutions"] == []
    assert [(g["name"], g["institution_id"], g["summary"]["count"]) for g in one["classes"]] == [
        ("梁溪电工一班", city_id, 2)
    ]
    assert [c["comment"] for c in one["comments"]] == ["老师讲得很细"]
    county_class = world["county"]["class"]["id"]
    one = await (await client.get(f"{API}/admin/evaluations?class_id={county_class}", headers=h)).json()
    assert [g["name"] for g in one["classes"]] == ["江阴电工一班"] and one["overall"]["count"] == 1
    mismatch = await client.get(f"{API}/admin/evaluations?institution_id={city_id}&class_id={county_class}", headers=h)
    assert mismatch.status == 404

    # The institution's overview carries the same aggregates.
    overview = await (await client.get(f"{API}/admin/institutions/{city_id}/overview", headers=h)).json()
    assert overview["evaluation"]["count"] == 2 and overview["evaluation"]["score"] == 3.8


async def test_a_bureau_sees_its_region_only(client, svc):
    world = await _world(client, svc)
    await _evaluate_city(client, world, 0, 1)
    [county_trainee] = world["county"]["trainees"]
    await evaluate(client, county_trainee["session"], county_trainee["code"])
    jiangyin = auth(await bureau(svc, "jiangyin", "320281"))
    yixing = auth(await bureau(svc, "yixing", "320282"))  # beside Jiangyin

    seen = await (await client.get(f"{API}/admin/evaluations", headers=jiangyin)).json()
    assert seen["overall"]["count"] == 1
    assert [g["id"] for g in seen["institutions"]] == [world["county"]["institution"]["id"]]
    assert {c["class_name"] for c in seen["comments"]} == {"江阴电工一班"}
    # The city's school and class, named by id from the county: not found, as if they did not exist.
    city = world["city"]
    for query in (f"institution_id={city['institution']['id']}", f"class_id={city['class']['id']}"):
        r = await client.get(f"{API}/admin/evaluations?{query}", headers=jiangyin)
        assert r.status == 404, await r.text()
    r = await client.get(f"{API}/admin/evaluations?class_id=999999", headers=jiangyin)
    assert r.status == 404
    beside = await (await client.get(f"{API}/admin/evaluations", headers=yixing)).json()
    assert beside["overall"] == {
        "count": 0,
        "teaching": None,
        "organisation": None,
        "usefulness": None,
        "score": None,
        "tags": {},
    }
    assert beside["institutions"] == [] and beside["comments"] == []


async def test_scores_for_the_catalogue(client, svc):
    world = await _world(client, svc)
    city, county = world["city"], world["county"]
    assert await institution_score(city["institution"]["id"]) is None
    await _evaluate_city(client, world, 0, 3)
    assert await institution_score(city["institution"]["id"]) == 3.9
    assert await class_score(city["class"]["id"]) == 3.9
    assert await class_score(county["class"]["id"]) is None
    assert await institution_scores([city["institution"]["id"], county["institution"]["id"]]) == {
        city["institution"]["id"]: 3.9
    }


async def test_statistics_count_the_evaluations_and_their_score(client, svc):
    world = await _world(client, svc)
    await _evaluate_city(client, world, 0, 3)
    [county_trainee] = world["county"]["trainees"]
    await evaluate(client, county_trainee["session"], county_trainee["code"], teaching=1, organisation=1, usefulness=1)
    r = await client.get(f"{API}/admin/statistics", headers=auth(world["bureau"]))
    assert r.status == 200, await r.text()
    figures = (await r.json())["region"]["figures"]
    # The vouchers are all of Wuxi's batch: the region of the batch counts them, as every figure.
    assert figures["evaluations"] == 4
    assert figures["evaluation_score"] == round((14 + 9 + 12 + 3) / 12, 1)
    assert "evaluation_points" not in figures
