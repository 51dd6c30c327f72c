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
        raise ValueError("must not contain NUL characters")
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

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.value_mode is ValueMode.FACE_VALUE and self.face_value_fen is None:
            raise _invalid("face_value_fen", "face_value_fen is required for face-value vouchers")
        if self.value_mode is not ValueMode.FACE_VALUE and self.face_value_fen is not None:
            raise _invalid("face_value_fen", "face_value_fen is only for face-value vouchers")
        if self.validity_mode is ValidityMode.FIXED_DATE:
            if self.valid_until_date is None or self.valid_days is not None:
                wrong = "valid_until_date" if self.valid_until_date is None else "valid_days"
                raise _invalid(wrong, "fixed_date validity needs valid_until_date and no valid_days")
        elif self.valid_days is None or self.valid_until_date is not None:
            wrong = "valid_days" if self.valid_days is None else "valid_until_date"
            raise _invalid(wrong, "days_after_claim validity needs valid_days and no valid_until_date")
        for name in ("claim_start", "claim_end"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise _invalid(name, "claim_start and claim_end need a time zone offset")
            # Bounded so date arithmetic can never overflow (a 500) on absurd input.
            if moment is not None and not MIN_YEAR <= moment.year <= MAX_YEAR:
                raise _invalid(name, f"year must be between {MIN_YEAR} and {MAX_YEAR}")
        if self.valid_until_date is not None:
            if not MIN_YEAR <= self.valid_until_date.year <= MAX_YEAR:
                raise _invalid("valid_until_date", f"year must be between {MIN_YEAR} and {MAX_YEAR}")
            if self.claim_end and self.valid_until_date < local_date(self.claim_end):
                raise _invalid("valid_until_date", "valid_until_date must not be before the end of the claim window")
        if self.claim_start and self.claim_end and self.claim_end <= self.claim_start:
            raise _invalid("claim_end", "claim_end must be after claim_start")
        if len(set(self.project_types)) != len(self.project_types):
            raise _invalid("project_types", "project_types has duplicates")
        return self


def _invalid(field: str, message: str) -> ValidationError:
    """A cross-field error located at the field to fix. A plain ValueError would be located at the
    whole body, and the bureau user would be told "(body)" instead of which field is wrong."""
    return ValidationError.from_exception_data(
        "BatchSpec",
        [InitErrorDetails(type=PydanticCustomError("value_error", message), loc=(field,), input=None)],
    )
