"""The sandboxes' test identities: made-up people (valid check digits, nobody real). The same
ones pass face verification in the WeChat and the Alipay sandbox, under the same names."""

from __future__ import annotations

# ID number -> name: face verification passes for these...
PASSING: dict[str, str] = {
    "320202199003070012": "王小明",
    "32020219850512002X": "李红",
    "110101199003070011": "张三",
    "500101199208150034": "王五",
}
# ...and fails (the face does not match) for this one, and for anyone not listed.
FAILING = ("450102199201010030", "赵失败")


def passes(name: str, id_number: str) -> bool:
    return PASSING.get(id_number) == name
