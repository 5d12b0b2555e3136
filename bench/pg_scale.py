"""The PostGIS acceptance figures (issue 18) in one command: import, map, memory, load.

    uv run --locked --group bench python bench/pg_scale.py                 # 100k and 1M
    uv run --locked --group bench python bench/pg_scale.py --sizes 100000  # 100k only
    uv run --locked --group bench python bench/pg_scale.py --out BENCHMARKS.md
    uv run --locked --group bench python bench/pg_scale.py --no-load --url postgresql+psycopg://...

Not part of ``make test`` (it runs for many minutes; prefix it with ``nice -n 10`` on a
shared machine). In one run, on this machine, it:

1. starts a throw-away PostgreSQL + PostGIS server (``tests/pg_server.py``, as the tests do)
   and measures the floor (``bench/floor_app.py``: an empty Streamlit page with one
   streamlit-folium map, measured as ``bench/map_scale.py`` measures it);
2. for each size: takes the synthetic UCDP-format CSV of ``bench/map_scale.py``'s generator
   (the same file ``make bench`` makes, cached in ``--csv-dir`` so a second run does not
   make it again), creates a new store in a new database (filled from ``data/``, not timed)
   and times ``zonewatch import-events --format ucdp`` on it: wall time, the command's peak
   memory (VmHWM) and the CPU seconds of the command and of the database server;
3. starts one app process on that database and measures, as ``bench/map_scale.py`` does,
   the first map from navigation and the date change to the redrawn map (medians of 3), and
   the app process's peak memory (VmHWM) after them: the app's RSS at that size;
4. runs the load test of ``bench/pg_load.py`` on the same database (its docstring says
   what a change measures and why): ``--apps`` app processes, one user alone (p50/p95 of
   the date change, over the websocket, and in a browser for reference), then ``--users``
   users changing the date for ``--duration`` seconds while one more imports
   ``--import-rows`` events, once with a person's think time between changes and once
   with the earlier 0.5–1.5 s pause; errors and lost writes counted as there. The table
   gives the think-time phase; each size's load report follows it in full.

With ``--url`` it imports nothing and starts no server: it measures the floor and the map
(and the load test, unless ``--no-load``) on the store already at that URL, one "size"
named by its event count (the import columns empty).

It prints a Markdown table (one row per size, with the floor and the targets) and, with
``--out FILE``, writes it as the section "PostGIS at scale" of that file (replacing the
section if it is there, else adding it at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import map_scale  # noqa: E402
import pg_load  # noqa: E402

HEADING = "## PostGIS at scale"
TARGETS = (
    "Targets at 1M (issue 18): import ≤ 60 s with progress; first map and date change ≤ 1.5× "
    "the floor; the app's RSS the same at 100k and 1M; under load no error, no lost write, "
    "p95 ≤ 2× the single user's."
)


# --- the events file ----------------------------------------------------------------------


def events_csv(n: int, folder: Path) -> Path:
    """``bench/map_scale.py``'s n synthetic events (seed 6, the file ``make bench``
    makes), generated once and kept in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"ucdp_{n}.csv"
    if not path.exists():
        print(f"generating {n:,} events into {path}...", flush=True)
        part = path.with_suffix(".part")
        part.unlink(missing_ok=True)
        map_scale.generate_large(n, part)
        part.rename(path)
    return path


# --- the import ---------------------------------------------------------------------------


