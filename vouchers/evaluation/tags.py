"""The fixed list of tags a trainee may add to an evaluation. Each tag is one bit of
`Evaluation.tag_mask`, by its place in TAGS: append new tags at the end, never reorder or remove
one (a removed tag would silently rename the bit of every stored evaluation)."""

from __future__ import annotations

from collections.abc import Iterable

POSITIVE = ("老师认真", "讲解清楚", "内容实用", "实操充分", "设备齐全", "时间合理", "通知及时", "服务周到")
NEGATIVE = ("课时不足", "内容陈旧", "设备不足", "组织混乱", "通知不及时", "额外收费")
TAGS = POSITIVE + NEGATIVE


def mask_of(tags: Iterable[str]) -> int:
    return sum(1 << TAGS.index(tag) for tag in set(tags))


def tags_of(mask: int) -> list[str]:
    return [tag for bit, tag in enumerate(TAGS) if mask >> bit & 1]
