"""How well the matcher finds the same event in UCDP and ACLED: precision, recall, counts.

    python3 -m uv run --locked python scripts/match_eval.py

loads the shipped UCDP GED Syria release (``data/ucdp/ged_syria.csv``, the 2017 events)
and the real 2017 ACLED battles file from ``../shared/data/external/acled_syria_battles``
(ACLED may not be redistributed, so it is not in the repository), runs
:func:`geo.matching.match_events`, and prints

- precision and recall on the labelled pairs of ``tests/data/match_labels.csv``, reading a
  pair as predicted "same" in two ways: the matcher links it, and both records end in one
  group (the groups :func:`geo.matching.count_once` counts);
- the 2017 counts: UCDP, ACLED, their sum, and the total when each event is counted once
  (:func:`geo.matching.count_once`), which lies between the larger count and the sum.

When ``../shared`` is not there it says so and exits with status 0. Exit status 1: the count-once
total fell outside its bounds.

``--sample`` instead prints the candidate pairs drawn from a wide window that does not use
the matcher's rules (see ``tests/data/match_labels.md``: how the labelled pairs were drawn).

``--scale N`` instead times the matcher on a store of N synthetic events (run it niced):

    nice -n 10 python3 -m uv run --locked python scripts/match_eval.py --scale 1000000

It makes N events with ``bench/map_scale.py``'s generator (real UCDP positions with a few km
of jitter, random days 2016-2019), imports half as dataset ``ucdp`` and half as dataset
``synthetic`` into a new GeoPackage store (which also holds the shipped data), reads every
event back from the store and matches them, printing the progress and the time of each step.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data" / "external"
ACLED_FILE = SHARED / "acled_syria_battles" / "acled_syria_battles_2017.csv"
UCDP_FILE = ROOT / "data" / "ucdp" / "ged_syria.csv"
LABELS = ROOT / "tests" / "data" / "match_labels.csv"
YEAR = 2017

#: The wide window the labelled pairs were drawn from (independent of the matcher).
WINDOW_DAYS = 3
WINDOW_KM = 40.0
#: Pairs drawn per stratum: (lowest km, highest km, lowest gap, highest gap) -> how many.
STRATA = {
    (0, 3, 0, 0): 45, (0, 3, 1, 1): 20, (0, 3, 2, 3): 10,
    (3, 10, 0, 0): 30, (3, 10, 1, 1): 15, (3, 10, 2, 3): 10,
    (10, 25, 0, 0): 25, (10, 25, 1, 1): 10, (10, 25, 2, 3): 10,
    (25, 40, 0, 0): 15, (25, 40, 1, 1): 10, (25, 40, 2, 3): 10,
}  # fmt: skip


def load(year: int = YEAR) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The year's UCDP and ACLED events, each in the event model."""
    from geo.schema import check_events
    from geo.sources import acled, ucdp

    u = ucdp.read_ucdp_csv(UCDP_FILE)
    u = u[u["date_start"].dt.year == year].reset_index(drop=True)
    raw = pd.read_csv(ACLED_FILE, dtype=str, keep_default_na=False, encoding="utf-8")
    a, problems = check_events(acled.to_model(raw), ACLED_FILE.name)
    if problems:
        print(f"note: {len(problems)} ACLED rows not taken ({problems[0]})")
    a = a[a["date_start"].dt.year == year].reset_index(drop=True)
    return u, a


def window_pairs(u: pd.DataFrame, a: pd.DataFrame) -> pd.DataFrame:
    """Every UCDP-ACLED pair within WINDOW_DAYS of each other's dates and WINDOW_KM apart
    (plain arrays, none of the matcher's rules): columns ucdp_id, acled_id, km, gap."""
    from geo.matching.links import haversine_km

    day = lambda s: s.to_numpy("datetime64[D]").astype(np.int64)  # noqa: E731
    us, ue, ad = day(u["date_start"]), day(u["date_end"]), day(a["date_start"])
    order = np.argsort(ad, kind="stable")
    sorted_days = ad[order]
    parts = []
    for i in range(len(u)):
        lo = np.searchsorted(sorted_days, us[i] - WINDOW_DAYS, "left")
        hi = np.searchsorted(sorted_days, ue[i] + WINDOW_DAYS, "right")
        j = order[lo:hi]
        km = haversine_km(u["latitude"].iat[i], u["longitude"].iat[i],
                          a["latitude"].to_numpy()[j], a["longitude"].to_numpy()[j])  # fmt: skip
        near = km <= WINDOW_KM
        j = j[near]
        gap = np.maximum(0, np.maximum(ad[j] - ue[i], us[i] - ad[j]))
        parts.append(pd.DataFrame({"u": i, "a": j, "km": km[near], "gap": gap}))
    out = pd.concat(parts, ignore_index=True)
    out["ucdp_id"] = u["dataset_id"].to_numpy()[out["u"]]
    out["acled_id"] = a["dataset_id"].to_numpy()[out["a"]]
    return out


