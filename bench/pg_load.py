"""Load test: several app processes on one PostGIS database, many users, one import.

    uv run --locked python bench/pg_load.py                      # 100k events, 2 × 2 minutes
    uv run --locked python bench/pg_load.py --events 1000000     # 1M events
    uv run --locked python bench/pg_load.py --duration 30        # shorter phases
    uv run --locked python bench/pg_load.py --client browser     # Chromium pages as users
    uv run --locked python bench/pg_load.py --import-only --events 1000000   # import time

Not part of ``make test`` (it runs for minutes and needs the whole machine). Prefix it with
``nice -n 10`` on a shared machine. What it does, in this run and on this machine:

1. starts a throw-away PostgreSQL + PostGIS server (``tests/pg_server.py``, as the tests
   do), creates a store (filled from ``data/``) and imports ``--events`` synthetic
   UCDP-format events (``bench/map_scale.py``'s generator) with ``zonewatch import-events``,
   timed (with ``--import-only`` it also times importing the same file again, which must
   add nothing, and stops there);
2. starts ``--apps`` (3) app processes (``streamlit run app.py``) on that one database;
3. single user: one user alone on the first app changes the Map's start date ``--single``
   (20) times, one second apart; then, for reference, one Chromium page does the same
   ``--single-browser`` (8) times;
4. load, in two phases of ``--duration`` seconds (120) each: ``--users`` (12) users spread
   over the app processes, each changing the start date to a random day, then pausing,
   again and again; a quarter of the way into each phase one more user imports
   ``--import-rows`` (20,000) new events with ``zonewatch import-events``. The first phase
   pauses for a person's think time (``--think``, 5–11 s), the second for the earlier
   test's 0.5–1.5 s (``--busy``; ``--busy none`` leaves it out);
5. reports errors, lost writes (every row an import reported as imported is in the
   database at the end, and the total is what it should be), and p50 / p95 of the date
   change: alone, and in each phase, with the ratio of p95 under load to p95 alone.

What a change measures. The users are websocket users by default (``bench/st_session.py``):
each speaks Streamlit's own protocol to its app process, as a browser page does (every
widget's value, the date widget's new one among them, in a ``rerun_script`` message, so
that the change reruns only the map's part of the page, as a browser's does), and a
change is timed from the request sent to the run's ``script_finished`` (that of the
fragment's run). That run must show no exception, must say it shows
the new dates ("Showing N of M events (D to E)") and must send the map's event layer with
new data (its key, a hash of what it draws, differs from the run before); otherwise the
change is an error. The single user's figure is taken the same way, on the same servers,
alone: the ratio compares like with like. Why not browsers: a Chromium page spends about
a quarter of a second of CPU on each map change itself (drawing, React), so twelve pages
on this 2-core machine measured mostly the pages' own work (a p95 of 14.6× at 1M, load
average 25), not the servers'. The browser's figure for one user alone is still printed,
for reference, and ``--client browser`` runs the phases with Chromium pages (the change
then timed from the date field losing focus to the map's ``zw.live.key`` changing, as
``bench/map_scale.py`` times it).

Why 5–11 s between changes. After a change a person reads what it did: the line "Showing N
of M events (D to E)" (about a dozen words: 2–3 s at an ordinary reading speed) and a
glance over the map's squares or points (a few seconds more: 2–5 s); then enters the next
start date, which in Streamlit's date field is a click on each of three segments and six
digits typed, then a click away (about ten actions at a quarter to a third of a second
each: 3 s). That is 5 s at the quickest and 11 s for a closer look; each user draws its
pause uniformly from that range. The earlier 0.5–1.5 s is no person's pace (it is faster
than typing the date), so it stays as a second phase: a stress figure, printed beside the
first.

An error is a change that failed (no finished run within ``--timeout`` seconds, an
exception on the page, dates not shown, the map not sent or unchanged), a user that could
not open the page, an app process that died or logged a traceback, or a failed import.
The figures are printed as a Markdown table (and written to ``--out`` when given).
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from st_session import Session  # noqa: E402

#: The start dates users pick from (the end date stays: a change of the end date redraws
#: the zones as of that date, a new map, which is a zone change rather than a filter change).
FIRST_DAY, LAST_DAY = date(2016, 1, 1), date(2019, 11, 30)
KEY_JS = "() => (window.zw && zw.live && zw.live.key) || ''"
NEW_KEY_JS = "old => !!(window.zw && zw.live && zw.live.key && zw.live.key !== old)"
DATES_LABEL = "Event dates"
MAP_COMPONENT = "streamlit_folium.st_folium"
#: The event layer's key in the map's script (``geo.aggregate``: a hash of what it draws).
#: A user's think time between two changes, seconds (uniform): reading what the change
#: shows, then entering the next date (the module's docstring says why).
THINK = (5.0, 11.0)
#: The earlier load test's pause: a user who changes the date again as soon as the map is
#: drawn (kept as a second phase, for comparison).
BUSY = (0.5, 1.5)
LAYER_KEY = re.compile(r'"key":\s*"([0-9a-f]+)"')


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


class WsUser:
    """One user of the Map page, over the app's websocket (``bench/st_session.py``): no
    browser, so the time measured is the server's. A change sets the start date and
    measures from the request sent to the run's end (its ``script_finished``); the change
    counts as done only if that run drew no exception, said it shows the new dates
    ("Showing N of M events (D to E)") and sent the map's events again, with new data (the
    event layer's key, a hash of what it draws, differs from the run before)."""

    kind = "websocket"

    def __init__(self, name: str, app: str, timeout: float):
        self.name, self.app, self.timeout = name, app, timeout
        self.times: list[float] = []
        self.log: list[tuple[float, float]] = []  #: (perf_counter at the change, seconds)
        self.errors: list[str] = []
        self.day = FIRST_DAY
        self.session: Session | None = None

    async def open(self) -> None:
        self.session = Session(self.app, timeout=self.timeout)
        run = await self.session.open()
        self.key = self._check(run, None)
        _, dates = self.session.widgets[DATES_LABEL]
        self.end = date.fromisoformat(list(dates.default)[-1])

    def _check(self, run, day: date | None) -> str:
        if run.exceptions():
            raise RuntimeError(f"the page shows an exception: {run.exceptions()[0][:120]}")
        shown = [m for m in run.markdown() if m.startswith("**Showing ")]
        if not shown:
            raise RuntimeError("the run drew no 'Showing N of M events'")
        if day is not None and f"({day:%d %b %Y} to " not in shown[0]:
            raise RuntimeError(f"the page shows other dates than {day}: {shown[0][:100]}")
        component = run.component(MAP_COMPONENT)
        if component is None:
            raise RuntimeError("the run did not send the map")
        found = LAYER_KEY.search(json.loads(component.json_args).get("feature_group", ""))
        if found is None:
            raise RuntimeError("the map's event layer has no key")
        return found.group(1)

    async def change(self, day: date) -> float:
        """Set ``day`` as the start date; seconds until the run has finished."""
        run = await self.session.set_dates(DATES_LABEL, day, self.end)
        key = self._check(run, day)
        if key == self.key:
            raise RuntimeError(f"the map's events did not change for {day}")
        self.key = key
        return run.seconds

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    def next_day(self, rng: random.Random) -> date:
        return _next_day(self, rng)

    async def run(self, until: float, rng: random.Random, pause: tuple[float, float]) -> None:
        await _run(self, until, rng, pause)


