"""An institution's page in the catalogue: who it is, its teaching sites (with the distance from
the trainee), its evaluation score and its classes open for sign-up, each with the trainee's
vouchers that fit it. A suspended institution has no page."""

from __future__ import annotations

from dataclasses import dataclass

from models import ChannelAccount, Institution, TeachingSite
from vouchers.catalogue.scores import institution_score
from vouchers.catalogue.search import CatalogueSearch, ClassEntry, Position, SiteEntry, search_classes, site_entry
from vouchers.common import errors

MAX_CLASSES = 100


@dataclass(frozen=True)
class InstitutionPage:
    institution: Institution  # with its region
    sites: list[SiteEntry]
    evaluation_score: float | None
    classes: list[ClassEntry]
    classes_total: int


async def institution_page(
    account: ChannelAccount, institution_id: int, position: Position | None = None
) -> InstitutionPage:
    if account.person_id is None:
        raise errors.IdentityRequired()
    institution = await Institution.get_or_none(id=institution_id, suspended_at=None).prefetch_related("region")
    if institution is None:
        raise errors.NotFound("找不到该培训机构")
    search = CatalogueSearch(institution_id=institution.id, position=position, everything=True, limit=MAX_CLASSES)
    found = await search_classes(account, search)
    sites = await TeachingSite.filter(institution_id=institution.id).order_by("id")
    return InstitutionPage(
        institution=institution,
        sites=[site_entry(s, position) for s in sites],
        evaluation_score=await institution_score(institution.id),
        classes=found.items,
        classes_total=found.total,
    )
