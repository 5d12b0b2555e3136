"""Standard-library-only reference computations the tests compare the app against."""

from __future__ import annotations

import math


def vincenty_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance on the WGS84 ellipsoid (Vincenty's inverse formula), in km."""
    a, f = 6378137.0, 1 / 298.257223563
    b = (1 - f) * a
    big_l = math.radians(lon2 - lon1)
    u1 = math.atan((1 - f) * math.tan(math.radians(lat1)))
    u2 = math.atan((1 - f) * math.tan(math.radians(lat2)))
    sin_u1, cos_u1, sin_u2, cos_u2 = math.sin(u1), math.cos(u1), math.sin(u2), math.cos(u2)
    lam = big_l
    for _ in range(200):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
        if sin_sigma == 0:
            return 0.0
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = cos_u1 * cos_u2 * sin_lam / sin_sigma
        cos2_alpha = 1 - sin_alpha**2
        cos_2sm = cos_sigma - 2 * sin_u1 * sin_u2 / cos2_alpha if cos2_alpha else 0.0
        c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        lam_prev = lam
        lam = big_l + (1 - c) * f * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2))
        )
        if abs(lam - lam_prev) < 1e-12:
            break
    u_sq = cos2_alpha * (a**2 - b**2) / b**2
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta = (
        big_b
        * sin_sigma
        * (
            cos_2sm
            + big_b
            / 4
            * (
                cos_sigma * (-1 + 2 * cos_2sm**2)
                - big_b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)
            )
        )
    )
    return b * big_a * (sigma - delta) / 1000.0


def _in_ring(x: float, y: float, ring: list) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def in_geojson_polygon(lon: float, lat: float, geometry: dict) -> bool:
    """Point in a GeoJSON Polygon or MultiPolygon (holes respected), by ray casting."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    for rings in polygons:
        if _in_ring(lon, lat, rings[0]) and not any(_in_ring(lon, lat, r) for r in rings[1:]):
            return True
    return False


def zone_in_force(features: list[dict], zone_id: str, day: str) -> dict | None:
    """The GeoJSON geometry of ``zone_id``'s version in force on ``day`` (YYYY-MM-DD): the
    latest ``valid_from`` on or before it (the highest version on a tie); None before the
    zone began or while that version says 'ended'. ``features``: every version, as
    ``zonewatch zones export --all-versions`` writes them."""
    live = [
        f["properties"] | {"geometry": f["geometry"]}
        for f in features
        if f["properties"]["zone_id"] == zone_id and f["properties"]["valid_from"][:10] <= day
    ]
    if not live:
        return None
    best = max(live, key=lambda p: (p["valid_from"][:10], int(p["version"])))
    return None if best["status"] == "ended" else best["geometry"]


def in_zone_on(features: list[dict], zone_id: str, day: str, lon: float, lat: float) -> bool:
    """Whether (lon, lat) lies in the zone's version in force on ``day``."""
    geometry = zone_in_force(features, zone_id, day)
    return geometry is not None and in_geojson_polygon(lon, lat, geometry)
