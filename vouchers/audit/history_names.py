"""Who and where, in words, for the rows of a voucher's history: the rows keep ids (the sealed
content), the bureau's history page shows names (who, in which institution and class)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from models import BureauUser, Institution, OnlinePlatform, Staff, TrainingClass, VoucherHistory

KIND_TEXT = {
    "trainee": "持券人本人",
    "bureau": "人社部门",
    "institution": "培训机构",
    "platform": "线上培训平台",
    "system": "系统（自动）",
}


@dataclass
class HistoryNames:
    actors: dict[tuple[str, str], str] = field(default_factory=dict)
    institutions: dict[int, str] = field(default_factory=dict)
    classes: dict[int, str] = field(default_factory=dict)

    def actor(self, row: VoucherHistory) -> str:
        """人社部门 · 王静, 无锡市星火职业培训学校 · 张三, 持券人本人, 系统（自动）."""
        kind = KIND_TEXT.get(row.actor_kind, row.actor_kind)
        name = self.actors.get((row.actor_kind, row.actor_id or ""))
        return f"{kind} · {name}" if name else kind

    def context(self, row: VoucherHistory) -> dict[str, str]:
        """The institution and class a row names by id, by their names."""
        detail = row.detail if isinstance(row.detail, dict) else {}
        words: dict[str, str] = {}
        if _id(detail.get("institution_id")) in self.institutions:
            words["机构"] = self.institutions[_id(detail.get("institution_id"))]
        if _id(detail.get("class_id")) in self.classes:
            words["培训班"] = self.classes[_id(detail.get("class_id"))]
        return words


def _id(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _ids(rows: Iterable[VoucherHistory], kind: str) -> set[int]:
    return {_id(r.actor_id) for r in rows if r.actor_kind == kind} - {0}


async def history_names(rows: list[VoucherHistory]) -> HistoryNames:
    """The names behind the ids of `rows`, in a few queries whatever the number of rows."""
    names = HistoryNames()
    for user in await BureauUser.filter(id__in=_ids(rows, "bureau")):
        names.actors[("bureau", str(user.id))] = user.display_name or user.username
    for staff in await Staff.filter(id__in=_ids(rows, "institution")).prefetch_related("institution"):
        who = staff.display_name or staff.username
        names.actors[("institution", str(staff.id))] = f"{staff.institution.name} · {who}"
    for platform in await OnlinePlatform.filter(id__in=_ids(rows, "platform")).prefetch_related("institution"):
        names.actors[("platform", str(platform.id))] = platform.institution.name
    details = [r.detail for r in rows if isinstance(r.detail, dict)]
    class_ids = {_id(d.get("class_id")) for d in details} - {0}
    for k in await TrainingClass.filter(id__in=class_ids):
        names.classes[k.id] = k.name
    institution_ids = {_id(d.get("institution_id")) for d in details} - {0}
    for i in await Institution.filter(id__in=institution_ids):
        names.institutions[i.id] = i.name
    return names
