"""Benchmark: importing a large event file keeps memory bounded and reports progress.

Generates a UCDP-format CSV of about 100 MB (synthetic events inside Syria), then, each in
a fresh process, measures wall time and peak memory (VmHWM, the peak resident set) of:

- ZoneWatch's import (chunked reading, row checks, one transaction into a new GeoPackage
  store), counting its progress reports (reading, then saving);
- the plain approach: pandas.read_csv of the whole file, then the same checks at once.

    uv run python bench/import_memory.py [--mb 100]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The column set of the UCDP GED Syria CSV shipped in data/.
HEADER = (
    (ROOT / "data" / "ucdp" / "ged_syria.csv").open(encoding="utf-8").readline().strip().split(",")
)


def generate(path: Path, megabytes: int) -> int:
    rng = random.Random(4052017)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        while fh.tell() < megabytes * 1024 * 1024:
            lat, lon = rng.uniform(32.5, 37.0), rng.uniform(35.8, 42.0)
            day = f"{rng.randint(2016, 2019)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            deaths = [rng.randint(0, 5) for _ in range(4)]
            headline = f"Synthetic report {rows} " + "x" * rng.randint(60, 200)
            writer.writerow(
                [
                    900000000 + rows,
                    day[:4],
                    1,
                    rng.randint(1, 3),
                    299,
                    "Syria: Government",
                    11973,
                    "Government of Syria - Syrian insurgents",
                    118,
                    "Government of Syria",
                    4456,
                    "",
                    "Syrian insurgents",
                    1,
                    f'"SOHR,{day},{headline}"',
                    "SOHR",
                    day,
                    headline,
                    "SOHR",
                    rng.randint(1, 6),
                    f"Place {rows % 997}",
                    "Idlib Governorate",
                    "Ariha district",
                    f"{lat:.6f}",
                    f"{lon:.6f}",
                    f"POINT ({lon:.6f} {lat:.6f})",
                    181153,
                    "Syria",
                    652,
                    "Middle East",
                    1,
                    rng.randint(1, 5),
                    day,
                    day,
                    *deaths,
                    sum(deaths),
                    sum(deaths),
                    sum(deaths) + 2,
                ]
            )
            rows += 1
    return rows


ZONEWATCH = """
import json, sys, time
def peak_mb():  # VmHWM: this process's own peak (ru_maxrss can keep a forking parent's)
    with open("/proc/self/status") as fh:
        return int(next(ln for ln in fh if ln.startswith("VmHWM")).split()[1]) / 1024
from pathlib import Path
from geo.store.gpkg import GeoPackageStore
from geo.uploads import import_events
store = GeoPackageStore.open(Path(sys.argv[2]), seed=False)
reports = []
t = time.perf_counter()
report = import_events(store, sys.argv[1], progress=lambda f, n: reports.append(n),
                       saving=lambda done, total: reports.append(done))
print(json.dumps({"seconds": time.perf_counter() - t, "imported": report.imported,
                  "progress_reports": len(reports),
                  "peak_mb": peak_mb()}))
"""

PLAIN = """
import json, sys, time
def peak_mb():  # VmHWM: this process's own peak (ru_maxrss can keep a forking parent's)
    with open("/proc/self/status") as fh:
        return int(next(ln for ln in fh if ln.startswith("VmHWM")).split()[1]) / 1024
import pandas as pd
from geo.schema import check_events
from geo.sources import ucdp
t = time.perf_counter()
raw = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
good, problems = check_events(ucdp.to_model(raw), "big.csv")
print(json.dumps({"seconds": time.perf_counter() - t, "imported": len(good),
                  "progress_reports": 0,
                  "peak_mb": peak_mb()}))
"""

BASELINE = """
import json
def peak_mb():  # VmHWM: this process's own peak (ru_maxrss can keep a forking parent's)
    with open("/proc/self/status") as fh:
        return int(next(ln for ln in fh if ln.startswith("VmHWM")).split()[1]) / 1024
import geo.store.gpkg, geo.uploads, pandas
print(json.dumps({"peak_mb": peak_mb()}))
"""


def run(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="size of the generated file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big_ucdp.csv"
        t = time.perf_counter()
        rows = generate(path, args.mb)
        size = path.stat().st_size / 1048576
        print(f"generated {rows:,} rows, {size:.0f} MB in {time.perf_counter() - t:.0f} s")
        base = run(BASELINE)
        zw = run(ZONEWATCH, str(path), str(Path(tmp) / "store.gpkg"))
        plain = run(PLAIN, str(path))
    print()
    print(
        f"| approach ({size:.0f} MB, {rows:,} rows) | time (s) | peak RSS (MB) | "
        "RSS above imports (MB) | progress reports |"
    )
    print("|---|---|---|---|---|")
    for name, r in (
        ("ZoneWatch import (chunked, into a store)", zw),
        ("plain pandas.read_csv + checks (no store)", plain),
    ):
        print(
            f"| {name} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | "
            f"{r['peak_mb'] - base['peak_mb']:.0f} | {r['progress_reports']} |"
        )
    print(f"\nPython with the libraries imported, before reading: {base['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
