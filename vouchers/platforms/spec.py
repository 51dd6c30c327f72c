"""Validated inputs of the platform API and of the bureau's platform registry. The API's OpenAPI
document uses these models too."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Self

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from vouchers.batches.spec import NoNul, RegionCode
from vouchers.institutions.spec import QrText, Spec, Text32, Text64, Text100, Text200

CourseCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]
VoucherCode = Annotated[str, StringConstraints(pattern=r"^[A-Z2-7]{16}$")]
ReportId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]


def _distinct(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("不能重复")
    return values


ProjectTypes = Annotated[list[Text32], Field(min_length=1, max_length=20), AfterValidator(_distinct)]
Occupations = Annotated[list[Text64], Field(max_length=200), AfterValidator(_distinct)]


class ScopeSpec(Spec):
    project_types: ProjectTypes = Field(description="Project types the platform may take (at least one)")
    occupations: Occupations = Field(
        default_factory=list, description="Occupations it may take; empty: any occupation of those project types"
    )


class PlatformSpec(ScopeSpec):
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{7}$")] = Field(
        description="7-digit institution code of the training system; the platform's X-Pxq-Platform"
    )
    name: Text100
    region: RegionCode
    address: Text200
    phone: Annotated[str, StringConstraints(pattern=r"^[0-9+\-() ]{5,32}$")]


class CourseSpec(Spec):
    name: Text100
    project_type: Text32
    occupation: Text64 | None = None
    start_date: date
    end_date: date = Field(description="Last day a voucher may be enrolled into the course")
    capacity: int = Field(ge=1, le=1_000_000)
    required_hours: float = Field(gt=0, le=2000, description="Study hours a trainee must report to complete")

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.end_date < self.start_date:
            raise ValueError("结束日期不能早于开课日期")
        if (self.end_date - self.start_date).days > 3 * 366:
            raise ValueError("课程最长三年")
        return self


class PresentedSpec(Spec):
    code: QrText = Field(description="The voucher code the trainee shows in the mini program (PXQ1.V...)")


class VerifySpec(PresentedSpec):
    course: CourseCode | None = Field(None, description="The course to check the voucher against")


class EnrolSpec(PresentedSpec):
    course: CourseCode


class ProgressSpec(Spec):
    report_id: ReportId = Field(description="The platform's id of this report: sent again, it is counted once")
    voucher: VoucherCode
    course: CourseCode
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NoNul] = Field(
        description="The course unit (章节) studied"
    )
    hours: float = Field(gt=0, le=24, description="Hours studied in this report, counted to the minute")


class CompletionSpec(Spec):
    voucher: VoucherCode
    course: CourseCode
    passed: bool
    certificate_kind: Text32 | None = None
    certificate_number: Text64 | None = None
    certificate_level: Text32 | None = None