def sample(pairs: pd.DataFrame, seed: int = 19) -> pd.DataFrame:
    """Pairs drawn at random in each stratum of distance and date gap (STRATA)."""
    rng = np.random.default_rng(seed)
    drawn = []
    for (k0, k1, g0, g1), n in STRATA.items():
        inside = pairs[(pairs["km"] >= k0) & (pairs["km"] < k1)]
        inside = inside[(inside["gap"] >= g0) & (inside["gap"] <= g1)]
        pick = rng.choice(len(inside), size=min(n, len(inside)), replace=False)
        drawn.append(inside.iloc[np.sort(pick)].assign(stratum=f"{k0}-{k1} km, {g0}-{g1} d"))
    return pd.concat(drawn, ignore_index=True)


def _precision_recall(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float, int]:
    tp = int((predicted & truth).sum())
    return tp / max(int(predicted.sum()), 1), tp / max(int(truth.sum()), 1), tp


def evaluate(u: pd.DataFrame, a: pd.DataFrame, labels: pd.DataFrame) -> dict:
    """Run the matcher on the two datasets; return the figures (see the module doc).

    Two readings of "predicted same": ``link`` (the matcher links the pair: its rules pass
    and its score reaches the threshold) and ``group`` (both records end in one group, the
    groups count-once uses: each ACLED record joins its best UCDP record only).
    """
    from geo.matching import count_once, groups, match_events

    events = pd.concat([u, a], ignore_index=True)
    t0 = time.perf_counter()
    links = match_events(events, with_reasons=False)
    seconds = time.perf_counter() - t0
    label = groups(events, links)
    pos = {
        (d, i): k
        for k, (d, i) in enumerate(zip(events["dataset"], events["dataset_id"], strict=True))
    }
    ia = np.array([pos["acled", str(x)] for x in labels["acled_id"]])
    iu = np.array([pos["ucdp", str(x)] for x in labels["ucdp_id"]])
    linked = set(zip(links["a"].to_numpy().tolist(), links["b"].to_numpy().tolist(), strict=True))
    truth = (labels["label"] == "same").to_numpy()
    by_link = np.array([(x, y) in linked or (y, x) in linked for x, y in zip(ia, iu, strict=True)])
    by_group = label[ia] == label[iu]
    keep = count_once(events, links)
    out = {
        "ucdp": len(u),
        "acled": len(a),
        "sum": len(u) + len(a),
        "count_once": int(keep.sum()),
        "links": len(links),
        "kept_links": int(links["best"].sum()),
        "seconds": seconds,
        "pairs": len(labels),
        "labelled_same": int(truth.sum()),
    }
    for name, predicted in (("link", by_link), ("group", by_group)):
        p, r, tp = _precision_recall(predicted, truth)
        out[name] = {"precision": p, "recall": r, "tp": tp, "predicted": int(predicted.sum())}
    return out


