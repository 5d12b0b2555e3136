"""Load test: several app processes on one PostGIS database, many users, one import.

    uv run --locked python bench/pg_load.py                      # 100k events, 2 minutes
    uv run --locked python bench/pg_load.py --events 1000000     # 1M events
    uv run --locked python bench/pg_load.py --duration 30        # a shorter run
    uv run --locked python bench/pg_load.py --import-only --events 1000000   # import time

Not part of ``make test`` (it runs for minutes and needs the whole machine). Prefix it with
``nice -n 10`` on a shared machine. What it does, in this run and on this machine:

1. starts a throw-away PostgreSQL + PostGIS server (``tests/pg_server.py``, as the tests
   do), creates a store (filled from ``data/``) and imports ``--events`` synthetic
   UCDP-format events (``bench/map_scale.py``'s generator) with ``zonewatch import-events``,
   timed (with ``--import-only`` it also times importing the same file again, which must
   add nothing, and stops there);
2. starts ``--apps`` (3) app processes (``streamlit run app.py``) on that one database;
3. single user: one browser page on the first app changes the Map's start date
   ``--single`` (8) times; each time it measures the time from the change (the date
   field losing focus) to the map having redrawn its events (the map's ``zw.live.key``
   changing), as ``bench/map_scale.py`` does;
4. load: ``--users`` (12) simulated users, pages spread over three Chromium browsers
   (Debian's, ``/usr/bin/chromium``) and over the app processes, each changing the start
   date to a random day and waiting for the map to redraw, with a short pause, for
   ``--duration`` seconds (120). A quarter of the way in, one more user imports
   ``--import-rows`` (20,000) new events with ``zonewatch import-events``;
5. reports errors (a change whose map did not redraw within ``--timeout`` seconds, an
   exception shown on a page, an app process that died, a failed import), lost writes
   (every row the import reported as imported is in the database at the end, and the
   total is what it should be), and p50 / p95 of the change → map redrawn, under load and
   for the single user.

The figures are printed as a Markdown table (and written to ``--out`` when given).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from map_scale import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    MAP_IFRAME,
    _free_port,
    generate,
    wait_healthy,
)

#: The start dates users pick from (the end date stays: a change of the end date redraws
#: the zones as of that date, a new map, which is a zone change rather than a filter change).
FIRST_DAY, LAST_DAY = date(2016, 1, 1), date(2019, 11, 30)
KEY_JS = "() => (window.zw && zw.live && zw.live.key) || ''"
NEW_KEY_JS = "old => !!(window.zw && zw.live && zw.live.key && zw.live.key !== old)"


# --- the database and the imports ---------------------------------------------------------


def cli_import(url: str, csv: Path) -> dict:
    """``zonewatch import-events`` as a user runs it: seconds, exit code and its output."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    env.pop("ZONEWATCH_STORE", None)
    code = "import sys; from geo.cli import main; sys.exit(main(sys.argv[1:]))"
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, "import-events", "--format", "ucdp", str(csv)],
        env=env, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    return {
        "seconds": time.perf_counter() - t,
        "rc": out.returncode,
        "stdout": out.stdout,
        "stderr": out.stderr[-2000:],
    }


def _sql(url: str, query: str, params: tuple = ()) -> list[tuple]:
    import psycopg

    from geo.store.postgis import conninfo

    with psycopg.connect(conninfo(url), autocommit=True) as con:
        return con.execute(query, params).fetchall()


def write_import_file(path: Path, rows: int, first_id: int) -> None:
    """``rows`` new events (ids from ``first_id``, unlike those already imported)."""
    import pandas as pd

    generate(rows, path, seed=11)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["id"] = [str(first_id + k) for k in range(len(df))]
    df.to_csv(path, index=False)


# --- the app processes --------------------------------------------------------------------


