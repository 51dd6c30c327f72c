"""The training catalogue (人选培训): classes open for sign-up, filtered to those the trainee's
vouchers can pay for, each with "which of my vouchers fits".

Open for sign-up: the class's first day is today or later, its institution is not suspended, it
has a place left (capacity less enrolments, less pending sign-ups where it holds places for
them). Filtering, counting and paging run in the database on the rule's query form
(`fit.fitting_classes`); the vouchers listed on each class are those `fit.misfit` accepts, the
function sign-up enforces.

With `everything` (?all=true) every open class is listed, each with the vouchers that fit it
(often none): the trainee can browse beyond what their vouchers pay for, and still sign up from
that list where one fits.

With a standby configured (`[database] read_url`) the class list - the matching, the count, the
page and its places left - reads from it (`models.replica.on_replica`): it is the catalogue's
heavy read, and may be as old as the standby's lag. The trainee's own vouchers and sign-ups stay
on the primary, so a trainee sees their own sign-up at once; and sign-up checks the places again
on the primary, under the class's row lock, so a place the list still shows decides nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from models import ChannelAccount, Institution, Region, Signup, SignupStatus, TeachingSite, TrainingClass, Voucher
from models.replica import on_replica
from models.sql.signups import places_left
from vouchers.catalogue.fit import fits, fitting_classes, usable_vouchers
from vouchers.catalogue.lapse import open_until_day
from vouchers.catalogue.scores import institution_score
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.scanning.coordinates import convert, distance_m


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    datum: str  # wgs84 or gcj02


@dataclass(frozen=True)
class CatalogueSearch:
    keyword: str | None = None  # in the class's or the institution's name
    occupation: str | None = None
    project_type: str | None = None
    region: str | None = None  # the institution's region, or one above it
    start_from: date | None = None
    start_to: date | None = None
    institution_id: int | None = None
    position: Position | None = None
    everything: bool = False  # every open class, not only those my vouchers fit
    nearest_first: bool = False  # by the distance to the class's nearest site (needs `position`)
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class SiteEntry:
    site: TeachingSite
    distance_m: int | None  # from the trainee's position, when given


@dataclass(frozen=True)
class ClassEntry:
    training_class: TrainingClass  # with its institution
    places_left: int
    sites: list[SiteEntry]
    fitting: list[Voucher]  # my usable vouchers that can pay for it (with their batches)
    evaluation_score: float | None
    my_signup: Signup | None = None  # my pending or confirmed sign-up for it
    # For each fitting voucher with a pending sign-up for another class: that class's id.
    pending_elsewhere: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CataloguePage:
    items: list[ClassEntry]
    total: int


def open_classes(now: datetime) -> QuerySet[TrainingClass]:
    """Classes that take sign-ups now (a query; `places_left` annotated)."""
    return (
        TrainingClass.filter(start_date__gte=open_until_day(now), institution__suspended_at__isnull=True)
        .annotate(places_left=places_left())
        .filter(places_left__gt=0)
    )


async def search_classes(account: ChannelAccount, search: CatalogueSearch) -> CataloguePage:
    if account.person_id is None:
        raise errors.IdentityRequired()
    now = utcnow()
    vouchers = await usable_vouchers(account.person_id, now)
    query = open_classes(now)
    if not search.everything:
        fitting = await fitting_classes(vouchers)
        if fitting is None:
            return CataloguePage([], 0)
        query = query.filter(fitting)
    listed = await on_replica(_class_list, query, search)
    if listed is None:
        return CataloguePage([], 0)
    rows, total = listed
    return CataloguePage(await _entries(account.person_id, rows, vouchers, search.position, now), total)


async def _class_list(
    query: QuerySet[TrainingClass], search: CatalogueSearch
) -> tuple[list[TrainingClass], int] | None:
    """The page of matching classes (with their institutions) and how many match; None when
    nothing can match."""
    query = await _narrowed(query, search)
    if query is None:
        return None
    total = await query.count()
    if search.nearest_first and search.position is not None:
        ids = await _nearest_first(query, search.position)
        page = ids[search.offset : search.offset + search.limit]
        found = {c.id: c for c in await query.filter(id__in=page).prefetch_related("institution__region")}
        return [found[i] for i in page if i in found], total
    rows = (
        await query.order_by("start_date", "id")
        .offset(search.offset)
        .limit(search.limit)
        .prefetch_related("institution__region")
    )
    return rows, total


# Nearest first orders every match by a distance computed here, so it reads at most this many
# (their ids and sites only). A city has hundreds of open classes, not thousands; past this the
# list is the nearest of the earliest-starting ones.
NEAREST_FIRST_MAX = 2000


async def _nearest_first(query: QuerySet[TrainingClass], position: Position) -> list[int]:
    candidates = await query.order_by("start_date", "id").limit(NEAREST_FIRST_MAX).values_list("id", "site_ids")
    site_ids = {sid for _, ids in candidates for sid in ids}
    sites = await TeachingSite.filter(id__in=list(site_ids)) if site_ids else []
    metres = {s.id: site_entry(s, position).distance_m for s in sites}
    far = float("inf")  # a class whose sites are gone sorts last

    def nearest(row: tuple[int, list[int]]) -> float:
        return min((metres[sid] for sid in row[1] if sid in metres), default=far)

    return [class_id for class_id, _ in sorted(candidates, key=nearest)]  # stable: ties keep start date order


async def _narrowed(query: QuerySet[TrainingClass], search: CatalogueSearch) -> QuerySet[TrainingClass] | None:
    """The trainee's search terms; None when they can match nothing (an unknown region)."""
    if search.keyword:
        query = query.filter(Q(name__icontains=search.keyword) | Q(institution__name__icontains=search.keyword))
    if search.occupation:
        query = query.filter(occupation=search.occupation)
    if search.project_type:
        query = query.filter(project_type=search.project_type)
    if search.start_from:
        query = query.filter(start_date__gte=search.start_from)
    if search.start_to:
        query = query.filter(start_date__lte=search.start_to)
    if search.institution_id is not None:
        query = query.filter(institution_id=search.institution_id)
    if search.region:
        region = await Region.get_or_none(code=search.region)
        if region is None:
            return None
        query = query.filter(
            Q(institution__region__path=region.path) | Q(institution__region__path__startswith=region.path + "/")
        )
    return query