def scale(n: int, folder: Path) -> dict:
    """Time the matcher on a new store of ``n`` synthetic events in ``folder`` (see doc)."""
    import os

    sys.path.insert(0, str(ROOT / "bench"))
    from map_scale import generate

    from geo.cli import main as cli
    from geo.matching import count_once, explain, match_events
    from geo.store import open_store

    folder.mkdir(parents=True, exist_ok=True)
    store_path = folder / f"match_scale_{n}.gpkg"
    os.environ["ZONEWATCH_STORE"] = str(store_path)
    os.environ.pop("DATABASE_URL", None)
    os.environ["ZONEWATCH_MAX_UPLOAD_MB"] = "4000"
    times = {}
    t = time.perf_counter()
    csv = folder / f"events_{n}.csv"
    halves = (folder / f"half_ucdp_{n}.csv", folder / f"half_synthetic_{n}.csv")
    if not all(h.exists() for h in halves):  # made once per folder and size
        generate(n, csv)
        raw = pd.read_csv(csv, dtype=str, keep_default_na=False)
        raw.iloc[0::2].to_csv(halves[0], index=False)
        raw.iloc[1::2].to_csv(halves[1], index=False)
        del raw
        csv.unlink()
    times["generate"] = time.perf_counter() - t
    t = time.perf_counter()
    if store_path.exists():  # made once per folder: the import is timed the first time
        print(f"reusing {store_path}", flush=True)
    else:
        open_store()  # filled from data/ (not timed)
        t = time.perf_counter()
        for path, name in zip(halves, ("ucdp", "synthetic"), strict=True):
            if cli(["import-events", "--format", "ucdp", "--dataset", name, str(path)]) != 0:
                raise SystemExit(f"import of {path.name} failed")
        times["import"] = time.perf_counter() - t
    t = time.perf_counter()
    events = open_store().events()
    times["read store"] = time.perf_counter() - t
    print(f"{len(events):,} events in the store", flush=True)
    last = [0.0]

    def progress(fraction: float, message: str) -> None:
        if fraction - last[0] >= 0.1 or fraction >= 1.0:
            last[0] = fraction
            print(f"  {fraction:4.0%}  {time.perf_counter() - t0:6.1f} s  {message}", flush=True)

    t0 = t = time.perf_counter()
    cpu = time.process_time()
    links = match_events(events, progress=progress, with_reasons=False)
    times["match"] = time.perf_counter() - t
    times["match (CPU)"] = time.process_time() - cpu
    t = time.perf_counter()
    explain(events, links.head(1000))
    times["reasons of 1,000 links"] = time.perf_counter() - t
    t, cpu = time.perf_counter(), time.process_time()
    keep = count_once(events, links)
    times["count once"] = time.perf_counter() - t
    times["count once (CPU)"] = time.process_time() - cpu
    print(f"{len(links):,} links, {int(links['best'].sum()):,} kept; counted once "
          f"{int(keep.sum()):,} of {len(events):,}")  # fmt: skip
    for step, seconds in times.items():
        print(f"  {step:24} {seconds:7.1f} s")
    print(f"  load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sample", action="store_true", help="print the candidate pairs drawn for labelling"
    )
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--scale", type=int, metavar="N", help="time the matcher on N events")
    parser.add_argument(
        "--dir", type=Path, default=Path("/tmp/zonewatch-match-scale"), help="for --scale"
    )
    args = parser.parse_args(argv)
    if args.scale:
        scale(args.scale, args.dir)
        return 0
    if not ACLED_FILE.exists():
        print(
            f"The real ACLED file is not here ({ACLED_FILE.relative_to(ROOT.parent)}): ACLED "
            "may not be redistributed, so it lives only in ../shared. Nothing to evaluate."
        )
        return 0
    u, a = load()
    if args.sample:
        pairs = window_pairs(u, a)
        print(f"{len(pairs):,} pairs in the window ({WINDOW_DAYS} days, {WINDOW_KM:g} km)")
        print(sample(pairs, args.seed).to_csv(index=False))
        return 0
    labels = pd.read_csv(LABELS, dtype=str)
    c = evaluate(u, a, labels)
    print(f"Matcher on {c['pairs']} labelled pairs ({c['labelled_same']} labelled same):")
    for name, what in (("link", "pairs linked"), ("group", "pairs in one group")):
        f = c[name]
        print(f"  {what:19} precision {f['precision']:.3f} ({f['tp']} of {f['predicted']}), "
              f"recall {f['recall']:.3f} ({f['tp']} of {c['labelled_same']})")  # fmt: skip
    print(f"{YEAR} events: UCDP {c['ucdp']:,}, ACLED {c['acled']:,}, sum {c['sum']:,}, "
          f"counted once {c['count_once']:,}")  # fmt: skip
    print(f"  ({c['links']:,} links, {c['kept_links']:,} kept in groups; matched in "
          f"{c['seconds']:.1f} s)")  # fmt: skip
    ok = max(c["ucdp"], c["acled"]) <= c["count_once"] <= c["sum"]
    print("  count-once total within [larger count, sum]:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
