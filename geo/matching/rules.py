"""The matching rules, in one place: how far apart in time and space two records of the same
event may be, which event types can describe the same event, and how a link is scored.

Time: a record's dates are widened by a tolerance that follows its date precision (a day for
``day`` and ``days``, a week for ``week``, a month for ``month``, a year for ``year``); two
records may match when the gap between their date ranges is at most the larger tolerance.

Place: each record has a radius that follows its location precision (:data:`RADIUS_KM`); two
records may match when they are at most the sum of their radii apart (geodesic, on a sphere).
So two exactly placed records must lie within 6 km, an exact and a "near" one within 13 km,
and a governorate centroid reaches about 80 km further.

Type: each event type has kinds (:data:`TYPE_KINDS`): fighting, remote (air strikes,
shelling, missiles) or violence against civilians; two records may match when they share a
kind. A type not listed matches only the same type text.

Actors: see :mod:`geo.matching.actors`. Two records whose sides are all known and share no
side are not the same event; nor are two that share one side while their other sides are
known and differ (the army against IS is not the army against the rebels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Days added on both sides of a record's dates, by date precision ("" = not given).
DATE_TOLERANCE_DAYS = {"day": 1, "days": 1, "week": 7, "month": 31, "year": 366, "": 1}

#: How far from its point a record's event may have happened, by location precision (km).
RADIUS_KM = {
    "exact": 3.0,
    "near": 10.0,
    "approximate": 25.0,
    "admin2": 30.0,
    "region": 50.0,  # ACLED geo_precision 3: a larger area, often a district
    "admin1": 80.0,
    "country": math.inf,
    "international": math.inf,
    "": 10.0,
}

#: What kind of violence each event type records (UCDP, ACLED, ZoneWatch curated).
TYPE_KINDS = {
    "state-based conflict": {"fighting", "remote"},
    "non-state conflict": {"fighting", "remote"},
    "one-sided violence": {"civilians", "remote"},
    "battles": {"fighting"},
    "explosions/remote violence": {"remote"},
    "violence against civilians": {"civilians"},
    "air strike": {"remote"},
    "missile strike": {"remote"},
    "shelling": {"remote"},
    "shoot-down": {"fighting", "remote"},
}

#: Precision order, finest first (the representative of a group is the most precise).
LOCATION_ORDER = ("exact", "near", "approximate", "admin2", "region", "admin1", "country",
                  "international", "")  # fmt: skip


@dataclass(frozen=True)
class Rules:
    """Every setting of the matcher; the defaults are the documented rules above."""

    date_tolerance: dict = field(default_factory=lambda: dict(DATE_TOLERANCE_DAYS))
    radius_km: dict = field(default_factory=lambda: dict(RADIUS_KM))
    type_kinds: dict = field(default_factory=lambda: {k: set(v) for k, v in TYPE_KINDS.items()})
    #: Weights of the score's parts: date, place, actors, fatalities (they sum to 1).
    weights: tuple[float, float, float, float] = (0.3, 0.3, 0.3, 0.1)
    #: A candidate becomes a link when its score reaches this.
    threshold: float = 0.6
    #: Links kept per record and other dataset: a link stays when it is among the best
    #: ``max_links`` of either of its records (the best one is the group link; the others
    #: are for review). Bounds the links of dense places (a city fought over every day).
    max_links: int = 10
    #: Days of events handled at once, and candidate pairs scored at once (memory, progress).
    chunk_days: int = 7
    batch_pairs: int = 2_000_000

    def tolerance(self, precision: str) -> int:
        return int(self.date_tolerance.get(precision, self.date_tolerance.get("", 1)))

    def radius(self, precision: str) -> float:
        return float(self.radius_km.get(precision, self.radius_km.get("", 10.0)))
