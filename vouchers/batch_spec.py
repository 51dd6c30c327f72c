"""The attributes of a batch (制券), validated. The API's OpenAPI document uses this model too."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from models import DistributionMode, ValidityMode, ValueMode

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class BatchSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    region: RegionCode = Field(description="Issuing region; must be yours or below it")
    value_mode: ValueMode
    face_value_fen: int | None = Field(None, ge=1, le=100_000_000, description="Face value in fen")
    distribution: DistributionMode
    voucher_type: Label | None = Field(None, description="Defaults to the first project type")
    project_types: list[Label] = Field(min_length=1, max_length=20)
    occupation: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
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
            raise ValueError("face_value_fen is required for face-value vouchers")
        if self.value_mode is not ValueMode.FACE_VALUE and self.face_value_fen is not None:
            raise ValueError("face_value_fen is only for face-value vouchers")
        if self.validity_mode is ValidityMode.FIXED_DATE:
            if self.valid_until_date is None or self.valid_days is not None:
                raise ValueError("fixed_date validity needs valid_until_date and no valid_days")
        elif self.valid_days is None or self.valid_until_date is not None:
            raise ValueError("days_after_claim validity needs valid_days and no valid_until_date")
        for moment in (self.claim_start, self.claim_end):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("claim_start and claim_end need a time zone offset")
        if self.claim_start and self.claim_end and self.claim_end <= self.claim_start:
            raise ValueError("claim_end must be after claim_start")
        if len(set(self.project_types)) != len(self.project_types):
            raise ValueError("project_types has duplicates")
        return self
