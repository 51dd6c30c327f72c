"""The trainee's training catalogue (人选培训) and sign-ups (报名): /api/v1/catalogue/..., /signups."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal, Self

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints, model_validator

from miniapp_api.endpoint import endpoint, path_int
from miniapp_api.schemas import Strict
from models import ChannelAccount, Datum, Voucher
from peixunquan.appkeys import SERVICES
from vouchers.catalogue.cancel import cancel_signup
from vouchers.catalogue.institution_page import institution_page
from vouchers.catalogue.search import CatalogueSearch, ClassEntry, Position, SiteEntry, search_classes
from vouchers.catalogue.sign_up import sign_up
from vouchers.catalogue.signup_lists import SignupEntry, my_signup, my_signups
from vouchers.common.clock import local_date
from vouchers.common.labels import signup_status_label
from vouchers.institutions.spec import Text32, Text50, Text64

TAG = "catalogue"
ID = r"{%s:\d{1,9}}"


class PositionQuery(Strict):
    latitude: float | None = Field(None, ge=-90, le=90, description="The trainee's position, for distances")
    longitude: float | None = Field(None, ge=-180, le=180)
    datum: Datum | None = Field(None, description="wgs84 (wx.getLocation default) or gcj02 (Alipay, Chinese maps)")

    @model_validator(mode="after")
    def _all_or_none(self) -> Self:
        given = [self.latitude is not None, self.longitude is not None, self.datum is not None]
        if any(given) and not all(given):
            raise ValueError("位置须同时给出纬度、经度和坐标系")
        return self

    def position(self) -> Position | None:
        if self.latitude is None or self.longitude is None or self.datum is None:
            return None
        return Position(self.latitude, self.longitude, str(self.datum))


class CatalogueQuery(PositionQuery):
    q: Text50 | None = Field(None, description="A word of the class's or the institution's name")
    occupation: Text64 | None = None
    project_type: Text32 | None = None
    region: Annotated[str, StringConstraints(pattern=r"^\d{6}$")] | None = Field(
        None, description="District (region code): its institutions and those of the regions below it"
    )
    start_from: date | None = None
    start_to: date | None = None
    all: bool = Field(False, description="Every open class, not only those my vouchers can pay for")
    sort: Literal["start_date", "distance"] = Field(
        "start_date", description="start_date (earliest first) or distance (nearest site first; needs the position)"
    )
    limit: int = Field(20, ge=1, le=50)
    offset: int = Field(0, ge=0, le=100_000)

    @model_validator(mode="after")
    def _distance_needs_position(self) -> Self:
        if self.sort == "distance" and self.position() is None:
            raise ValueError("按距离排序须给出您的位置（纬度、经度和坐标系）")
        return self

    def search(self) -> CatalogueSearch:
        return CatalogueSearch(
            keyword=self.q,
            occupation=self.occupation,
            project_type=self.project_type,
            region=self.region,
            start_from=self.start_from,
            start_to=self.start_to,
            position=self.position(),
            everything=self.all,
            nearest_first=self.sort == "distance",
            limit=self.limit,
            offset=self.offset,
        )


class InstitutionBrief(BaseModel):
    id: int
    name: str
    phone: str


class SiteOut(BaseModel):
    id: int
    name: str
    address: str
    distance_m: int | None = Field(description="Metres from the trainee's position; null without one")

    @classmethod
    def of(cls, s: SiteEntry) -> SiteOut:
        return cls(id=s.site.id, name=s.site.name, address=s.site.address, distance_m=s.distance_m)


class FittingVoucher(BaseModel):
    code: str
    title: str
    value_mode: str
    face_value_fen: int | None
    last_valid_day: date
    signed_up_class_id: int | None = Field(
        description="The other class this voucher has a pending sign-up for: cancel that to use the voucher here"
    )


class MySignupBrief(BaseModel):
    id: int
    status: str
    status_text: str


class CatalogueClass(BaseModel):
    id: int
    name: str
    project_type: str
    occupation: str | None
    start_date: date
    end_date: date
    capacity: int
    places_left: int
    institution: InstitutionBrief
    sites: list[SiteOut]
    evaluation_score: float | None = Field(description="The institution's average evaluation, 1 to 5; null if none")
    fitting_vouchers: list[FittingVoucher]
    my_signup: MySignupBrief | None = Field(description="My pending or confirmed sign-up for this class")

    @classmethod
    def of(cls, e: ClassEntry) -> CatalogueClass:
        c = e.training_class
        return cls(
            id=c.id,
            name=c.name,
            project_type=c.project_type,
            occupation=c.occupation,
            start_date=c.start_date,
            end_date=c.end_date,
            capacity=c.capacity,
            places_left=e.places_left,
            institution=InstitutionBrief(id=c.institution.id, name=c.institution.name, phone=c.institution.phone),
            sites=[SiteOut.of(s) for s in e.sites],
            evaluation_score=e.evaluation_score,
            fitting_vouchers=[_fitting(v, e.pending_elsewhere.get(v.id)) for v in e.fitting],
            my_signup=(
                MySignupBrief(
                    id=e.my_signup.id,
                    status=str(e.my_signup.status),
                    status_text=signup_status_label(str(e.my_signup.status)),
                )
                if e.my_signup is not None
                else None
            ),
        )


def _fitting(v: Voucher, elsewhere: int | None) -> FittingVoucher:
    return FittingVoucher(
        code=v.code,
        title=v.batch.title,
        value_mode=str(v.batch.value_mode),
        face_value_fen=v.batch.face_value_fen,
        last_valid_day=local_date(v.valid_until - timedelta(seconds=1)),
        signed_up_class_id=elsewhere,
    )


class CataloguePage(BaseModel):
    items: list[CatalogueClass]
    total: int
    limit: int
    offset: int


@endpoint(
    "GET",
    "/api/v1/catalogue/classes",
    summary="Classes open for sign-up that my vouchers can pay for (all=true: every open class)",
    tag=TAG,
    auth="trainee",
    query=CatalogueQuery,
    response=CataloguePage,
)
async def list_classes(request: web.Request, account: ChannelAccount, query: CatalogueQuery) -> CataloguePage:
    found = await search_classes(account, query.search())
    return CataloguePage(
        items=[CatalogueClass.of(e) for e in found.items], total=found.total, limit=query.limit, offset=query.offset
    )


class RegionBrief(BaseModel):
    code: str
    name: str


class InstitutionPageOut(BaseModel):
    id: int
    name: str
    phone: str
    address: str
    kind: str
    region: RegionBrief
    evaluation_score: float | None
    sites: list[SiteOut]
    classes: list[CatalogueClass] = Field(description="Its classes open for sign-up, the first 100 by start date")
    classes_total: int


@endpoint(
    "GET",
    "/api/v1/catalogue/institutions/" + ID % "institution_id",
    summary="An institution's page: sites, evaluation score, classes open for sign-up",
    tag=TAG,
    auth="trainee",
    query=PositionQuery,
    response=InstitutionPageOut,
)
async def get_institution(request: web.Request, account: ChannelAccount, query: PositionQuery) -> InstitutionPageOut:
    page = await institution_page(account, path_int(request, "institution_id"), query.position())
    i = page.institution
    return InstitutionPageOut(
        id=i.id,
        name=i.name,
        phone=i.phone,
        address=i.address,
        kind=str(i.kind),
        region=RegionBrief(code=i.region.code, name=i.region.name),
        evaluation_score=page.evaluation_score,
        sites=[SiteOut.of(s) for s in page.sites],
        classes=[CatalogueClass.of(e) for e in page.classes],
        classes_total=page.classes_total,
    )


class SignupRequest(Strict):
    class_id: int = Field(ge=1, le=2_000_000_000)
    voucher_code: Annotated[str, StringConstraints(pattern=r"^[A-Z2-7]{16}$")] = Field(
        description="One of my vouchers that fits the class (see fitting_vouchers in the catalogue)"
    )


class SignupClass(BaseModel):
    id: int
    name: str
    project_type: str
    occupation: str | None
    start_date: date
    end_date: date


class SignupVoucher(BaseModel):
    code: str
    title: str


class SignupOut(BaseModel):
    id: int
    status: str = Field(description="pending, confirmed, declined, lapsed, cancelled")
    status_text: str = Field(description="待确认, 已确认, 已婉拒, 已失效, 已取消")
    reason: str | None = Field(description="Why it was declined, or why it lapsed")
    cancellable: bool
    created_at: datetime
    decided_at: datetime | None
    voucher: SignupVoucher
    training_class: SignupClass
    institution: InstitutionBrief

    @classmethod
    def of(cls, e: SignupEntry) -> SignupOut:
        s, c = e.signup, e.signup.training_class
        return cls(
            id=s.id,
            status=str(e.status),
            status_text=signup_status_label(str(e.status)),
            reason=e.reason,
            cancellable=e.cancellable,
            created_at=s.created_at,
            decided_at=s.decided_at,
            voucher=SignupVoucher(code=s.voucher.code, title=s.voucher.batch.title),
            training_class=SignupClass(
                id=c.id,
                name=c.name,
                project_type=c.project_type,
                occupation=c.occupation,
                start_date=c.start_date,
                end_date=c.end_date,
            ),
            institution=InstitutionBrief(id=c.institution.id, name=c.institution.name, phone=c.institution.phone),
        )


class SignupList(BaseModel):
    items: list[SignupOut]


class SignupPage(Strict):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


@endpoint(
    "POST",
    "/api/v1/signups",
    summary="Sign up for a class with one of my vouchers that fits it",
    tag=TAG,
    auth="trainee",
    body=SignupRequest,
    response=SignupOut,
    status=201,
)
async def create_signup(request: web.Request, account: ChannelAccount, body: SignupRequest) -> SignupOut:
    signup = await sign_up(request.app[SERVICES], account, body.class_id, body.voucher_code)
    return SignupOut.of(await my_signup(account, signup))


@endpoint(
    "GET", "/api/v1/signups", summary="My sign-ups", tag=TAG, auth="trainee", query=SignupPage, response=SignupList
)
async def list_signups(request: web.Request, account: ChannelAccount, query: SignupPage) -> SignupList:
    return SignupList(items=[SignupOut.of(e) for e in await my_signups(account, query.limit, query.offset)])


@endpoint(
    "POST",
    "/api/v1/signups/" + ID % "signup_id" + "/cancel",
    summary="Withdraw my pending sign-up",
    tag=TAG,
    auth="trainee",
    response=SignupOut,
)
async def cancel(request: web.Request, account: ChannelAccount) -> SignupOut:
    signup = await cancel_signup(account, path_int(request, "signup_id"))
    return SignupOut.of(await my_signup(account, signup))