class User:
    """One browser page on one app process, changing the Map's start date; a change is
    timed from the date field losing focus to the map having redrawn its events (the
    map's ``zw.live.key`` changing), as ``bench/map_scale.py`` times it."""

    kind = "browser"

    def __init__(self, name: str, browser, app: str, timeout: float):
        self.name, self.browser, self.app, self.timeout = name, browser, app, timeout
        self.times: list[float] = []
        self.log: list[tuple[float, float]] = []  #: (perf_counter at the change, seconds)
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

    async def close(self) -> None:
        await self.ctx.close()

    def next_day(self, rng: random.Random) -> date:
        return _next_day(self, rng)

    async def run(self, until: float, rng: random.Random, pause: tuple[float, float]) -> None:
        await _run(self, until, rng, pause)


def _next_day(user, rng: random.Random) -> date:
    while True:
        day = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days))
        if day != user.day:
            user.day = day
            return day


async def _run(user, until: float, rng: random.Random, pause: tuple[float, float]) -> None:
    """Change the date, read the map for a pause drawn from ``pause`` (seconds), again,
    until ``until``. A failed change is counted and the user starts again on a new page.
    The first change comes after a random part of the longest pause: people arrive at
    their own moments, not all on the same instant."""
    await asyncio.sleep(rng.uniform(0, pause[1]))
    while time.perf_counter() < until:
        try:
            started = time.perf_counter()
            user.times.append(await user.change(user.next_day(rng)))
            user.log.append((started, user.times[-1]))
        except Exception as exc:  # a timeout, an exception on the page, a map unchanged
            user.errors.append(
                f"{user.name}: {(str(exc) or type(exc).__name__).splitlines()[0][:200]}"
            )
            try:  # start again from a fresh page
                await user.close()
                await user.open()
            except Exception as again:
                user.errors.append(f"{user.name}: reopen: {str(again).splitlines()[0]}")
                return
        await asyncio.sleep(rng.uniform(*pause))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def phases(args) -> list[tuple[str, tuple[float, float]]]:
    """The load phases to run: (name, pause range in seconds): the think time, then the old
    short pause (unless ``--busy none``)."""
    out = [("think", args.think)]
    if args.busy is not None:
        out.append(("busy", args.busy))
    return out


