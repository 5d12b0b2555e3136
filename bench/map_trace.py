"""Where a date change on the Map goes: one timeline per change, server and browser.

    uv run --locked --group bench python bench/map_trace.py STORE.gpkg   # or: floor

Not part of ``make bench`` (it measures nothing the tables report): a diagnostic. It runs
the app (or the floor, ``bench/floor_app.py``) with ``app.py`` wrapped so that the server
logs, in wall-clock milliseconds: each rerun request, the end of each top-level statement
of ``views/map.py`` (with the script thread's CPU time so far), each message enqueued and
written to the websocket (type, bytes) and every collection of the garbage collector's
oldest generation over 1 ms. In the browser it marks each websocket message received,
each render message the map's iframe gets, and the moment the map's key changes (the
redraw :mod:`map_scale` waits for; for the floor, its label). A date change reruns only
the Map's fragment (``map_body`` in ``views/map.py``): its steps are not marked one by one,
and the script's start and end are those of full runs only. It then types the three
date changes of :data:`map_scale.CHANGES` as :meth:`map_scale.AppPage.set_dates` does and
prints every event relative to the commit click.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import map_scale as M  # noqa: E402

#: ``app.py`` with a log of the server's steps (see the module docstring).
TRACED_APP = r"""
import ast, gc, os, time
from pathlib import Path
LOG = os.environ["ZW_TRACE_LOG"]
def T(label):
    with open(LOG, "a") as f:
        f.write(f"{time.time() * 1000:.1f} {label}\n")
from streamlit.runtime import app_session as AS
from streamlit.web.server.starlette import starlette_websocket as SW
if not getattr(AS.AppSession, "_zw_traced", False):
    AS.AppSession._zw_traced = True
    handle, enqueue = AS.AppSession.handle_backmsg, AS.AppSession._enqueue_forward_msg
    def traced_handle(self, msg):
        T("backmsg " + str(msg.WhichOneof("type")))
        return handle(self, msg)
    def traced_enqueue(self, msg):
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            kind += " " + str(msg.delta.new_element.WhichOneof("type"))
        T(f"enqueue {kind} {msg.ByteSize()} B")
        return enqueue(self, msg)
    AS.AppSession.handle_backmsg = traced_handle
    AS.AppSession._enqueue_forward_msg = traced_enqueue
    clients = [c for c in vars(SW).values() if hasattr(c, "write_forward_msg")]
    for cls in [c for c in clients if isinstance(c, type)]:
        def traced_write(self, msg, _write=cls.write_forward_msg):
            T(f"written {msg.WhichOneof('type')} {msg.ByteSize()} B")
            return _write(self, msg)
        cls.write_forward_msg = traced_write
    began = {}
    def on_gc(phase, info):
        if phase == "start":
            began["t"] = time.perf_counter()
        elif info["generation"] == 2 and (ms := (time.perf_counter() - began["t"]) * 1000) > 1:
            T(f"GC of the oldest generation: {ms:.1f} ms")
    gc.callbacks.append(on_gc)
T("script start")
cpu0 = time.thread_time()
from geo.proj import configure_proj
from views.shell import page_setup
configure_proj()
page_setup("Map")
T(f"page_setup done (cpu {(time.thread_time() - cpu0) * 1000:.1f} ms)")
path = Path(os.environ["ZW_ROOT"]) / "views" / "map.py"
tree = ast.parse(path.read_text())
body = []
for i, node in enumerate(tree.body):
    body.append(node)
    if i >= 2:  # after the docstring and the __future__ import
        body.append(ast.parse(
            f"__T('map.py:{node.lineno} (cpu ' + str(round((__import__('time').thread_time()"
            f" - {cpu0!r}) * 1000, 1)) + ' ms)')").body[0])
tree.body = body
ast.fix_missing_locations(tree)
try:
    code = compile(tree, str(path), "exec")
    exec(code, {"__name__": "__main__", "__T": T, "__file__": str(path)})
finally:
    T(f"script end (cpu {(time.thread_time() - cpu0) * 1000:.1f} ms)")
"""

#: Marks in every frame of the page: websocket messages, render messages, the redraw.
MARKS = (Path(__file__).with_name("map_trace_marks.js")).read_text()


def main() -> None:
    from playwright.sync_api import sync_playwright

    target = sys.argv[1]
    tmp = Path(tempfile.mkdtemp(prefix="zw-trace-"))
    log = tmp / "server.log"
    log.write_text("")
    os.environ.update(ZW_TRACE_LOG=str(log), ZW_ROOT=str(ROOT))
    for name in ("static", "pages"):
        (tmp / name).symlink_to(ROOT / name)
    if target == "floor":
        (tmp / "floor_app.py").write_text((ROOT / "bench/floor_app.py").read_text())
        store, script = None, tmp / "floor_app.py"
    else:
        (tmp / "app.py").write_text(TRACED_APP)  # named app.py: the pages link to it
        store, script = Path(target), tmp / "app.py"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=M.CHROMIUM, args=M.CHROMIUM_ARGS)
        proc, url = M.start_app(store, str(script))
        try:
            M.AppPage(browser, url).close()  # a first visit
            p = M.AppPage(browser, url)
            p.ctx.add_init_script(MARKS)
            p.page.reload()
            time.sleep(6)
            for start, end in M.CHANGES:
                if store:
                    p.settle()
                else:
                    time.sleep(1.5)
                log.write_text("")
                for frame in (p.page.main_frame, p.frame()):
                    frame.evaluate("() => window.__zwMarks && (window.__zwMarks.length = 0)")
                p.set_dates(start, end)
                click = time.time() * 1000
                time.sleep(2.0)
                events = [(click, "commit click returned")]
                for frame in (p.page.main_frame, p.frame()):
                    events += [tuple(m) for m in frame.evaluate("() => window.__zwMarks || []")]
                for line in log.read_text().splitlines():
                    ts, what = line.split(" ", 1)
                    events.append((float(ts), "server: " + what))
                print(f"=== date change to {start} .. {end} (ms from the commit click)")
                for ts, what in sorted(events):
                    print(f"{ts - click:8.1f}  {what}")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
