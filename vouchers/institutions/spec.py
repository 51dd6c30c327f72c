"""Validated inputs of the institution registry, staff, sites, classes and lessons. The API's
OpenAPI document uses these models too."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from models import Datum, InstitutionKind
from vouchers.batches.spec import NoNul, RegionCode
from vouchers.qr.offline import undo_caps_lock

Text32 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32), NoNul]
Text50 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), NoNul]
Text64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NoNul]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]


Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{3,64}$")]
# The QR text as a scanner read it; a code typed with Caps Lock on is read as the code.
QrText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256), NoNul, AfterValidator(undo_caps_lock)
]
Password = Annotated[str, StringConstraints(min_length=10, max_length=256), NoNul]


def _not_online(kind: InstitutionKind) -> InstitutionKind:
    # A platform needs its scope and keys: it is registered at /api/v1/admin/platforms.
    if kind == InstitutionKind.ONLINE_PLATFORM:
        raise ValueError("线上培训平台请在“线上培训平台”中登记")
    return kind


RegistryKind = Annotated[InstitutionKind, AfterValidator(_not_online)]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CommissionerSpec(Spec):
    name: Text50
    id_number: Annotated[str, StringConstraints(min_length=15, max_length=20), NoNul]
    username: Username
    password: Password


class InstitutionSpec(Spec):
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{7}$")] = Field(
        description="7-digit institution code of the training system"
    )
    name: Text100
    region: RegionCode
    address: Text200
    phone: Annotated[str, StringConstraints(pattern=r"^[0-9+\-() ]{5,32}$")]
    kind: RegistryKind
    commissioner: CommissionerSpec


class StaffSpec(Spec):
    username: Username
    password: Password
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), NoNul] = ""


class PasswordResetSpec(Spec):
    password: Password


class OwnPasswordSpec(Spec):
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=256), NoNul]
    new_password: Password


class SiteSpec(Spec):
    name: Text100
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul] = ""
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    datum: Datum = Field(description="Datum of the coordinates: wgs84 (GPS) or gcj02 (Chinese maps)")
    radius_m: int = Field(ge=10, le=5000)


class PointSpec(Spec):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    datum: Datum


class ClassSpec(Spec):
    name: Text100
    project_type: Text32
    occupation: Text64 | None = None
    start_date: date
    end_date: date
    site_ids: list[int] = Field(min_length=1, max_length=20)
    capacity: int = Field(ge=1, le=10_000)
    hold_places_for_signups: bool | None = Field(
        None,
        description="Pending online sign-ups take places, for sign-ups and walk-in enrolments alike."
        " Left out: unchanged (false for a new class)",
    )

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.end_date < self.start_date:
            raise ValueError("结束日期不能早于开班日期")
        if (self.end_date - self.start_date).days > 3 * 366:
            raise ValueError("培训班最长三年")
        return self


class LessonSpec(Spec):
    starts_at: datetime
    ends_at: datetime
    checkin_opens_at: datetime | None = Field(None, description="Default: 30 minutes before the start")
    checkin_closes_at: datetime | None = Field(None, description="Default: 30 minutes after the start")

    @model_validator(mode="after")
    def _window(self) -> Self:
        for name in ("starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError("时间须带时区（如 +08:00）")
        if self.ends_at <= self.starts_at or self.ends_at - self.starts_at > timedelta(hours=24):
            raise ValueError("下课时间须晚于上课时间，且一次课不超过24小时")
        opens = self.checkin_opens_at or self.starts_at - timedelta(minutes=30)
        closes = self.checkin_closes_at or self.starts_at + timedelta(minutes=30)
        if closes <= opens:
            raise ValueError("签到截止时间须晚于签到开始时间")
        if opens >= self.ends_at or closes <= self.starts_at:
            raise ValueError("签到时间须与上课时间有重叠")
        # Stored and compared in UTC (SQLite compares datetimes as text).
        self.starts_at, self.ends_at = self.starts_at.astimezone(UTC), self.ends_at.astimezone(UTC)
        self.checkin_opens_at, self.checkin_closes_at = opens.astimezone(UTC), closes.astimezone(UTC)
        return self


class ScanAction(StrEnum):
    VERIFY = "verify"  # 验券: is it genuine and valid here? Changes nothing.
    ENROL = "enrol"  # 用券: bind the voucher to a class
    CHECKIN = "checkin"  # 签到: attendance at the class's current lesson


class ScanSpec(Spec):
    payload: QrText = Field(
        description="The QR text exactly as the scanner read it: the trainee's rotating voucher code"
        " (PXQ1.V...), or the static card-pass code of the Alipay card pack (PXQ1.P...), which verify"
        " and enrol accept and checkin refuses (qr_static)"
    )
    action: ScanAction
    class_id: int | None = Field(None, ge=1, le=2_000_000_000, description="Required for enrol and checkin")
    lesson_id: int | None = Field(None, ge=1, le=2_000_000_000, description="Optional for checkin")
    nonce: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")] = Field(
        description="Chosen by the client per scan: sending it again returns the first answer"
    )
    scanned_at: datetime = Field(description="The scanner's clock when the code was read")
    device: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NoNul]


class LocationCheckinSpec(Spec):
    payload: QrText = Field(description="The class code shown in the classroom")
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    accuracy: float = Field(ge=0, le=100_000, description="Reported accuracy in metres")
    coord_type: Datum = Field(description="wgs84 (wx.getLocation default) or gcj02 (Alipay, Chinese maps)")
