"""Where a date change on the Map goes: one timeline per change, server and browser.

    uv run --locked --group bench python bench/map_trace.py STORE.gpkg   # or: floor

STORE.gpkg: a store whose events reach 31 Dec 2019, as bench/map_scale.py's stores do (the
date box refuses an end past the store's last event: on the shipped data, which end on
01 Dec 2019, no date change happens, and each change says so).

Not part of ``make bench`` (it measures nothing the tables report): a diagnostic. It runs
the app (or the floor, ``bench/floor_app.py``) with ``app.py`` wrapped so that the server
logs, in wall-clock milliseconds: each rerun request, the end of each top-level statement
of ``views/map.py`` (with the script thread's CPU time so far), the start, the end of each
statement and the end of the Map's fragment (``map_body``, with its CPU time since its
start), each message enqueued and written to the websocket (type, bytes) and every
collection of the garbage collector's oldest generation over 1 ms. In the browser it marks
each websocket message received, each render message the map's iframe gets, and the
moment the map's key changes (the
redraw :mod:`map_scale` waits for; for the floor, its label). A date change reruns only
the Map's fragment: its lines are ``fragment map_body ...`` and ``map_body:LINE``, and no
``script start``/``script end`` nor ``map.py:LINE`` lines come (those are a whole run's:
the first visit, or a change the fragment hands to the whole page). It then types the three
date changes of :data:`map_scale.CHANGES` as :meth:`map_scale.AppPage.set_dates` does and
prints every event relative to the commit click.
"""

from __future__ import annotations

import ast
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
import sys
sys.path.insert(0, os.environ["ZW_ROOT"] + "/bench")
from map_trace import mark_steps
tree = mark_steps(ast.parse(path.read_text()), cpu0)
try:
    code = compile(tree, str(path), "exec")
    exec(code, {"__name__": "__main__", "__T": T, "__file__": str(path)})
finally:
    T(f"script end (cpu {(time.thread_time() - cpu0) * 1000:.1f} ms)")
"""


def _mark(text: str) -> ast.stmt:
    return ast.parse(text).body[0]


def _cpu_ms(since: str) -> str:
    return f"str(round((__import__('time').thread_time() - {since}) * 1000, 1))"


def _is_fragment(node: ast.stmt) -> bool:
    """Whether ``node`` is a function decorated ``@st.fragment`` (with or without arguments)."""
    if not isinstance(node, ast.FunctionDef):
        return False
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Attribute | ast.Name) and "fragment" in ast.unparse(target):
            return True
    return False


def _mark_fragment(node: ast.FunctionDef) -> None:
    """The fragment's own marks, in its body: a fragment's rerun (a date change) runs only
    this function, so the script's top-level marks never come then. Its start, the end of
    each of its statements and its end (a ``finally``: a ``st.rerun()`` or ``st.stop()``
    inside ends it too), with the CPU time since its start."""
    name = node.name
    body = list(node.body)
    docstring = body[:1] if ast.get_docstring(node) is not None else []
    marked = []
    for stmt in body[len(docstring) :]:
        marked.append(stmt)
        marked.append(_mark(f"__T('{name}:{stmt.lineno} (cpu ' + {_cpu_ms('_zw_cpu0')} + ' ms)')"))
    ended = _mark(
        f"try:\n    pass\nfinally:\n"
        f"    __T('fragment {name} end (cpu ' + {_cpu_ms('_zw_cpu0')} + ' ms)')"
    )
    ended.body = marked
    node.body = [
        *docstring,
        _mark("_zw_cpu0 = __import__('time').thread_time()"),
        _mark(f"__T('fragment {name} start')"),
        ended,
    ]


def mark_steps(tree: ast.Module, cpu0: float) -> ast.Module:
    """``views/map.py``'s tree with a mark (``__T``) after each top-level statement, with
    the script thread's CPU time since ``cpu0``, and inside each ``st.fragment`` function
    (see :func:`_mark_fragment`)."""
    body = []
    for i, node in enumerate(tree.body):
        if _is_fragment(node):
            _mark_fragment(node)
        body.append(node)
        if i >= 2:  # after the docstring and the __future__ import
            body.append(
                _mark(f"__T('map.py:{node.lineno} (cpu ' + {_cpu_ms(repr(cpu0))} + ' ms)')")
            )
    tree.body = body
    return ast.fix_missing_locations(tree)


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
                if len(events) == 1:
                    print(f"nothing came in 2 s: the dates typed were refused? (the store's "
                          f"events must reach {end}; see the module's docstring)")  # fmt: skip
                for ts, what in sorted(events, key=lambda e: e[0]):  # same time: as logged
                    print(f"{ts - click:8.1f}  {what}")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