async def _entries(
    person_id: int, rows: list[TrainingClass], vouchers: list[Voucher], position: Position | None, now: datetime
) -> list[ClassEntry]:
    site_ids = {sid for c in rows for sid in c.site_ids}
    sites = {s.id: s for s in await TeachingSite.filter(id__in=list(site_ids))} if site_ids else {}
    ids = [c.id for c in rows]
    mine = {
        s.training_class_id: s
        for s in await Signup.filter(
            person_id=person_id, training_class_id__in=ids, status__in=(SignupStatus.PENDING, SignupStatus.CONFIRMED)
        )
    }
    pending = dict(
        await Signup.filter(voucher_id__in=[v.id for v in vouchers], status=SignupStatus.PENDING).values_list(
            "voucher_id", "training_class_id"
        )
    )
    scores: dict[int, float | None] = {}
    entries = []
    for c in rows:
        institution: Institution = c.institution
        if institution.id not in scores:
            scores[institution.id] = await institution_score(institution.id)
        fitting = [v for v in vouchers if fits(v, c, institution.region.path, now)]
        entries.append(
            ClassEntry(
                training_class=c,
                places_left=int(getattr(c, "places_left", 0)),
                sites=[site_entry(sites[sid], position) for sid in c.site_ids if sid in sites],
                fitting=fitting,
                evaluation_score=scores[institution.id],
                my_signup=mine.get(c.id),
                pending_elsewhere={v.id: pending[v.id] for v in fitting if pending.get(v.id, c.id) != c.id},
            )
        )
    return entries


def site_entry(site: TeachingSite, position: Position | None) -> SiteEntry:
    if position is None:
        return SiteEntry(site, None)
    lat, lng = convert(position.latitude, position.longitude, position.datum, str(site.datum))
    return SiteEntry(site, round(distance_m(lat, lng, site.latitude, site.longitude)))