async def _phase(args, apps, url, extra: Path, pause, rng, make_user) -> dict:
    """``--users`` users spread over the app processes, each changing the date and pausing
    for ``pause`` seconds, for ``--duration`` seconds, while one more user imports
    ``extra`` (a quarter of the way in)."""
    users = [make_user(f"user{i + 1}", i, apps[i % len(apps)]) for i in range(args.users)]
    opened = await asyncio.gather(*(u.open() for u in users), return_exceptions=True)
    open_errors = [f"{u.name}: open: {e}" for u, e in zip(users, opened, strict=True) if e]
    users = [u for u, e in zip(users, opened, strict=True) if not e]
    t0 = time.perf_counter()
    until = t0 + args.duration

    async def importer() -> dict:
        await asyncio.sleep(args.duration / 4)
        started = time.perf_counter() - t0
        result = await asyncio.to_thread(cli_import, url, extra)
        result["started_at"] = started
        return result

    results = await asyncio.gather(
        importer(), *(u.run(until, random.Random(rng.random()), pause) for u in users)
    )
    out = {
        "pause": pause,
        "extra": extra,
        "import": results[0],
        "load": [t for u in users for t in u.times],
        #: every change: (user, app process, seconds into the phase, seconds it took)
        "changes": sorted(
            ((u.name, apps.index(u.app), at - t0, took) for u in users for at, took in u.log),
            key=lambda c: c[2],
        ),
        "errors": open_errors + [e for u in users for e in u.errors],
        "users": len(users) + len(open_errors),
        "elapsed": time.perf_counter() - t0,
    }
    for u in users:
        try:
            await u.close()
        except Exception:
            pass
    return out


async def _alone(user, changes: int, rng: random.Random) -> list[float]:
    """``changes`` date changes by one user alone (a second apart): their seconds."""
    await user.open()
    for _ in range(changes):
        user.times.append(await user.change(user.next_day(rng)))
        await asyncio.sleep(1.0)
    await user.close()
    return user.times


async def drive(args, apps: list[str], url: str, extras: list[Path]) -> dict:
    """The single user (over the websocket, and in a browser for reference), then each of
    :func:`phases` with its own file to import (``extras``)."""
    from playwright.async_api import async_playwright

    rng = random.Random(7)
    out: dict = {"single_browser": []}
    # The single user over the websocket, alone on the first app (quiet servers).
    out["single"] = await _alone(WsUser("single", apps[0], args.timeout), args.single, rng)
    browser_users = args.client == "browser"
    if not (browser_users or args.single_browser):
        out["phases"] = {
            name: await _phase(
                args,
                apps,
                url,
                extra,
                pause,
                rng,
                lambda name, i, app: WsUser(name, app, args.timeout),
            )  # fmt: skip
            for (name, pause), extra in zip(phases(args), extras, strict=True)
        }
        return out
    async with async_playwright() as pw:
        browsers = [
            await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(3 if browser_users else 1)
        ]
        try:
            # The same in a browser (for reference: the browser's own work included).
            solo = User("single", browsers[0], apps[0], args.timeout)
            out["single_browser"] = await _alone(solo, args.single_browser, rng)
            if browser_users:
                make = lambda name, i, app: User(name, browsers[i % 3], app, args.timeout)  # noqa: E731
            else:
                await browsers[0].close()
                browsers = []
                make = lambda name, i, app: WsUser(name, app, args.timeout)  # noqa: E731
            out["phases"] = {
                name: await _phase(args, apps, url, extra, pause, rng, make)
                for (name, pause), extra in zip(phases(args), extras, strict=True)
            }
        finally:
            for b in browsers:
                await b.close()
    return out


# --- main ---------------------------------------------------------------------------------


