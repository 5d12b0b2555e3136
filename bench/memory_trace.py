"""Where the app's memory peaks, page by page: ``bench/pages_scale.py``'s visit of every
page (and, unless ``--no-downloads``, both full downloads) with the server's
``/proc/PID/status`` sampled every 0.2 s (VmRSS and VmHWM), each sample labelled with the
step under way (the index load, a page's opening, its filter changes).

    uv run --locked --group bench python bench/memory_trace.py STORE.gpkg [--no-downloads] \
        [--out trace.json]

Prints, for each step, VmRSS at its start and end and the highest VmRSS seen during it, and
the VmHWM after it; ``--out`` keeps every sample.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pages_scale  # noqa: E402
from map_scale import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def _status(pid: int) -> tuple[float, float]:
    got = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            got[line[:5]] = int(line.split()[1]) / 1024
    return got.get("VmRSS", float("nan")), got.get("VmHWM", float("nan"))


class Tracer:
    """Samples the server's memory in a thread; :meth:`step` names what runs next."""

    def __init__(self):
        self.samples: list[tuple[float, str, float, float]] = []
        self.label = "start"
        self.pid: int | None = None
        self.t0 = time.perf_counter()
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def step(self, label: str) -> None:
        self.label = label
        print(f"[{time.perf_counter() - self.t0:7.1f} s] {label}", flush=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            if self.pid is None:
                continue
            try:
                rss, hwm = _status(self.pid)
            except OSError:
                continue
            self.samples.append((time.perf_counter() - self.t0, self.label, rss, hwm))

    def stop(self) -> None:
        self._stop.set()

    def summary(self) -> str:
        rows, order = {}, []
        for t, label, rss, hwm in self.samples:
            if label not in rows:
                order.append(label)
                rows[label] = {"from": rss, "max": rss, "to": rss, "hwm": hwm, "t": t}
            row = rows[label]
            row["max"] = max(row["max"], rss)
            row["to"], row["hwm"], row["end"] = rss, hwm, t
        out = ["| step | seconds | VmRSS at start | highest VmRSS | VmRSS at end | VmHWM after |",
               "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
        for label in order:
            r = rows[label]
            out.append(
                f"| {label} | {r.get('end', r['t']) - r['t']:.0f} | {r['from']:,.0f} MB | "
                f"{r['max']:,.0f} MB | {r['to']:,.0f} MB | {r['hwm']:,.0f} MB |"
            )
        return "\n".join(out)


def main(argv: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    store = Path(argv[0])
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
    tracer = Tracer()
    start_app, set_dates = pages_scale.start_app, pages_scale._set_dates

    def traced_start(*args, **kwargs):
        proc, url = start_app(*args, **kwargs)
        tracer.pid = proc.pid
        tracer.step("index load (first visit)")
        return proc, url

    def traced_dates(page, start, end, heading):
        tracer.step(f"{tracer.label.split(':')[0]}: dates {start} to {end}")
        return set_dates(page, start, end, heading)

    pages_scale.start_app = traced_start
    pages_scale._set_dates = traced_dates
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        original = browser.new_context
        visits = iter([*[p[0] for p in pages_scale.PAGES], "downloads"])

        def traced_context(*args, **kwargs):
            tracer.step(f"{next(visits, 'more')}: open")
            return original(*args, **kwargs)

        browser.new_context = traced_context
        result = None
        try:
            result = pages_scale.measure_pages(
                browser, store, downloads="--no-downloads" not in argv
            )
        finally:  # what was measured, even when a page failed
            browser.close()
            tracer.stop()
            print(json.dumps(result, indent=1))
            print(tracer.summary())
            if out:
                out.write_text(json.dumps({"result": result, "samples": tracer.samples}))


if __name__ == "__main__":
    main(sys.argv[1:])