def start_app(url: str, log: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    env.pop("ZONEWATCH_STORE", None)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    return proc, wait_healthy(proc, port, 400, f"the app did not start (see {log})")


# --- one user -----------------------------------------------------------------------------


class User:
    """One browser page on one app process, changing the Map's start date."""

    def __init__(self, name: str, browser, app: str, timeout: float):
        self.name, self.browser, self.app, self.timeout = name, browser, app, timeout
        self.times: list[float] = []
        self.errors: list[str] = []
        self.day = FIRST_DAY

    async def open(self) -> None:
        self.ctx = await self.browser.new_context(viewport={"width": 1400, "height": 950})
        self.page = await self.ctx.new_page()
        await self.page.goto(self.app, timeout=self.timeout * 1000)
        await self._wait_key("")
        await asyncio.sleep(3)  # the map reports its view once, which reruns the page

    async def _frame(self):
        handle = await self.page.wait_for_selector(MAP_IFRAME, timeout=self.timeout * 1000)
        return await handle.content_frame()

    async def _wait_key(self, old: str) -> None:
        deadline = time.perf_counter() + self.timeout
        while True:
            try:
                frame = await self._frame()
                left = max(0.1, deadline - time.perf_counter())
                await frame.wait_for_function(NEW_KEY_JS, arg=old, timeout=left * 1000)
                return
            except Exception:
                # the frame may have been made again by a rerun: look again until the deadline
                if time.perf_counter() >= deadline:
                    raise
                await asyncio.sleep(0.1)

    async def change(self, day: date) -> float:
        """Type ``day`` as the start date; seconds until the map has redrawn its events."""
        frame = await self._frame()
        old = await frame.evaluate(KEY_JS)
        for part, text in (("year", f"{day:%Y}"), ("month", f"{day:%m}"), ("day", f"{day:%d}")):
            seg = self.page.get_by_role("spinbutton", name=f"{part}, Event dates start date")
            await seg.click(timeout=self.timeout * 1000)
            await self.page.keyboard.type(text)
        t = time.perf_counter()
        await self.page.get_by_role("heading", name="ZoneWatch").click()  # commits the date
        await self._wait_key(old)
        seconds = time.perf_counter() - t
        if await self.page.locator('[data-testid="stException"]').count():
            raise RuntimeError("the page shows an exception")
        return seconds

    def next_day(self, rng: random.Random) -> date:
        while True:
            day = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days))
            if day != self.day:
                self.day = day
                return day

    async def run(self, until: float, rng: random.Random, pause: float) -> None:
        while time.perf_counter() < until:
            try:
                self.times.append(await self.change(self.next_day(rng)))
            except Exception as exc:  # a timeout or an exception on the page
                self.errors.append(f"{self.name}: {str(exc).splitlines()[0][:200]}")
                try:  # start again from a fresh page
                    await self.ctx.close()
                    await self.open()
                except Exception as again:
                    self.errors.append(f"{self.name}: reopen: {str(again).splitlines()[0]}")
                    return
            await asyncio.sleep(rng.uniform(0.5, 1.5) * pause)

    async def close(self) -> None:
        await self.ctx.close()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def drive(args, apps: list[str], url: str, extra_csv: Path) -> dict:
    from playwright.async_api import async_playwright

    rng = random.Random(7)
    out: dict = {}
    async with async_playwright() as pw:
        browsers = [
            await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS) for _ in range(3)
        ]
        try:
            # Single user, alone, on the first app.
            solo = User("single", browsers[0], apps[0], args.timeout)
            await solo.open()
            for _ in range(args.single):
                solo.times.append(await solo.change(solo.next_day(rng)))
                await asyncio.sleep(1.0)
            await solo.close()
            out["single"] = solo.times

            # Many users, spread over the browsers and the app processes.
            users = [
                User(f"user{i + 1}", browsers[i % 3], apps[i % len(apps)], args.timeout)
                for i in range(args.users)
            ]
            opened = await asyncio.gather(*(u.open() for u in users), return_exceptions=True)
            open_errors = [f"{u.name}: open: {e}" for u, e in zip(users, opened, strict=True) if e]
            users = [u for u, e in zip(users, opened, strict=True) if not e]
            t0 = time.perf_counter()
            until = t0 + args.duration

            async def importer() -> dict:
                await asyncio.sleep(args.duration / 4)
                started = time.perf_counter() - t0
                result = await asyncio.to_thread(cli_import, url, extra_csv)
                result["started_at"] = started
                return result

            results = await asyncio.gather(
                importer(),
                *(u.run(until, random.Random(rng.random()), args.pause) for u in users),
            )
            out["import"] = results[0]
            out["load"] = [t for u in users for t in u.times]
            out["errors"] = open_errors + [e for u in users for e in u.errors]
            out["users"] = len(users) + len(open_errors)
            out["elapsed"] = time.perf_counter() - t0
            for u in users:
                try:
                    await u.close()
                except Exception:
                    pass
        finally:
            for b in browsers:
                await b.close()
    return out


# --- main ---------------------------------------------------------------------------------


def _errors(got: dict, procs: list, tmp: Path) -> list[str]:
    """What went wrong during the load: the browsers' errors, a failed import, an app
    process that died or logged a traceback."""
    imp = got["import"]
    errors = list(got["errors"])
    if imp["rc"]:
        errors.append(f"import failed: {imp['stderr'].strip().splitlines()[-1:]}")
    for i, p in enumerate(procs):
        if p.poll() is not None:
            errors.append(f"app process {i + 1} died (exit {p.returncode})")
        log = (tmp / f"app{i + 1}.log").read_text(errors="replace")
        if "Traceback" in log:
            errors.append(f"app process {i + 1} logged a traceback (see {tmp})")
    return errors


def _lost_writes(url: str, extra: Path, imp: dict, before: int) -> tuple[int, int, int]:
    """Rows the import under load reported, rows found under its import id, and rows lost
    (reported but not stored, or missing from the table's total)."""
    # Lost writes: every row the import said it added is there, under its import id.
    (entry,) = _sql(
        url,
        "SELECT detail FROM history WHERE kind = 'import' AND file_name = %s",
        (extra.name,),
    )
    import_id = entry[0].rsplit("import ", 1)[-1]
    stored = _sql(url, "SELECT COUNT(*) FROM events WHERE import_id = %s", (import_id,))[0][0]
    total = _sql(url, "SELECT COUNT(*) FROM events")[0][0]
    found = re.search(r"([\d,]+) imported", imp["stdout"])
    reported = int(found.group(1).replace(",", "")) if found else -1
    lost = max(0, reported - stored) + max(0, before + reported - total)
    return reported, stored, lost