def _server_cpu(server) -> float:
    """CPU seconds of the database server so far: the postmaster's own and those of its
    ended children (a session's backend is reaped when its connection closes)."""
    pid = int((server.root / "data" / "postmaster.pid").read_text().split()[0])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def timed_import(server, url: str, csv: Path) -> dict:
    """``zonewatch import-events`` on the PostGIS store at ``url``, as a user runs it: wall
    seconds, the command's peak memory, its CPU seconds and the server's, its output."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    env.update(ZONEWATCH_MAX_UPLOAD_MB="100000")
    env.pop("ZONEWATCH_STORE", None)
    code = (
        "import json, resource, sys, time\n"
        "from geo.cli import main\n"
        "t = time.perf_counter()\n"
        "rc = main(['import-events', '--format', 'ucdp', sys.argv[1]])\n"
        "r = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(json.dumps({'rc': rc, 'seconds': time.perf_counter() - t,"
        f" 'cpu': r.ru_utime + r.ru_stime, 'peak_mb': {map_scale.HWM}}}))\n"
    )
    cpu0 = _server_cpu(server)
    out = subprocess.run(
        [sys.executable, "-c", code, str(csv)], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode:
        raise SystemExit(f"the import failed: {out.stderr[-2000:]}")
    got = json.loads(out.stdout.strip().splitlines()[-1])
    got["server_cpu"] = _server_cpu(server) - cpu0
    got["stdout"] = out.stdout
    return got


# --- the map, on PostGIS ------------------------------------------------------------------


def measure_map(browser, url: str, log: Path) -> dict:
    """``bench/map_scale.py``'s measurement of the app (first map, date change, peak
    memory), with its app process started as ``bench/pg_load.py`` starts one: on the
    PostGIS database at ``url``."""
    plain = map_scale.start_app
    map_scale.start_app = lambda store, script="app.py": pg_load.start_app(url, log)
    try:
        return map_scale.measure_zonewatch(browser, Path("unused.gpkg"))
    finally:
        map_scale.start_app = plain


# --- the report ---------------------------------------------------------------------------


def _x(value: float, floor: float) -> str:
    return f"{value:.2f} s, **{value / floor:.2f}×**"


def report(
    results: dict[int, dict], floor: dict, notes: list[str], minutes: float, loads: dict
) -> str:
    head = (
        "| events | `zonewatch import-events` | import peak memory | import CPU: command / "
        "server | first map (× floor) | date change (× floor) | app RSS (VmHWM) "
        "| one user p50 / p95 (websocket) | under load p50 / p95 (think time) | p95 ratio "
        "| errors, lost writes |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| floor | | | | {floor['ready']:.2f} s | {floor['change']:.2f} s "
        f"| {floor['peak_mb']:,.0f} MB | | | | |\n"
    )
    rows = []
    for n, r in results.items():
        imp, m, ld = r.get("import"), r["map"], r.get("load")
        if ld:
            one, think = ld["single"], ld["phases"]["think"]
            many = think["load"]
            ratio = pg_load.pct(many, 95) / pg_load.pct(one, 95)
            p_one = f"{pg_load.pct(one, 50):.2f} / {pg_load.pct(one, 95):.2f} s"
            p_many = (
                f"{pg_load.pct(many, 50):.2f} / {pg_load.pct(many, 95):.2f} s ({len(many)} changes)"
            )
            load = (p_one, p_many, f"{ratio:.1f}×", f"{len(think['errors'])}, {think['lost']}")
        else:
            load = ("not run", "", "", "")
        rows.append(
            (
                f"| {n:,} | **{imp['seconds']:.1f} s** | {imp['peak_mb']:,.0f} MB "
                f"| {imp['cpu']:.0f} s / {imp['server_cpu']:.0f} s "
                if imp
                else f"| {n:,} | not run (--url) | | "
            )
            + f"| {_x(m['ready'], floor['ready'])} | {_x(m['change'], floor['change'])} "
            f"| {m['peak_mb']:,.0f} MB | " + " | ".join(load) + " |\n"
        )
    return (
        f"{HEADING}\n\n"
        f"Generated by `bench/pg_scale.py` in one run of {minutes:.0f} min on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Machine: {map_scale.machine()}."
        "\n\n" + head + "".join(rows) + "\n" + "".join(f"- {line}\n" for line in notes) + "\n"
        "How each figure is measured: the docstring of `bench/pg_scale.py` (the import: wall "
        "time of the command, its peak memory, and CPU seconds of the command and of the "
        "database server; the map: as in `bench/map_scale.py`, medians of three, on one app "
        "process; app RSS: that process's peak after the map's measurement; the load: "
        "`bench/pg_load.py`'s test on the same database; the table gives its think-time "
        "phase and its websocket single user). "
        + TARGETS
        + "\n"
        + "".join(
            f"\n### Load test at {n:,} events\n\n" + "\n".join(lines) + "\n"
            for n, lines in loads.items()
        )
    )


def write_section(path: Path, section: str) -> None:
    """``section`` as the file's "PostGIS at scale" section: in place of the old one (up to
    the next heading of the same level), or at the end."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start = text.find(HEADING + "\n")
    if start < 0:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    else:
        end = text.find("\n## ", start + len(HEADING))
        text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
    path.write_text(text, encoding="utf-8")


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000", help="events imported, per store")
    ap.add_argument("--csv-dir", type=Path, default=Path(tempfile.gettempdir()) / "zw-bench-csv")
    ap.add_argument("--no-load", action="store_true", help="skip the load test")
    ap.add_argument(
        "--url", help="measure the map (and load) on the store at this DATABASE_URL, no import"
    )
    pg_load.add_load_options(ap)
    ap.add_argument("--out", type=Path, help="write the report as a section of this file")
    return ap.parse_args()


