"""Self-declared groups (自行申报的人员类别), as a trainee meets them when claiming.

A batch either takes the group from the bureau's eligibility list (a declared group is refused)
or lets the trainee declare one. A declaration is recorded on the person for the local year;
another group in the same year needs the bureau's list.
"""

from __future__ import annotations

import asyncio

from models import Voucher
from tests.support.factories import auth, bureau, id_number, published_batch, regions, trainee
from vouchers.common.clock import utcnow

GRADUATE, UNEMPLOYED = "毕业年度高校毕业生", "失业人员"
GROUPS = [GRADUATE, UNEMPLOYED, "农村转移就业劳动者"]


async def _setup(client, svc, count: int = 2) -> tuple[str, list[dict]]:
    await regions()
    token = await bureau(svc)
    batches = [
        await published_batch(client, token, title=f"自行申报批次{i}", eligible_groups=GROUPS) for i in range(count)
    ]
    return token, batches


async def _claim(client, session: str, batch_id: int, group: str | None = None):
    body = {"batch_id": batch_id} | ({"group": group} if group else {})
    return await client.post("/api/v1/claims", json=body, headers=auth(session))


async def _list(client, token: str, batch_id: int, number: str, group: str) -> None:
    upload = await client.post(
        f"/api/v1/admin/batches/{batch_id}/eligibility",
        data=f"id_number,group\n{number},{group}\n".encode(),
        headers={**auth(token), "Content-Type": "text/csv"},
    )
    assert upload.status == 200 and (await upload.json())["created"] == 1, await upload.text()


async def test_a_batch_that_needs_proof_refuses_a_declared_group(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token, eligible_groups=GROUPS, requires_eligibility_list=True)
    number = id_number()
    await _list(client, token, batch["id"], number, UNEMPLOYED)
    _, session = await trainee(svc, number)

    refused = await _claim(client, session, batch["id"], GRADUATE)
    assert refused.status == 422
    error = (await refused.json())["error"]
    assert error["code"] == "group_not_declarable"
    assert "名单" in error["message"]
    # Without a group, the bureau's list says which one it is.
    accepted = await _claim(client, session, batch["id"])
    assert accepted.status == 201, await accepted.text()
    assert (await accepted.json())["eligible_group"] == UNEMPLOYED


async def test_a_declared_group_is_recorded_and_another_in_the_same_year_is_refused(client, svc):
    _, (first, second, third) = await _setup(client, svc, 3)
    person, session = await trainee(svc)

    assert (await _claim(client, session, first["id"], GRADUATE)).status == 201
    refused = await _claim(client, session, second["id"], UNEMPLOYED)
    assert refused.status == 409
    error = (await refused.json())["error"]
    assert error["code"] == "group_conflict"
    assert "人社部门" in error["message"] and "名单" in error["message"]  # tells the trainee what to do
    assert not await Voucher.exists(batch_id=second["id"])
    # The same group again is fine.
    assert (await _claim(client, session, third["id"], GRADUATE)).status == 201

    # Recorded on the person for this year, sealed: neither the group nor its hash reads in clear.
    from models import DeclaredGroup

    [row] = await DeclaredGroup.filter(person_id=person.person_id)
    assert row.year == utcnow().year or abs(row.year - utcnow().year) == 1  # a local year
    assert GRADUATE not in row.group_cipher and GRADUATE not in row.group_hash
    context = f"declared-group:{person.person_id}:{row.year}".encode()
    assert svc.keys.decrypt(row.group_cipher, context) == GRADUATE


async def test_a_single_group_batch_claimed_without_a_group_is_a_declaration_too(client, svc):
    await regions()
    token = await bureau(svc)
    graduates = await published_batch(client, token, title="高校毕业生券", eligible_groups=[GRADUATE])
    unemployed = await published_batch(client, token, title="失业人员券", eligible_groups=[UNEMPLOYED])
    _, session = await trainee(svc)
    assert (await _claim(client, session, graduates["id"])).status == 201
    refused = await _claim(client, session, unemployed["id"])
    assert (await refused.json())["error"]["code"] == "group_conflict"


async def test_another_group_on_the_bureau_list_passes(client, svc):
    token, (first, second) = await _setup(client, svc)
    listed = await published_batch(
        client, token, title="失业人员名单券", eligible_groups=GROUPS, requires_eligibility_list=True
    )
    number = id_number()
    await _list(client, token, listed["id"], number, UNEMPLOYED)
    _, session = await trainee(svc, number)
    assert (await _claim(client, session, first["id"], GRADUATE)).status == 201
    accepted = await _claim(client, session, second["id"], UNEMPLOYED)
    assert accepted.status == 201, await accepted.text()
    assert (await accepted.json())["eligible_group"] == UNEMPLOYED


async def test_a_new_year_takes_a_new_declaration(client, svc):
    from models import DeclaredGroup

    _, (first, second) = await _setup(client, svc)
    person, session = await trainee(svc)
    assert (await _claim(client, session, first["id"], GRADUATE)).status == 201
    await DeclaredGroup.filter(person_id=person.person_id).update(year=2000)  # as if declared long ago
    assert (await _claim(client, session, second["id"], UNEMPLOYED)).status == 201


async def test_two_claims_at_once_with_different_groups_do_not_both_pass(client, svc):
    _, batches = await _setup(client, svc, 6)
    person, session = await trainee(svc)
    # Three pairs of simultaneous requests (each on a batch of its own), different groups.
    answers = await asyncio.gather(
        *(_claim(client, session, b["id"], GRADUATE if i % 2 else UNEMPLOYED) for i, b in enumerate(batches))
    )
    outcomes = [(a.status, (await a.json()).get("error", {}).get("code")) for a in answers]
    won = {GRADUATE if i % 2 else UNEMPLOYED for i, (status, _) in enumerate(outcomes) if status == 201}
    assert len(won) == 1, outcomes
    assert sorted(outcomes).count((201, None)) == 3
    assert sorted(outcomes).count((409, "group_conflict")) == 3
    groups = await Voucher.filter(person_id=person.person_id).values_list("eligible_group", flat=True)
    assert set(groups) == won