def _errors(phase: dict, procs: list, tmp: Path) -> list[str]:
    """What went wrong during a phase: the users' errors, a failed import, an app process
    that died or logged a traceback (so far)."""
    imp = phase["import"]
    errors = list(phase["errors"])
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
        "SELECT detail FROM history WHERE kind = 'import' AND file_name = %s"
        " ORDER BY fid DESC LIMIT 1",
        (extra.name,),
    )
    import_id = entry[0].rsplit("import ", 1)[-1]
    stored = _sql(url, "SELECT COUNT(*) FROM events WHERE import_id = %s", (import_id,))[0][0]
    total = _sql(url, "SELECT COUNT(*) FROM events")[0][0]
    found = re.search(r"([\d,]+) imported", imp["stdout"])
    reported = int(found.group(1).replace(",", "")) if found else -1
    lost = max(0, reported - stored) + max(0, before + reported - total)
    return reported, stored, lost


def load_test(args, url: str, tmp: Path) -> dict:
    """The load test on the store at ``url`` (which it adds ``--import-rows`` events to,
    once per phase): ``--apps`` app processes, the single user, then each phase. Returns
    the single user's times, per phase its times, errors, import and lost writes, and the
    app processes' peak memory."""
    from map_scale import peak_rss_mb

    # each run's files have their own names and event ids (a store kept from an earlier
    # run, ``pg_scale.py --url``, holds that run's): numbered by the imports made so far
    run = _sql(url, "SELECT count(*) FROM history WHERE kind = 'import'")[0][0]
    extras = []
    for k, (name, _) in enumerate(phases(args)):
        extras.append(tmp / f"import_under_load_{run}_{name}.csv")
        first_id = 800_000_000 + (run * len(phases(args)) + k) * max(args.import_rows, 1)
        write_import_file(extras[-1], args.import_rows, first_id=first_id)
    procs: list[subprocess.Popen] = []
    try:
        for i in range(args.apps):
            procs.append(start_app(url, tmp / f"app{i + 1}.log")[0])
        apps = [f"http://127.0.0.1:{p.args[p.args.index('--server.port') + 1]}" for p in procs]
        print(f"{len(apps)} app processes up; driving the users...", flush=True)
        before = _sql(url, "SELECT COUNT(*) FROM events")[0][0]
        got = asyncio.run(drive(args, apps, url, extras))
        for phase in got["phases"].values():
            phase["errors"] = _errors(phase, procs, tmp)
            reported, stored, lost = _lost_writes(url, phase["extra"], phase["import"], before)
            phase.update(reported=reported, stored=stored, lost=lost)
            before += max(reported, 0)
        rss = [peak_rss_mb(p.pid) for p in procs if p.poll() is None]
        got["apps_peak_mb"] = max(rss) if rss else float("nan")
    finally:
        _stop(procs)
        for f in extras:
            f.unlink(missing_ok=True)
    return got


def _span(pause: tuple[float, float]) -> str:
    return f"{pause[0]:g}–{pause[1]:g} s"


def report_lines(args, got: dict) -> list[str]:
    """The load test's figures as Markdown lines: a table of p50/p95 (the single user over
    the websocket and in a browser, and each phase), the p95 ratios, errors and lost
    writes."""
    one = got["single"]
    kind = "browser pages" if args.client == "browser" else "websocket users"
    lines = [
        f"- {args.apps} app processes on the one database; {args.users} {kind}, "
        f"{args.duration:.0f} s per phase; one more user imports {args.import_rows:,} rows "
        "a quarter of the way into each phase",
        "",
        "| | changes | p50 | p95 | p95 / one user's | errors | lost writes |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| one user alone (websocket) | {len(one)} | {pct(one, 50):.2f} s "
        f"| {pct(one, 95):.2f} s | | | |",
    ]
    if got["single_browser"]:
        b = got["single_browser"]
        lines.append(
            f"| one user alone (browser, for reference) | {len(b)} | {pct(b, 50):.2f} s "
            f"| {pct(b, 95):.2f} s | | | |"
        )
    for name, ph in got["phases"].items():
        load = ph["load"]
        what = "think time" if name == "think" else "pause"
        ratio = pct(load, 95) / pct(one, 95) if one and load else float("nan")
        lines.append(
            f"| {ph['users']} users + import, {what} {_span(ph['pause'])} | {len(load)} "
            f"| {pct(load, 50):.2f} s | {pct(load, 95):.2f} s | **{ratio:.1f}×** "
            f"| {len(ph['errors'])} | {ph['lost']} |"
        )
    lines.append("")
    for name, ph in got["phases"].items():
        imp = ph["import"]
        lines.append(
            f"- {name}: import under load started at {imp['started_at']:.0f} s, took "
            f"{imp['seconds']:.1f} s, exit {imp['rc']}; {ph['reported']:,} rows reported "
            f"imported, {ph['stored']:,} found stored; {ph['elapsed']:.0f} s in all"
        )
        lines.extend(_slowest(ph, pct(one, 95) if one else float("nan")))
        for e in ph["errors"][:10]:
            lines.append(f"  - error: {e}")
    lines.append(f"- the app processes' peak memory: {got['apps_peak_mb']:,.0f} MB")
    return lines


