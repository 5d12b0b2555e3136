"""Reviewing the stored match links (the Matches page): their order, "best and doubtful
first", each link's state from its decisions, both records side by side and a small map.

Pure (no streamlit): the page passes the frames the store gives
(:meth:`~geo.store.base.Store.match_links`, :meth:`~geo.store.base.Store.match_decisions`,
:meth:`~geo.store.base.Store.match_builds`) and rows of events.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from geo.matching.rules import Rules
from geo.wording import count, plural

#: A link's state: its latest decision, or none.
UNDECIDED, ACCEPTED, REJECTED = "undecided", "accepted", "rejected"
STATES = (UNDECIDED, ACCEPTED, REJECTED)
_STATE_OF = {"accept": ACCEPTED, "reject": REJECTED}

#: The orders the list offers (the first is the default).
MIXED, BEST, DOUBTFUL = "best and doubtful first", "best first", "doubtful first"
ORDERS = (MIXED, BEST, DOUBTFUL)

#: Links per page of the list.
PAGE_SIZE = 50

#: The rows of :func:`side_by_side`, in order.
FIELDS = (
    "Record",
    "Dates",
    "Place",
    "Admin 1 / admin 2",
    "Actors",
    "Type",
    "Fatalities (best, low-high)",
    "Location precision",
    "Position (lat, lon)",
    "Source",
)


def with_state(links: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """``links`` with a ``state`` column: accepted, rejected (the latest decision on the
    link) or undecided. ``decisions``: the store's, any versions (the latest counts)."""
    out = links.copy()
    if decisions is None or decisions.empty:
        out["state"] = UNDECIDED
        return out
    latest = decisions.sort_values(["link_key", "version"], kind="stable").drop_duplicates(
        "link_key", keep="last"
    )
    state = latest.set_index("link_key")["decision"].map(_STATE_OF)
    out["state"] = out["link_key"].map(state).fillna(UNDECIDED).astype(str)
    return out


def review_order(links: pd.DataFrame, order: str = MIXED) -> pd.DataFrame:
    """The links in the order to review them, as ``zonewatch matches list`` shows them:
    ``best first`` (highest score), ``doubtful first`` (lowest score: nearest the
    threshold) or, by default, both at once: the best, the most doubtful, the second best,
    the second most doubtful... so the middle comes last. Ties: nearer first (best), farther
    first (doubtful), then by link key, so the order is the same on every run."""
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}; choose one of {', '.join(ORDERS)}")
    if links.empty:
        return links.reset_index(drop=True)
    frame = links.reset_index(drop=True)
    km = frame["km"] if "km" in frame else pd.Series(0.0, index=frame.index)
    km = pd.to_numeric(km, errors="coerce").fillna(0.0).to_numpy()
    score = frame["score"].to_numpy(np.float64)
    key = frame["link_key"].astype(str).to_numpy()
    best = np.lexsort((key, km, -score))  # last key sorts first
    doubtful = np.lexsort((key, -km, score))
    if order == BEST:
        return frame.iloc[best].reset_index(drop=True)
    if order == DOUBTFUL:
        return frame.iloc[doubtful].reset_index(drop=True)
    rank = np.empty(len(frame), dtype=np.int64)
    rank[best] = 2 * np.arange(len(frame))
    rank = np.minimum(rank, _positions(doubtful) * 2 + 1)
    return frame.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)


def _positions(order: np.ndarray) -> np.ndarray:
    """Each row's place in ``order``."""
    out = np.empty(len(order), dtype=np.int64)
    out[order] = np.arange(len(order))
    return out


def only(links: pd.DataFrame, state: str | None) -> pd.DataFrame:
    """The links in ``state`` (all when None)."""
    if state is None:
        return links
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}; choose one of {', '.join(STATES)}")
    return links[links["state"] == state]


