"""A Streamlit session without a browser: the app's own websocket protocol, spoken from
Python, so that a load test's simulated users cost the machine almost nothing and the load
measured is the servers'.

A browser page talks to ``streamlit run`` over one websocket, ``/_stcore/stream``, in the
protobufs of the installed ``streamlit`` package (``streamlit/proto``):

- the page sends a ``BackMsg`` whose ``rerun_script`` is a ``ClientState``: the query
  string, the page, and ``widget_states`` (each widget's id and value); the first one, with
  no widget states, is the page being opened;
- the server runs the page's script and answers with ``ForwardMsg``s: ``new_session`` (a
  run starts), one ``delta`` per element drawn (its place in the page is the message's
  ``metadata.delta_path``; a widget's element carries the widget's id), and
  ``script_finished`` (``FINISHED_SUCCESSFULLY`` when the run is done;
  ``FINISHED_EARLY_FOR_RERUN`` when the script asked for another run, which follows;
  ``FINISHED_FRAGMENT_RUN_SUCCESSFULLY`` when only a fragment ran: the Map's filter change,
  whose run sends only the map's part of the page).

:class:`Session` does that: :meth:`Session.open` loads the page, :meth:`Session.set_dates`
sets a date range widget found by its label, :meth:`Session.rerun` reruns the page with
any widget states; each waits for the run to finish and returns a :class:`Run`: the
seconds from the request sent to the run's ``script_finished`` and the elements the run
drew (by their place in the page; the widgets among them are noted by label). The session
reports no cached messages, so the server sends every element in full (a browser names
those it holds, and gets references to them instead).

Used by ``bench/pg_load.py`` (its simulated users); ``tests/test_st_session.py`` runs it
against a real app server.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

STREAM = "/_stcore/stream"


class ProtocolError(RuntimeError):
    """The server's answer was not a finished run (or not in time)."""


@dataclass
class Run:
    """What one request made the server do, up to the run that finished."""

    seconds: float  #: request sent → the finishing run's ``script_finished``
    elements: dict[tuple, object] = field(default_factory=dict)  #: delta path → Element
    reruns: int = 0  #: runs the script itself asked for on the way (``st.rerun``)
    #: the run was a fragment's alone (``FINISHED_FRAGMENT_RUN_SUCCESSFULLY``): a filter
    #: change on the Map reruns only the map's part, so only its elements came
    fragment: bool = False

    def of_type(self, kind: str) -> list:
        """The elements of one kind (an ``Element`` oneof name), in page order."""
        return [
            getattr(e, kind)
            for _, e in sorted(self.elements.items())
            if e.WhichOneof("type") == kind
        ]

    def markdown(self) -> list[str]:
        return [m.body for m in self.of_type("markdown")]

    def exceptions(self) -> list[str]:
        return [f"{e.type}: {e.message}" for e in self.of_type("exception")]

    def component(self, name: str):
        """The first instance of a custom component (``ComponentInstance``), or None."""
        found = [c for c in self.of_type("component_instance") if c.component_name == name]
        return found[0] if found else None


class Session:
    """One user's page of a Streamlit app, over the app's websocket."""

    def __init__(self, app_url: str, timeout: float = 120, query: str = ""):
        parts = urlsplit(app_url)
        self.ws_url = f"ws://{parts.netloc}{parts.path.rstrip('/')}{STREAM}"
        self.query, self.timeout = query, timeout
        self.ws = None
        self.widgets: dict[str, tuple[str, object]] = {}  #: label → (widget id, element)
        self.page_hash = ""

    async def open(self) -> Run:
        """Connect and load the page (a first run with no widget state)."""
        import websockets

        self.ws = await asyncio.wait_for(
            websockets.connect(
                self.ws_url, subprotocols=["streamlit"], max_size=None, compression=None
            ),
            self.timeout,
        )
        return await self.rerun()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def set_dates(self, label: str, start: date, end: date) -> Run:
        """Set a date range widget (``st.date_input`` with two dates) and wait for the run."""
        widget_id, _ = self.widgets[label]
        state = WidgetState(id=widget_id)
        state.string_array_value.data.extend([start.isoformat(), end.isoformat()])
        return await self.rerun([state])

    async def rerun(self, states: list[WidgetState] = ()) -> Run:
        """Rerun the page with ``states`` (none: as it is); wait for the run to finish."""
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_script_hash = self.page_hash
        msg.rerun_script.widget_states.widgets.extend(states)
        t = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        run = Run(seconds=0.0)
        deadline = t + self.timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise ProtocolError(f"no finished run within {self.timeout:.0f} s")
            try:
                data = await asyncio.wait_for(self.ws.recv(), left)
            except TimeoutError:
                raise ProtocolError(f"no finished run within {self.timeout:.0f} s") from None
            fwd = ForwardMsg()
            fwd.ParseFromString(data)
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = fwd.new_session.page_script_hash or self.page_hash
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                run.elements[tuple(fwd.metadata.delta_path)] = fwd.delta.new_element
            elif kind == "ref_hash":
                raise ProtocolError("the server sent a cached message's reference")
            elif kind == "script_finished":
                status = fwd.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    run.reruns += 1
                    continue
                run.fragment = status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
                if status != ForwardMsg.FINISHED_SUCCESSFULLY and not run.fragment:
                    raise ProtocolError(f"the run ended with status {status}")
                run.seconds = time.perf_counter() - t
                self._note_widgets(run)
                return run

    def _note_widgets(self, run: Run) -> None:
        for element in run.elements.values():
            kind = element.WhichOneof("type")
            inner = getattr(element, kind)
            label, widget_id = getattr(inner, "label", None), getattr(inner, "id", None)
            if label and widget_id and isinstance(widget_id, str):
                self.widgets[label] = (widget_id, inner)
