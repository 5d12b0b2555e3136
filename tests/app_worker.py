"""One app process for the several-processes test (run as a script, not collected).

    python app_worker.py            then commands on stdin, one a line:
      run                           rerun the Map page (Streamlit's AppTest, as a browser's
                                    rerun does); print {"showing", "total", "zones"} as JSON
      save-zone ZONE_ID             save a new zone (a copy of Eastern Ghouta's last boundary,
                                    valid from 2017-05-06) through this process's store
      quit

The store comes from the environment (DATABASE_URL), as for the app. Each process has its
own Streamlit caches (they are per process): what one process writes reaches another only
through the store's revision.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _state(at) -> dict:
    assert not at.exception, at.exception
    out: dict = {}
    for md in at.markdown:
        m = re.search(r"Showing ([\d,]+) of ([\d,]+) events", md.value)
        if m:
            out["showing"] = int(m.group(1).replace(",", ""))
            out["total"] = int(m.group(2).replace(",", ""))
    zones = next((c.value for c in at.caption if c.value.startswith("Zones as of")), "")
    out["zones"] = zones.replace("\\", "")  # as shown (markdown escapes removed)
    return out


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import pandas as pd
    from streamlit.testing.v1 import AppTest

    from geo.store import open_store

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == "run":
            at.run()
            print(json.dumps(_state(at)), flush=True)
        elif cmd == "save-zone":
            store = open_store()
            zone = store.zone_extents()
            zone = zone[zone["zone_id"] == "eastern_ghouta"].copy()
            zone["zone_id"] = args[0]
            zone["name_en"] = args[0]
            zone["status"] = "proposed"
            zone["valid_from"] = pd.Timestamp("2017-05-06")
            (version,) = store.add_zone_version(zone, who="app-worker")
            print(json.dumps({"saved": args[0], "version": version}), flush=True)
        elif cmd == "quit":
            return


if __name__ == "__main__":
    main()
