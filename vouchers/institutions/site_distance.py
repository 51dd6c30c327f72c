"""How far a point is from a teaching site ("测距"), as a location check-in would judge it: the
point converted to the site's datum, the great-circle distance against the site's radius (the
phone's accuracy is not added here: this is the site as drawn)."""

from __future__ import annotations

from dataclasses import dataclass

from models import Staff
from vouchers.institutions.spec import PointSpec
from vouchers.institutions.teaching_edits import own_site
from vouchers.scanning.coordinates import convert, distance_m


@dataclass(frozen=True)
class SiteDistance:
    distance_m: float
    radius_m: int
    inside: bool


async def site_distance(actor: Staff, site_id: int, point: PointSpec) -> SiteDistance:
    site = await own_site(actor, site_id)
    lat, lng = convert(point.latitude, point.longitude, str(point.datum), str(site.datum))
    metres = distance_m(lat, lng, site.latitude, site.longitude)
    return SiteDistance(distance_m=round(metres, 1), radius_m=site.radius_m, inside=metres <= site.radius_m)
