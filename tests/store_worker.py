"""Processes for the store's crash and concurrency tests (run as scripts, not collected).

    python store_worker.py writer ZONE_ID N BATCH      add N versions + N event batches
    python store_worker.py reader STOP_FILE            read until STOP_FILE exists

The engine comes from the environment, as for the app. A writer prints a line after each
write returns (so only committed writes are printed).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date, timedelta

import pandas as pd
import shapely

from geo.schema import EVENT_COLUMNS
from geo.store import open_store


def _events(tag: str, n: int) -> pd.DataFrame:
    day = date(2017, 5, 6) + timedelta(days=hash(tag) % 300)
    rows = []
    for k in range(n):
        row = {c: "" for c in EVENT_COLUMNS}
        row.update(
            date_start=pd.Timestamp(day),
            date_end=pd.Timestamp(day),
            date_precision="day",
            latitude=35.5 + k * 0.001,
            longitude=36.6,
            location_precision="exact",
            event_type="Test event",
            dataset="worker",
            dataset_id=f"{tag}-{k}",
            fatalities_best=k,
            fatalities_low=None,
            fatalities_high=None,
        )
        rows.append(row)
    df = pd.DataFrame(rows)
    for col in ("fatalities_best", "fatalities_low", "fatalities_high"):
        df[col] = df[col].astype("Int64")
    for col in ("date_start", "date_end"):
        df[col] = df[col].astype("datetime64[s]")
    return df


def writer(zone_id: str, count: int, batch: int) -> None:
    store = open_store()
    base = store.zone_extents()
    base = base[base["zone_id"] == "eastern_ghouta"].copy()
    base["zone_id"] = zone_id
    pid = os.getpid()
    for i in range(count):
        zone = base.copy()
        zone["geometry"] = shapely.affinity.scale(base.geometry.iloc[0], 1 + i * 1e-4)
        zone["note"] = f"worker {pid} write {i}"
        (version,) = store.add_zone_version(zone, who=f"worker-{pid}")
        print(f"zone {zone_id} {version}", flush=True)
        result = store.add_events(_events(f"{pid}-{i}", batch), who=f"worker-{pid}")
        print(f"import {result.import_id} {result.added}", flush=True)


def reader(stop_file: str) -> None:
    store = open_store()
    reads = 0
    while not os.path.exists(stop_file):
        zones = store.zone_versions()
        events = store.events()
        assert len(zones) >= 4 and len(events) > 16000
        reads += 1
        time.sleep(0.05)
    print(f"reads {reads}", flush=True)


if __name__ == "__main__":
    import shapely.affinity  # noqa: F401

    if sys.argv[1] == "writer":
        writer(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        reader(sys.argv[2])
