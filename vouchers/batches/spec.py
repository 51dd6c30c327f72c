"""The attributes of a batch (制券), validated. The API's OpenAPI document uses this model too."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from models import DistributionMode, ValidityMode, ValueMode
from vouchers.common.clock import local_date


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL: unchecked, a "\u0000" in a title is a 500, not a 422.
    if "\x00" in value:
        raise ValueError("：含有不允许的控制字符")
    return value


NoNul = AfterValidator(_no_nul)
MIN_YEAR, MAX_YEAR = 2000, 2100
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32), NoNul]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]  # ASCII digits: \d also matches full-width ones


class BatchSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
    region: RegionCode = Field(description="Issuing region; must be yours or below it")
    value_mode: ValueMode
    face_value_fen: int | None = Field(None, ge=1, le=100_000_000, description="Face value in fen")
    distribution: DistributionMode
    voucher_type: Label | None = Field(None, description="Defaults to the first project type")
    project_types: list[Label] = Field(min_length=1, max_length=20)
    occupation: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), NoNul] | None = None
    usable_regions: list[RegionCode] = Field(
        default_factory=list, max_length=200, description="Empty means the issuing region"
    )
    eligible_groups: list[Label] = Field(default_factory=list, max_length=20)
    requires_eligibility_list: bool = False
    claim_start: datetime | None = None
    claim_end: datetime | None = None
    validity_mode: ValidityMode
    valid_until_date: date | None = None
    valid_days: int | None = Field(None, ge=1, le=3650)
    quantity: int = Field(ge=1, le=10_000_000)
    fund_source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), NoNul] = Field(
        "", description="资金来源, e.g. 职业技能提升行动专账资金"
    )
    allow_reclaim_after_return: bool = Field(
        False, description="Whether a trainee who gave a voucher back (退券) may claim this batch again"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.value_mode is ValueMode.FACE_VALUE and self.face_value_fen is None:
            raise _invalid("face_value_fen", "：面值券必须填写面值")
        if self.value_mode is not ValueMode.FACE_VALUE and self.face_value_fen is not None:
            raise _invalid("face_value_fen", "：只有面值券才填写面值")
        if self.validity_mode is ValidityMode.FIXED_DATE:
            if self.valid_until_date is None or self.valid_days is not None:
                wrong = "valid_until_date" if self.valid_until_date is None else "valid_days"
                raise _invalid(wrong, "：按固定日期截止时须填写截止日期，不填有效天数")
        elif self.valid_days is None or self.valid_until_date is not None:
            wrong = "valid_days" if self.valid_days is None else "valid_until_date"
            raise _invalid(wrong, "：按领取后天数计算时须填写有效天数，不填截止日期")
        for name in ("claim_start", "claim_end"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise _invalid(name, "：须包含时区")
            # Bounded so date arithmetic can never overflow (a 500) on absurd input.
            if moment is not None and not MIN_YEAR <= moment.year <= MAX_YEAR:
                raise _invalid(name, f"：年份须在 {MIN_YEAR} 至 {MAX_YEAR} 之间")
        if self.valid_until_date is not None:
            if not MIN_YEAR <= self.valid_until_date.year <= MAX_YEAR:
                raise _invalid("valid_until_date", f"：年份须在 {MIN_YEAR} 至 {MAX_YEAR} 之间")
            if self.claim_end and self.valid_until_date < local_date(self.claim_end):
                raise _invalid("valid_until_date", "：不能早于领取截止日期")
        if self.claim_start and self.claim_end and self.claim_end <= self.claim_start:
            raise _invalid("claim_end", "：须晚于领取开始时间")
        if len(set(self.project_types)) != len(self.project_types):
            raise _invalid("project_types", "：有重复的项目")
        return self


def _invalid(field: str, message: str) -> ValidationError:
    """A cross-field error located at the field to fix. A plain ValueError would be located at the
    whole body, and the bureau user would be told "(body)" instead of which field is wrong."""
    return ValidationError.from_exception_data(
        "BatchSpec",
        [InitErrorDetails(type=PydanticCustomError("value_error", message), loc=(field,), input=None)],
    )