def page_count(n: int, size: int = PAGE_SIZE) -> int:
    """Pages of ``size`` links for ``n`` links (at least one)."""
    return max(1, -(-n // size))


def page(links: pd.DataFrame, number: int, size: int = PAGE_SIZE) -> pd.DataFrame:
    """Page ``number`` (from 1, clamped to the pages there are) of ``links``."""
    number = min(max(1, int(number)), page_count(len(links), size))
    return links.iloc[(number - 1) * size : number * size]


def label(row) -> str:
    """One line naming a link: its score and both records. (Not its state: a list's
    labels are read when an option is picked, so a state there would go stale.)"""
    return (
        f"{float(row['score']):.3f} · {row['a_dataset']}:{row['a_id']} ↔ "
        f"{row['b_dataset']}:{row['b_id']}"
    )


def list_table(links: pd.DataFrame) -> pd.DataFrame:
    """The columns of the list the page shows."""
    return pd.DataFrame(
        {
            "score": links["score"].round(3).to_numpy(),
            "state": links["state"].to_numpy(),
            "record A": (links["a_dataset"] + ":" + links["a_id"]).to_numpy(),
            "record B": (links["b_dataset"] + ":" + links["b_id"]).to_numpy(),
            "reasons": links["reasons"].fillna("").astype(str).to_numpy(),
        }
    )


def reasons_list(reasons) -> list[str]:
    """A link's reasons as a list (stored as text, ``"; "`` between them)."""
    if reasons is None or (isinstance(reasons, float) and math.isnan(reasons)):
        return []
    if isinstance(reasons, list | tuple | np.ndarray):
        return [str(r) for r in reasons if str(r)]
    return [r.strip() for r in str(reasons).split(";") if r.strip()]


def _text(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    return str(value)


def _number(value) -> str:
    text = _text(value)
    return "" if text == "" else f"{int(float(text)):,}"


def record_column(row: Mapping | None, dataset: str = "", dataset_id: str = "") -> list[str]:
    """One record's values for :data:`FIELDS` (a row of the event model), or a note when
    the record is not in the store (``dataset`` and ``dataset_id`` name it)."""
    if row is None:
        return [f"{dataset}:{dataset_id}", "(not in the store)"] + [""] * (len(FIELDS) - 2)
    start, end = _text(row.get("date_start")), _text(row.get("date_end"))
    dates = start if end in ("", start) else f"{start} to {end}"
    if row.get("date_precision"):
        dates += f" ({row['date_precision']})"
    low, high = _number(row.get("fatalities_low")), _number(row.get("fatalities_high"))
    fatalities = _number(row.get("fatalities_best")) or "unknown"
    if low or high:
        fatalities += f" ({low or '?'}-{high or '?'})"
    kind = _text(row.get("event_type"))
    if _text(row.get("sub_event_type")):
        kind += f" / {row['sub_event_type']}"
    lat, lon = row.get("latitude"), row.get("longitude")
    return [
        f"{row.get('dataset')}:{row.get('dataset_id')}",
        dates,
        _text(row.get("location")),
        " / ".join(t for t in (_text(row.get("admin1")), _text(row.get("admin2"))) if t),
        " vs ".join(t for t in (_text(row.get("actor1")), _text(row.get("actor2"))) if t),
        kind,
        fatalities,
        _text(row.get("location_precision")),
        f"{float(lat):.4f}, {float(lon):.4f}" if lat is not None and lon is not None else "",
        _text(row.get("source")),
    ]


def side_by_side(link: Mapping, a: Mapping | None, b: Mapping | None) -> pd.DataFrame:
    """Both records of ``link`` (rows of the event model, None when not stored) as one
    table: a row per :data:`FIELDS`, a column per record ("A: ucdp", "B: acled")."""
    return pd.DataFrame(
        {
            "": list(FIELDS),
            f"A: {link['a_dataset']}": record_column(a, link["a_dataset"], link["a_id"]),
            f"B: {link['b_dataset']}": record_column(b, link["b_dataset"], link["b_id"]),
        }
    )


def history(decisions: pd.DataFrame, link_key: str) -> pd.DataFrame:
    """Every decision on the link, oldest first: version, decision, who, when, note."""
    cols = ["version", "decision", "who", "at", "note"]
    if decisions is None or decisions.empty:
        return pd.DataFrame(columns=cols)
    rows = decisions[decisions["link_key"] == link_key].sort_values("version", kind="stable")
    return rows[cols].reset_index(drop=True)


def last_build(builds: pd.DataFrame) -> str | None:
    """The latest build in words (when, by whom, links among events, time), or None."""
    if builds is None or builds.empty:
        return None
    row = builds.iloc[-1]
    when = _text(row.get("at")).replace("T", " ")[:16]
    text = (
        f"Last build: {when} UTC by {row.get('who')}: {count(int(row.get('links') or 0), 'link')} "
        f"among {count(int(row.get('events') or 0), 'event')}"
    )
    seconds = row.get("seconds")
    if seconds is not None and not pd.isna(seconds):
        text += f" ({duration(float(seconds))})"
    return text + "."


def duration(seconds: float) -> str:
    """A build's time in words: "under 1 s", "2.2 s", "38 s", "1,204 s"."""
    if seconds < 1:
        return "under 1 s"
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:,.0f} s"


def how_to_build(summary: str | None, may_build: bool) -> str:
    """What the Matches page says when it has no link to review (``summary``: the last
    build's, None when none is stored), for someone who may build them or not."""
    if summary:
        return "No links to review: the last build found none."
    if may_build:
        return (
            "No links to review yet: press **Build the matches** above (or run "
            "`zonewatch matches build`)."
        )
    return (
        "No links to review yet: an editor builds them on this page (or with "
        "`zonewatch matches build`)."
    )


def counted_note(counted: int, records: int, stored: int | None = None) -> str:
    """ "12,057 events, each counted once, from 14,346 records" (records: the datasets'
    rows; events: what is counted, a group of matched records once); with ``stored``,
    "... from 14,346 of 16,575 records"."""
    of = f" of {stored:,}" if stored is not None else ""
    records_word = plural(stored if stored is not None else records, "record")
    return f"{count(counted, 'event')}, each counted once, from {records:,}{of} {records_word}"


def merged_texts(merged, fids) -> np.ndarray:
    """The records merged into each of ``fids`` (text, empty when none), from what
    :func:`geo.matching.stored.merged_records` gives: a mapping or Series by fid."""
    if merged is None:
        return np.full(len(fids), "", dtype=object)
    series = merged if isinstance(merged, pd.Series) else pd.Series(dict(merged), dtype=object)
    out = series.reindex(np.asarray(fids, dtype=np.int64)).fillna("").astype(str)
    return out.to_numpy(dtype=object)


# --- the small map of one link ----------------------------------------------------------

#: The colours of record A, record B and the line between them.
COLORS = ("#1f77b4", "#d62728", "#444444")
#: The closest the map of a link opens at: both records and the towns around them in view
#: (zoom 9: about 110 km across the page's map), however near the two records are.
PAIR_ZOOM = 9


def _circle(lat: float, lon: float, km: float, sides: int = 48):
    """A circle of ``km`` around a point, as a lon/lat polygon (degrees scaled by latitude)."""
    from shapely.geometry import Polygon

    dlat = km / 111.32
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    t = np.linspace(0, 2 * math.pi, sides, endpoint=False)
    return Polygon(zip(lon + dlon * np.cos(t), lat + dlat * np.sin(t), strict=True))


def pair_shapes(link: Mapping, a: Mapping | None, b: Mapping | None, rules: Rules | None = None):
    """The layers of a link's map (:func:`geo.render.shapes_map`): each record as a dot (a
    point, drawn a fixed size in pixels at every zoom) within the area its location
    precision stands for (the matcher's radius) and a line between the two, labelled with
    the distance. A record not stored is left out."""
    from shapely.geometry import LineString, Point

    from geo.matching.links import haversine_km
    from geo.render import Shapes

    rules = rules or Rules()
    layers, points = [], []
    for which, row, color in (("A", a, COLORS[0]), ("B", b, COLORS[1])):
        if row is None:
            continue
        lat, lon = float(row["latitude"]), float(row["longitude"])
        name = f"{which}: {row['dataset']}:{row['dataset_id']}"
        radius = rules.radius(_text(row.get("location_precision")))
        items = [(f"{name} ({_text(row.get('location_precision'))})", Point(lon, lat))]
        if math.isfinite(radius) and radius > 0:
            items.append((f"{name}: within {radius:g} km", _circle(lat, lon, radius)))
        layers.append(Shapes(name, items, color, dash=True, fill=0.15))
        points.append((lat, lon))
    if len(points) == 2 and points[0] != points[1]:
        (lat1, lon1), (lat2, lon2) = points
        km = float(haversine_km(lat1, lon1, lat2, lon2))
        line = LineString([(lon1, lat1), (lon2, lat2)])
        layers.append(Shapes(f"{km:,.1f} km apart", [(f"{km:,.1f} km", line)], COLORS[2], weight=3))
    return layers