def _slowest(phase: dict, alone_p95: float) -> list[str]:
    """Where a phase's slow changes came from: those begun while the import ran, each app
    process's first change after it, and the rest; with the p95 of the changes outside
    the import's run (what a user sees when nobody imports)."""
    imp, changes = phase["import"], phase.get("changes", [])
    if not changes:
        return []
    begin, end = imp["started_at"], imp["started_at"] + imp["seconds"]
    during = [c for c in changes if c[2] + c[3] >= begin and c[2] <= end]
    first_after = {}
    for c in changes:
        if c[2] > end and c[1] not in first_after:
            first_after[c[1]] = c
    rest = [c for c in changes if c not in during]
    cut = pct([c[3] for c in changes], 95)
    slow = [c for c in changes if c[3] >= cut]
    n_during = sum(c in during for c in slow)
    n_first = sum(c in first_after.values() for c in slow)
    return [
        f"  - {len(during)} changes overlapped the import ({begin:.0f}–{end:.0f} s): p50 "
        f"{pct([c[3] for c in during], 50):.2f} s; the other {len(rest)}: p95 "
        f"{pct([c[3] for c in rest], 95):.2f} s "
        f"({pct([c[3] for c in rest], 95) / alone_p95:.1f}× the one user's)",
        f"  - the slowest 5% ({len(slow)} changes ≥ {cut:.2f} s): {n_during} during the "
        f"import, {n_first} an app process's first after it, {len(slow) - n_during - n_first}"
        " other",
    ]


def _stop(procs: list[subprocess.Popen]) -> None:
    """Stop the app processes: politely, then for good after 30 s."""
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def _pause(text: str) -> tuple[float, float] | None:
    if text == "none":
        return None
    low, high = (float(x) for x in text.split("-"))
    return low, high


def add_load_options(ap: argparse.ArgumentParser) -> None:
    """The load test's options (this script's and pg_scale.py's load step)."""
    ap.add_argument("--duration", type=float, default=120, help="seconds of load")
    ap.add_argument("--users", type=int, default=12)
    ap.add_argument("--apps", type=int, default=3, help="app processes on the database")
    ap.add_argument("--single", type=int, default=20, help="changes timed for one user")
    ap.add_argument(
        "--single-browser", type=int, default=8, help="changes timed for one browser page"
    )
    ap.add_argument("--import-rows", type=int, default=20_000, help="rows imported under load")
    ap.add_argument(
        "--think", type=_pause, default=THINK, help="a user's think time, MIN-MAX seconds"
    )
    ap.add_argument(
        "--busy",
        type=_pause,
        default=BUSY,
        help="the pause of a second phase, MIN-MAX seconds ('none': no second phase)",
    )
    ap.add_argument(
        "--client", choices=("websocket", "browser"), default="websocket", help="the users"
    )
    ap.add_argument("--timeout", type=float, default=120, help="seconds before a change fails")


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=100_000, help="events imported first")
    add_load_options(ap)
    ap.add_argument("--csv", type=Path, help="the events file to import first (default: made)")
    ap.add_argument("--import-only", action="store_true", help="time the import and stop")
    ap.add_argument("--out", type=Path, help="also write the report (Markdown) here")
    ap.add_argument("--log", type=Path, help="write every change's time (JSON) here")
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

        got = load_test(args, url, tmp)
        for line in report_lines(args, got):
            say(line)
        if args.log:
            changes = {k: ph.get("changes", []) for k, ph in got["phases"].items()}
            changes["single"] = got["single"]
            args.log.write_text(json.dumps(changes, indent=0), encoding="utf-8")
    finally:
        server.stop()
        for f in tmp.glob("*.csv"):
            f.unlink()
        if args.out and lines:
            args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
