"""WGS-84 <-> GCJ-02 conversion and great-circle distance.

GCJ-02 is the datum Chinese maps (and Alipay's my.getLocation) use; GPS and wx.getLocation's
default give WGS-84. The offset is tens to hundreds of metres, enough to break a 200 m fence.
The forward formula is the widely published one (as in the eviltransform project); the reverse
is its fixed-point inversion. Written here rather than imported because the PyPI packages that
carry it are unmaintained single files, and this is forty lines with reference tests.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG), for great-circle distances
_A = 6_378_137.0  # Krasovsky-based semi-major axis of the GCJ-02 formula
_EE = 0.00669342162296594323  # its eccentricity squared


def outside_china(lat: float, lng: float) -> bool:
    """GCJ-02 only shifts points inside this box; elsewhere it equals WGS-84."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset(lat: float, lng: float) -> tuple[float, float]:
    x, y = lng - 105.0, lat - 35.0
    base = 20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += (
        (
            base
            + 20.0 * math.sin(y * math.pi)
            + 40.0 * math.sin(y / 3.0 * math.pi)
            + 160.0 * math.sin(y / 12.0 * math.pi)
            + 320.0 * math.sin(y * math.pi / 30.0)
        )
        * 2.0
        / 3.0
    )
    d_lng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lng += (
        (
            base
            + 20.0 * math.sin(x * math.pi)
            + 40.0 * math.sin(x / 3.0 * math.pi)
            + 150.0 * math.sin(x / 12.0 * math.pi)
            + 300.0 * math.sin(x / 30.0 * math.pi)
        )
        * 2.0
        / 3.0
    )
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lat, d_lng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if outside_china(lat, lng):
        return lat, lng
    d_lat, d_lng = _offset(lat, lng)
    return lat + d_lat, lng + d_lng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """Inverse by fixed-point iteration: converges to well under a centimetre in a few steps."""
    if outside_china(lat, lng):
        return lat, lng
    w_lat, w_lng = lat, lng
    for _ in range(10):
        g_lat, g_lng = wgs84_to_gcj02(w_lat, w_lng)
        e_lat, e_lng = g_lat - lat, g_lng - lng
        w_lat, w_lng = w_lat - e_lat, w_lng - e_lng
        if abs(e_lat) < 1e-9 and abs(e_lng) < 1e-9:
            break
    return w_lat, w_lng


def convert(lat: float, lng: float, source: str, target: str) -> tuple[float, float]:
    """Between datums named "wgs84" and "gcj02"."""
    if source == target:
        return lat, lng
    if source == "wgs84" and target == "gcj02":
        return wgs84_to_gcj02(lat, lng)
    if source == "gcj02" and target == "wgs84":
        return gcj02_to_wgs84(lat, lng)
    raise ValueError(f"unknown datum conversion {source} -> {target}")


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    d_p, d_l = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(d_p / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(d_l / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def allowed_m(radius_m: float, accuracy_m: float, cap_m: float) -> float:
    """The fence: the site's radius plus the reported accuracy, capped so that a phone claiming
    a 5 km accuracy cannot check in from home."""
    return radius_m + min(max(accuracy_m, 0.0), cap_m)
