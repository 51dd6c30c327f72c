"""Names on a roster are names: the issue's injected forms are refused row by row with a Chinese
reason, while real names (CJK, letters, `·`, spaces) go in."""

from __future__ import annotations

import csv
import io

import pytest

from models import Person
from tests.support.factories import auth, bureau, id_number, published_batch, regions
from tests.support.formula_injection import INJECTED
from vouchers.common import errors
from vouchers.common.person_name import person_name

GOOD = ["王小明", "阿卜杜·热西提", "Anna Smith", "玛丽亚•伊万诺娃", "José María"]


def test_the_name_rule():
    for name in [*INJECTED, "张三1", "张三!", "·张三", "张三·", "李 四-", "=张三", "张\u200b三"]:
        with pytest.raises(errors.InvalidInput):
            person_name(name)
    assert [person_name(n) for n in GOOD] == ["王小明", "阿卜杜·热西提", "Anna Smith", "玛丽亚·伊万诺娃", "José María"]
    assert person_name("  王  小明 ") == "王 小明"


async def test_a_roster_refuses_formula_names_row_by_row_in_chinese(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(
        client,
        token,
        title="无锡企业职工定向券",
        distribution="targeted",
        value_mode="deduction",
        face_value_fen=None,
        eligible_groups=["企业职工"],
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["姓名", "身份证号"])
    for name in [*INJECTED, *GOOD]:
        writer.writerow([name, id_number()])
    response = await client.post(
        f"/api/v1/admin/batches/{batch['id']}/roster",
        data=buffer.getvalue().encode(),
        headers={**auth(token), "Content-Type": "text/csv"},
    )
    assert response.status == 200, await response.text()
    report = await response.json()
    assert report["created"] == len(GOOD)
    problems = {p["line"]: p for p in report["problems"]}
    assert sorted(problems) == list(range(1, len(INJECTED) + 1))
    for problem in problems.values():
        assert problem["code"] == "invalid_name"
        assert problem["message"] == "姓名只能包含汉字、字母、间隔号“·”和空格"
    assert await Person.all().count() == len(GOOD)