def _stop(procs: list[subprocess.Popen]) -> None:
    """Stop the app processes: politely, then for good after 30 s."""
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def add_load_options(ap: argparse.ArgumentParser) -> None:
    """The load test's options (this script's and pg_scale.py's load step)."""
    ap.add_argument("--duration", type=float, default=120, help="seconds of load")
    ap.add_argument("--users", type=int, default=12)
    ap.add_argument("--apps", type=int, default=3, help="app processes on the database")
    ap.add_argument("--single", type=int, default=8, help="changes measured for one user")
    ap.add_argument("--import-rows", type=int, default=20_000, help="rows imported under load")
    ap.add_argument("--pause", type=float, default=1.0, help="mean pause between changes, s")
    ap.add_argument("--timeout", type=float, default=120, help="seconds before a change fails")


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=100_000, help="events imported first")
    add_load_options(ap)
    ap.add_argument("--csv", type=Path, help="the events file to import first (default: made)")
    ap.add_argument("--import-only", action="store_true", help="time the import and stop")
    ap.add_argument("--out", type=Path, help="also write the report (Markdown) here")
    return ap.parse_args()


def main() -> None:
    args = _args()

    from geo.store.postgis import PostGISStore
    from pg_server import PostGISServer

    tmp = Path(tempfile.mkdtemp(prefix="zonewatch-pgload-"))
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    server = PostGISServer()
    procs: list[subprocess.Popen] = []
    try:
        url = server.create_db("zonewatch_load")
        PostGISStore.open(url)  # the first start fills the store from data/ (not timed)
        shipped = _sql(url, "SELECT COUNT(*) FROM events")[0][0]
        csv = args.csv
        if csv is None:
            csv = tmp / f"ucdp_{args.events}.csv"
            print(f"generating {args.events:,} events...", flush=True)
            generate(args.events, csv)
        print("importing...", flush=True)
        first = cli_import(url, csv)
        if first["rc"]:
            raise SystemExit(f"the import failed: {first['stderr']}")
        loaded = _sql(url, "SELECT COUNT(*) FROM events")[0][0] - shipped
        title = "import" if args.import_only else "load test"
        say(f"# PostGIS {title} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")
        say()
        say(f"- machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
        say(
            f"- `zonewatch import-events` of {loaded:,} events ({csv.stat().st_size / 1e6:,.0f}"
            f" MB CSV) into PostGIS: **{first['seconds']:.1f} s**"
        )
        if args.import_only:
            again = cli_import(url, csv)
            added = _sql(url, "SELECT COUNT(*) FROM events")[0][0] - shipped - loaded
            say(f"- the same file again: {again['seconds']:.1f} s, {added} events added")
            return

        extra = tmp / "import_under_load.csv"
        write_import_file(extra, args.import_rows, first_id=800_000_000)
        for i in range(args.apps):
            procs.append(start_app(url, tmp / f"app{i + 1}.log")[0])
        apps = [f"http://127.0.0.1:{p.args[p.args.index('--server.port') + 1]}" for p in procs]
        print(f"{len(apps)} app processes up; driving the browsers...", flush=True)
        got = asyncio.run(drive(args, apps, url, extra))

        imp = got["import"]
        errors = _errors(got, procs, tmp)
        reported, stored, lost = _lost_writes(url, extra, imp, shipped + loaded)

        single, load = got["single"], got["load"]
        say(
            f"- {args.apps} app processes on the one database; {got['users']} users "
            f"(3 Chromium browsers, {args.users // 3} pages each) for {got['elapsed']:.0f} s; "
            f"{len(load)} date changes"
        )
        say(
            f"- import under load ({args.import_rows:,} rows, started at "
            f"{imp['started_at']:.0f} s): {imp['seconds']:.1f} s, exit {imp['rc']}, "
            f"{reported:,} reported imported, {stored:,} found stored"
        )
        say()
        say("| | changes | p50 | p95 |")
        say("|---|---|---|---|")
        for label, times in (("one user alone", single), (f"{got['users']} users + import", load)):
            say(f"| {label} | {len(times)} | {pct(times, 50):.2f} s | {pct(times, 95):.2f} s |")
        say()
        ratio = pct(load, 95) / pct(single, 95) if single and load else float("nan")
        say(f"- p95 under load / p95 alone: {ratio:.1f}×")
        say(f"- errors: {len(errors)}; lost writes: {lost}")
        for e in errors[:20]:
            say(f"  - {e}")
    finally:
        _stop(procs)
        server.stop()
        for f in tmp.glob("*.csv"):
            f.unlink()
        if args.out and lines:
            args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