def main() -> None:
    args = _args()
    sizes = [int(s) for s in args.sizes.split(",")]
    from playwright.sync_api import sync_playwright

    from geo.store.postgis import PostGISStore
    from pg_server import PostGISServer

    started = time.time()
    notes = [f"load average at start: {', '.join(f'{x:.1f}' for x in os.getloadavg())}"]
    results: dict[int, dict] = {}
    loads: dict[int, list[str]] = {}  # the load test's own report, per size
    server = None if args.url else PostGISServer()
    urls: dict[int, str] = {}  # the store of each size
    if args.url:
        sizes = [PostGISStore(args.url).event_summary().count]
        urls[sizes[0]] = args.url
    tmp = Path(tempfile.mkdtemp(prefix="zw-pgscale-"))
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=map_scale.CHROMIUM, args=map_scale.CHROMIUM_ARGS
            )
            floor = map_scale.measure_floor(browser, tmp)
            print(f"floor: {floor}", flush=True)
            for n in sizes:
                results[n] = {}
                if server is not None:
                    csv = events_csv(n, args.csv_dir)
                    url = urls[n] = server.create_db(f"zw_scale_{n}")
                    PostGISStore.open(url)  # filled from data/ (not timed)
                    print(f"\n== {n:,} events: importing...", flush=True)
                    imp = timed_import(server, url, csv)
                    print({k: v for k, v in imp.items() if k != "stdout"}, flush=True)
                    results[n]["import"] = imp
                    notes.append(
                        f"{n:,} events ({csv.stat().st_size / 1e6:,.0f} MB CSV): "
                        + imp["stdout"].strip().splitlines()[0]
                    )
                results[n]["map"] = measure_map(browser, urls[n], tmp / f"map_{n}.log")
                print(f"map: {results[n]['map']}", flush=True)
            browser.close()
        for n in sizes:  # after the browser above is closed: the load test has its own
            if args.no_load:
                continue
            print(f"\n== {n:,} events: load test...", flush=True)
            ld = pg_load.load_test(args, urls[n], tmp)
            results[n]["load"] = ld
            lines = pg_load.report_lines(args, ld)
            print("\n".join(lines), flush=True)
            loads[n] = lines
    finally:
        if server is not None:
            server.stop()
    notes.append(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    text = report(results, floor, notes, (time.time() - started) / 60, loads)
    print("\n" + text)
    if args.out:
        write_section(args.out, text)


if __name__ == "__main__":
    main()
