"""Score the candidate pairs and keep the links: the exact rules, a score and its reasons."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from geo.matching.actors import AliasTable, default_aliases, encode, side_names
from geo.matching.candidates import Points, candidate_pairs
from geo.matching.rules import Rules
from geo.wording import count

EARTH_KM = 6371.0088

#: The columns of the links frame :func:`match_events` returns.
LINK_COLUMNS = (
    "a", "b", "dataset_a", "id_a", "dataset_b", "id_b", "score", "days_apart", "km",
    "km_allowed", "actors", "best", "reasons",
)  # fmt: skip

ACTORS_BOTH, ACTORS_ONE, ACTORS_UNKNOWN = "both sides", "one side", "unknown"


def haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(x) for x in (lat1, lon1, lat2, lon2))
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


class Prepared:
    """Per-record arrays the rules need, computed once."""

    def __init__(self, events: pd.DataFrame, rules: Rules, aliases: AliasTable):
        start = pd.to_datetime(events["date_start"]).to_numpy("datetime64[D]").astype(np.int64)
        end = pd.to_datetime(events["date_end"]).to_numpy("datetime64[D]").astype(np.int64)
        self.start, self.end = start, np.maximum(end, start)
        date_prec = events["date_precision"].fillna("").astype(str)
        # The dates are widened until they cover the precision's period (a week, a month...),
        # by at least a day: a record whose dates already span its month is not widened more.
        period = date_prec.map(lambda v: rules.tolerance(v)).to_numpy(np.int64)
        self.tol = np.maximum(1, period - (self.end - self.start))
        loc_prec = events["location_precision"].fillna("").astype(str)
        self.radius = loc_prec.map(lambda v: rules.radius(v)).to_numpy(np.float64)
        self.lat = events["latitude"].to_numpy(np.float64)
        self.lon = events["longitude"].to_numpy(np.float64)
        self.dataset = events["dataset"].fillna("").astype(str).to_numpy()
        self.dataset_code = pd.Categorical(self.dataset).codes.astype(np.int64)
        self.ids = events["dataset_id"].fillna("").astype(str).to_numpy()
        # Types: a bit per kind; an unlisted type gets its own bit pattern via its text code.
        kinds = sorted({k for v in rules.type_kinds.values() for k in v})
        kind_bit = {k: 1 << i for i, k in enumerate(kinds)}
        types = events["event_type"].fillna("").astype(str)
        type_norm = types.str.strip().str.casefold()
        self.type_mask = type_norm.map(
            lambda t: sum(kind_bit[k] for k in rules.type_kinds.get(t, ()))
        ).to_numpy(np.int64)
        self.type_code = pd.Categorical(type_norm).codes.astype(np.int64)
        self.types = types.to_numpy()
        own: dict[str, int] = {}
        self.actor1 = encode(events["actor1"], aliases, own)
        self.actor2 = encode(events["actor2"], aliases, own)
        fat = pd.to_numeric(events["fatalities_best"], errors="coerce")
        self.fatalities = fat.to_numpy(np.float64)
        self.aliases = aliases

    def can_link(self, rules: Rules) -> np.ndarray:
        """Records whose best possible score reaches the threshold: a record placed only by
        country that spans more than a week (a month's or a year's total) never can, and is
        left out of the search."""
        span = self.end - self.start + 1
        specific = np.where(span > 7, 0.5, np.where(span > 2, 0.8, 1.0))
        w = rules.weights
        best = w[0] * specific + w[1] * np.isfinite(self.radius) + w[2] + w[3]
        return best >= rules.threshold

    def points(self, rules: Rules) -> Points:
        base = self.start.min() if len(self.start) else 0
        return Points(
            lo=self.start - base - self.tol,
            hi=self.end - base + self.tol,
            lat=self.lat,
            lon=self.lon,
            radius=self.radius,
            group=np.where(self.can_link(rules), self.dataset_code, -1),
        )


def _agree(x_mask, x_own, y_mask, y_own):
    return ((x_mask & y_mask) != 0) | ((x_own >= 0) & (x_own == y_own))


def _actor_rule(pr: Prepared, a, b):
    """Per pair: 2 = both sides correspond, 1 = one side and the other unknown, 0 = nothing
    known in common but nothing contradicts, -1 = the sides contradict."""
    a1m, a1o, a1u = pr.actor1.mask[a], pr.actor1.own[a], pr.actor1.unknown[a]
    a2m, a2o, a2u = pr.actor2.mask[a], pr.actor2.own[a], pr.actor2.unknown[a]
    b1m, b1o, b1u = pr.actor1.mask[b], pr.actor1.own[b], pr.actor1.unknown[b]
    b2m, b2o, b2u = pr.actor2.mask[b], pr.actor2.own[b], pr.actor2.unknown[b]
    s11 = _agree(a1m, a1o, b1m, b1o)
    s22 = _agree(a2m, a2o, b2m, b2o)
    s12 = _agree(a1m, a1o, b2m, b2o)
    s21 = _agree(a2m, a2o, b1m, b1o)
    both = (s11 & s22) | (s12 & s21)
    # One side agrees and the other pair is not known to differ.
    one = (s11 & (a2u | b2u)) | (s22 & (a1u | b1u)) | (s12 & (a2u | b1u)) | (s21 & (a1u | b2u))
    none_known = (a1u & a2u) | (b1u & b2u)
    rule = np.full(len(a), -1, dtype=np.int64)
    rule[none_known] = 0
    rule[one] = 1
    rule[both] = 2
    # One unknown actor on each record, the known ones different: nothing shared, no proof.
    partial = ~(s11 | s22 | s12 | s21) & ((a1u | a2u) & (b1u | b2u))
    rule[(rule == -1) & partial] = 0
    return rule


def score_pairs(pr: Prepared, a: np.ndarray, b: np.ndarray, rules: Rules) -> pd.DataFrame:
    """Apply the exact rules to candidate pairs; return the scored links (no reasons)."""
    gap = np.maximum(0, np.maximum(pr.start[b] - pr.end[a], pr.start[a] - pr.end[b]))
    tol = np.maximum(pr.tol[a], pr.tol[b])
    ok = gap <= tol
    km = haversine_km(pr.lat[a], pr.lon[a], pr.lat[b], pr.lon[b])
    allowed = pr.radius[a] + pr.radius[b]
    ok &= km <= allowed
    same_type = pr.type_code[a] == pr.type_code[b]
    ok &= ((pr.type_mask[a] & pr.type_mask[b]) != 0) | same_type
    a, b, gap, tol, km, allowed = a[ok], b[ok], gap[ok], tol[ok], km[ok], allowed[ok]
    actors = _actor_rule(pr, a, b)
    keep = actors >= 0
    a, b, gap, tol, km, allowed, actors = (x[keep] for x in (a, b, gap, tol, km, allowed, actors))
    span = np.maximum(pr.end[a] - pr.start[a], pr.end[b] - pr.start[b]) + 1
    # Each part goes from 1 (full agreement) down to 0 at the edge of what the rules allow.
    # A record spanning days is less specific: more than two days costs a fifth, more than a
    # week half (a month's or a year's total is hardly evidence of one event).
    specific = np.where(span > 7, 0.5, np.where(span > 2, 0.8, 1.0))
    date_score = (1.0 - gap / np.maximum(tol, 1)) * specific
    with np.errstate(invalid="ignore", divide="ignore"):
        # A record placed only by country gives no evidence of place.
        place_score = np.where(np.isfinite(allowed), 1.0 - km / allowed, 0.0)
    actor_score = np.choose(actors, [0.3, 0.6, 1.0])
    fa, fb = pr.fatalities[a], pr.fatalities[b]
    known = ~np.isnan(fa) & ~np.isnan(fb)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(np.maximum(fa, fb) > 0, np.minimum(fa, fb) / np.maximum(fa, fb), 1.0)
    zero_vs_some = known & ((fa == 0) != (fb == 0))
    fat_score = np.where(known, np.where(zero_vs_some, 0.0, 0.5 + 0.5 * ratio), 0.5)
    w = rules.weights
    score = w[0] * date_score + w[1] * place_score + w[2] * actor_score + w[3] * fat_score
    link = score >= rules.threshold
    return pd.DataFrame(
        {
            "a": a[link],
            "b": b[link],
            "score": np.round(score[link], 3),
            "days_apart": gap[link].astype(np.int32),
            "km": np.round(km[link], 2).astype(np.float32),
            "km_allowed": allowed[link].astype(np.float32),
            "actors": actors[link].astype(np.int8),
        }
    )


def top_links(links: pd.DataFrame, dataset_code: np.ndarray, k: int) -> pd.DataFrame:
    """The links among the best ``k`` (by score, then distance) of either of their records,
    per record and other dataset."""
    if len(links) == 0:
        return links
    a, b = links["a"].to_numpy(), links["b"].to_numpy()
    keep = np.zeros(len(links), dtype=bool)
    for own, other in ((a, b), (b, a)):
        key_other = dataset_code[other]
        order = np.lexsort((links["km"].to_numpy(), -links["score"].to_numpy(), key_other, own))
        o, d = own[order], key_other[order]
        start = np.ones(len(order), dtype=bool)
        start[1:] = (o[1:] != o[:-1]) | (d[1:] != d[:-1])
        group_start = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
        rank = np.arange(len(order)) - group_start
        keep[order[rank < k]] = True
    return links[keep].reset_index(drop=True)


def reasons(pr: Prepared, links: pd.DataFrame) -> list[list[str]]:
    """Short human-readable reasons for each link."""
    out = []
    label = {2: "actors: both sides correspond", 1: "actors: one side corresponds, the other "
             "unknown", 0: "actors: not known on one record"}  # fmt: skip
    for a, b, gap, km, allowed, actors in zip(
        links["a"], links["b"], links["days_apart"], links["km"], links["km_allowed"],
        links["actors"], strict=True,
    ):  # fmt: skip
        why = ["dates overlap" if gap == 0 else f"dates {count(gap, 'day')} apart"]
        spans = [int(pr.end[x] - pr.start[x]) + 1 for x in (a, b)]
        if max(spans) > 2:
            why.append(f"one record spans {count(max(spans), 'day')}")
        why.append(
            f"{km:.1f} km apart (within {allowed:.0f} km)"
            if np.isfinite(allowed)
            else f"{km:.0f} km apart (one place known only by country)"
        )
        ta, tb = pr.types[a], pr.types[b]
        why.append(f"types: {ta} ~ {tb}" if ta != tb else f"same type: {ta}")
        if actors == 2:
            sides = side_names(
                int(
                    (pr.actor1.mask[a] | pr.actor2.mask[a])
                    & (pr.actor1.mask[b] | pr.actor2.mask[b])
                ),
                pr.aliases,
            )
            why.append(label[2] + (f" ({', '.join(sides)})" if sides else ""))
        else:
            why.append(label[int(actors)])
        fa, fb = pr.fatalities[a], pr.fatalities[b]
        if not (np.isnan(fa) or np.isnan(fb)):
            why.append(f"fatalities {int(fa)} ~ {int(fb)}")
        out.append(why)
    return out


def explain(
    events: pd.DataFrame,
    links: pd.DataFrame,
    rules: Rules | None = None,
    aliases: AliasTable | None = None,
) -> list[list[str]]:
    """The reasons of some links (for those :func:`match_events` gave without): ``links``
    holds rows of its result for the same ``events``."""
    rules = rules or Rules()
    aliases = aliases if aliases is not None else default_aliases()
    return reasons(Prepared(events.reset_index(drop=True), rules, aliases), links)


def match_events(
    events: pd.DataFrame,
    rules: Rules | None = None,
    aliases: AliasTable | None = None,
    progress: Callable[[float, str], None] | None = None,
    with_reasons: bool = True,
) -> pd.DataFrame:
    """Links between records of different datasets that likely describe the same event.

    ``events`` is a frame in the event model (``geo.schema.EVENT_COLUMNS``; extra columns
    are ignored). Returns one row per link (:data:`LINK_COLUMNS`): ``a`` and ``b`` are row
    positions in ``events`` (``a`` of the dataset first in name order), the score (0-1), the
    gap in days, the distance and the distance allowed, the actor rule (2 both sides, 1 one
    side, 0 unknown), ``best`` (the link a record of the larger dataset keeps: see
    :func:`geo.matching.groups.best_links`) and, unless ``with_reasons`` is False, the
    reasons as a list of strings. ``progress(fraction, message)`` is called as it goes.
    """
    from geo.matching.groups import best_links

    rules = rules or Rules()
    aliases = aliases if aliases is not None else default_aliases()
    events = events.reset_index(drop=True)
    report = progress or (lambda f, m: None)
    report(0.0, f"preparing {count(len(events), 'event')}")
    pr = Prepared(events, rules, aliases)
    parts = []
    found = 0

    def step(fraction: float) -> None:
        report(0.05 + 0.85 * fraction, f"compared dates and places: {count(found, 'link')} so far")

    for a, b in candidate_pairs(pr.points(rules), rules.chunk_days, step):
        batch = rules.batch_pairs
        scored = [score_pairs(pr, a[i : i + batch], b[i : i + batch], rules)
                  for i in range(0, len(a), batch)]  # fmt: skip
        if scored:
            chunk = top_links(
                pd.concat(scored, ignore_index=True), pr.dataset_code, rules.max_links
            )
            found += len(chunk)
            parts.append(chunk)
    if not parts:  # no events, or one dataset only: the same columns, no rows
        parts = [score_pairs(pr, np.empty(0, np.int64), np.empty(0, np.int64), rules)]
    # A record's links may be found in two chunks: keep its best again over all of them.
    links = top_links(pd.concat(parts, ignore_index=True), pr.dataset_code, rules.max_links)
    # a is the record of the dataset first in name order.
    swap = pr.dataset[links["a"].to_numpy()] > pr.dataset[links["b"].to_numpy()]
    a0, b0 = links["a"].to_numpy().copy(), links["b"].to_numpy().copy()
    links["a"], links["b"] = np.where(swap, b0, a0), np.where(swap, a0, b0)
    links = links.sort_values(["a", "b"], kind="stable").reset_index(drop=True)
    links.insert(2, "dataset_a", pr.dataset[links["a"].to_numpy()])
    links.insert(3, "id_a", pr.ids[links["a"].to_numpy()])
    links.insert(4, "dataset_b", pr.dataset[links["b"].to_numpy()])
    links.insert(5, "id_b", pr.ids[links["b"].to_numpy()])
    report(0.92, f"{count(len(links), 'link')}; choosing each record's best")
    links["best"] = best_links(links, pr.dataset)
    if with_reasons:
        report(0.95, "writing the reasons")
        links["reasons"] = reasons(pr, links)
    else:
        links["reasons"] = None
    report(1.0, f"{count(len(links), 'link')}, {int(links['best'].sum()):,} kept")
    return links[list(LINK_COLUMNS)]
