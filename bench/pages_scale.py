"""Every page at scale, in a real browser: ready from navigation, three date-filter changes
(median), and the app's peak memory after the visit; the Events page's two full downloads
(time from the click to the file saved, and the app's peak memory after them).

Called by ``bench/map_scale.py`` (``make bench``) for each size of 100,000 events or more,
on the store it has just imported; or by hand:

    uv run --locked --group bench python bench/pages_scale.py STORE.gpkg [--no-downloads]
        [--pages "Events,Zone report"]
    uv run --locked --group bench python bench/pages_scale.py postgresql+psycopg://... [...]

(any number of events: the store's; ``--no-downloads`` for the pages alone, as at ten
million, where a whole download is the command line's job: ``zonewatch events``;
``--pages`` for only the pages named, by their title in the navigation, as when
comparing two versions of the code on a few pages).

How it measures:

- ready: a new browser page opens the page's address; the time until the page's heading is
  shown and the app has stopped running for half a second (Streamlit shows a status
  widget while a run goes on), minus that half second;
- filter change: the event dates typed into the sidebar, timed from the commit of the
  field until the page's main text has changed and the run has ended (same quiet rule);
- peak memory: the server process's VmHWM, read after every page has been visited with
  its three changes, and again after both downloads (the page's large downloads are
  written with their progress shown, then downloaded zipped; see ``pages/events.py``).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from map_scale import CHROMIUM, CHROMIUM_ARGS, peak_rss_mb, start_app  # noqa: E402

#: (title in the navigation, address, heading, whether the shared filters are on it)
PAGES = [
    ("Map", "/", "ZoneWatch", True),
    ("Events", "/events", "Events", True),
    ("Zone report", "/zone_report", "Zone report", True),
    ("Place report", "/place_report", "Place report", True),
    ("Import events", "/import_events", "Import events", False),
    ("Zones", "/zones", "Zones", False),
    ("Zone history", "/zone_history", "Zone history", False),
    ("Sources", "/sources", "Sources", False),
]
#: The date ranges typed in turn (each differs from the one before).
CHANGES = [("2017-01-01", "2018-12-31"), ("2016-06-01", "2019-06-30"), ("2017-05-01", "2019-12-31")]
QUIET = 0.5
CAP = 600.0


def _running(page) -> bool:
    return page.locator('[data-testid="stStatusWidget"]').count() > 0


#: A typed date lost (the page reran while it was typed, say when the map reported its
#: view): nothing runs and nothing changes for this long, so it is typed again.
LOST = 20.0


class LostChange(Exception):
    """The dates typed changed nothing: the page stayed still (see :data:`LOST`)."""


def _idle(page, since_text: str | None = None, cap: float = CAP) -> float:
    """The time the page stopped running (and, given ``since_text``, once its main text
    differs from it), after QUIET seconds of calm. Given ``since_text``, raises
    :class:`LostChange` when nothing has run nor changed for :data:`LOST` seconds."""
    deadline = time.perf_counter() + cap
    calm = None
    still = time.perf_counter()
    while time.perf_counter() < deadline:
        changed = since_text is None or _main_text(page) != since_text
        running = _running(page)
        if running or changed:
            still = time.perf_counter()
        elif time.perf_counter() - still >= LOST:
            raise LostChange
        if running or not changed:
            calm = None
        elif calm is None:
            calm = time.perf_counter()
        elif time.perf_counter() - calm >= QUIET:
            return calm
        time.sleep(0.05)
    raise TimeoutError("the page did not settle")


def _main_text(page) -> str:
    try:
        return page.locator('[data-testid="stMain"]').inner_text(timeout=5000)
    except Exception:  # noqa: BLE001 - mid-rerun the element may be replaced
        return ""


def _set_dates(page, start: str, end: str, heading: str) -> float:
    for which, value in (("start", start), ("end", end)):
        y, m, d = value.split("-")
        for part, text in (("year", y), ("month", m), ("day", d)):
            seg = page.get_by_role("spinbutton", name=f"{part}, Event dates {which} date")
            seg.click()
            page.keyboard.type(text)
    t = time.perf_counter()
    page.get_by_role("heading", name=heading, exact=True).first.click()
    return t


def chosen_pages(names: str | None) -> list[tuple]:
    """The :data:`PAGES` named (titles, comma-separated), in their order; all for None."""
    if names is None:
        return list(PAGES)
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in {p[0] for p in PAGES}]
    if unknown:
        raise SystemExit(f"no such page: {', '.join(unknown)}; the pages: "
                         + ", ".join(p[0] for p in PAGES))  # fmt: skip
    return [p for p in PAGES if p[0] in wanted]


def measure_pages(browser, store: Path | str, downloads: bool = True, pages=None) -> dict:
    """Each of ``pages`` (default :data:`PAGES`) visited as the module's docstring says,
    then the downloads (unless ``downloads`` is False)."""
    proc, url = start_app(store)
    out: dict = {"pages": {}, "load": [os.getloadavg()[0]]}
    try:
        warm = browser.new_page()
        warm.goto(url)  # the first visit after start reads the index, as a user's would
        warm.get_by_role("heading", name="ZoneWatch").wait_for(timeout=CAP * 1000)
        _idle(warm)
        warm.close()
        for title, path, heading, filtered in PAGES if pages is None else pages:
            ctx = browser.new_context(viewport={"width": 1400, "height": 950})
            page = ctx.new_page()
            t0 = time.perf_counter()
            page.goto(url + path)
            page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=CAP * 1000)
            calm = _idle(page)
            row = {"ready": calm - t0}
            if filtered:
                changes = []
                for start, end in CHANGES:
                    before = _main_text(page)
                    for _attempt in range(3):  # typed again when the typing was lost
                        t = _set_dates(page, start, end, heading)
                        try:
                            calm = _idle(page, since_text=before)
                            break
                        except LostChange:
                            print(f"  {title}: dates typed again", flush=True)
                    else:
                        raise TimeoutError(f"{title}: the dates typed changed nothing")
                    changes.append(calm - t)
                row["change"] = statistics.median(changes)
            row["peak_mb"] = peak_rss_mb(proc.pid)
            out["pages"][title] = row
            print(f"  {title}: {row}", flush=True)
            ctx.close()
        if downloads:
            out["downloads"] = _downloads(browser, url, proc.pid)
        out["peak_mb"] = peak_rss_mb(proc.pid)
        out["load"].append(os.getloadavg()[0])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return out


def _downloads(browser, url: str, pid: int) -> dict:
    """Both downloads of every event (the whole range), as a user would: Prepare, then
    Download; the time from the first click to the file saved, its size, peak memory."""
    got = {}
    ctx = browser.new_context(viewport={"width": 1400, "height": 950}, accept_downloads=True)
    page = ctx.new_page()
    page.goto(url + "/events")
    page.get_by_role("heading", name="Events", exact=True).wait_for(timeout=CAP * 1000)
    _idle(page)
    with tempfile.TemporaryDirectory(prefix="zw-dl-") as folder:
        for name in ("CSV", "GeoJSON"):
            either = page.get_by_role("button", name=re.compile(f"^(Prepare|Download) {name}"))
            either.first.wait_for(timeout=CAP * 1000)
            t = time.perf_counter()
            prepare = page.get_by_role("button", name=f"Prepare {name}")
            if prepare.count():
                prepare.click()
                button = page.get_by_role("button", name=f"Download {name}, zipped")
            else:
                button = page.get_by_role("button", name=f"Download {name}")
            button.wait_for(timeout=CAP * 1000)
            with page.expect_download(timeout=CAP * 1000) as info:
                button.click()
            target = Path(folder) / info.value.suggested_filename
            info.value.save_as(target)
            got[name] = {
                "seconds": time.perf_counter() - t,
                "mb": target.stat().st_size / 1e6,
                "file": target.name,
                "peak_mb": peak_rss_mb(pid),
            }
            print(f"  download {name}: {got[name]}", flush=True)
            target.unlink()
    ctx.close()
    return got


def table(results: dict[int, dict]) -> str:
    """The pages' figures at each size, side by side, as a Markdown table: for each page its
    ready time, filter change and the app's peak memory (VmHWM) once it had been visited;
    for each download its time, size and the app's peak memory after it (no download rows,
    and no memory "after the downloads", when none ran: ``--no-downloads``)."""
    sizes = sorted(results)
    head = (
        "| page | "
        + " | ".join(
            f"{n:,}: ready | {n:,}: filter change | {n:,}: app peak after it" for n in sizes
        )
        + " |\n"
    )
    head += "|---|" + "---:|---:|---:|" * len(sizes) + "\n"
    rows = []
    for title, *_ in PAGES:
        if not any(title in results[n]["pages"] for n in sizes):
            continue  # a page not measured (--pages)
        cells = []
        for n in sizes:
            row = results[n]["pages"].get(title, {})
            cells.append(f"{row['ready']:.2f} s" if "ready" in row else "")
            cells.append(f"{row['change']:.2f} s" if "change" in row else "(no filters)")
            cells.append(f"{row['peak_mb']:,.0f} MB" if "peak_mb" in row else "")
        rows.append(f"| {title} | " + " | ".join(cells) + " |\n")
    downloaded = [n for n in sizes if results[n].get("downloads")]
    for name in ("CSV", "GeoJSON") if downloaded else ():  # none with --no-downloads
        cells = []
        for n in sizes:
            d = results[n].get("downloads", {}).get(name)
            cells.append(f"{d['seconds']:.1f} s ({d['mb']:,.0f} MB, {d['file']})" if d else "")
            cells.append("")
            cells.append(f"{d['peak_mb']:,.0f} MB" if d else "")
        rows.append(f"| download all, {name} | " + " | ".join(cells) + " |\n")
    peaks = []
    for n in sizes:
        r = results[n]
        after_pages = max(p["peak_mb"] for p in r["pages"].values())
        peaks.append(f"{after_pages:,.0f} MB after the pages"
                     + (f"; {r['peak_mb']:,.0f} MB after the downloads" if n in downloaded
                        else ""))  # fmt: skip
        peaks.append("")
        peaks.append("")
    rows.append("| app peak memory (VmHWM) | " + " | ".join(peaks) + " |\n")
    loads = [f"{results[n]['load'][0]:.1f} → {results[n]['load'][1]:.1f}" for n in sizes
             if "load" in results[n]]  # fmt: skip
    note = (
        "\nLoad average (1 min) at the start and the end of each size's pages: "
        + ", ".join(loads) + ".\n" if loads else ""
    )  # fmt: skip
    return head + "".join(rows) + note


if __name__ == "__main__":
    from playwright.sync_api import sync_playwright

    args = sys.argv[2:]
    only = chosen_pages(args[args.index("--pages") + 1] if "--pages" in args else None)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        where = sys.argv[1] if sys.argv[1].startswith("postgresql") else Path(sys.argv[1])
        result = measure_pages(browser, where, downloads="--no-downloads" not in args, pages=only)
        browser.close()
    print(json.dumps(result, indent=1))
    print(table({0: result}))
