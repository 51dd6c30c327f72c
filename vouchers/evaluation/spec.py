"""Validated input of an evaluation. The API's OpenAPI document uses these models too."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from vouchers.batches.spec import NoNul
from vouchers.evaluation.tags import TAGS

Score = Annotated[int, Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")]
Tag = Literal[TAGS]  # type: ignore[valid-type]
COMMENT_MAX = 200


def _distinct(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


class EvaluationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    teaching: Score  # 教学
    organisation: Score  # 组织
    usefulness: Score  # 实用
    tags: Annotated[list[Tag], Field(max_length=len(TAGS)), AfterValidator(_distinct)] = Field(default_factory=list)
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=COMMENT_MAX), NoNul] = ""


class NewEvaluation(EvaluationSpec):
    voucher_code: Annotated[str, StringConstraints(pattern=r"^[A-Z2-7]{16}$")]
