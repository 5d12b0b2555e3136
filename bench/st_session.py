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

Like a browser, a rerun request carries the value of every widget on the page, not only
of the one changed: each widget's value as the server last drew it (its default, or the
value the script set), the changed one's new value in its place. A widget left out would
be reset to its default by the server, and the Map's filter change, which reruns only the
map's part of the page (a fragment), needs every filter's value (without them the app
runs the whole page instead, a browser's change it is not).

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
        #: what the next request reports of each widget on the page (widget id → state)
        self.states: dict[str, WidgetState] = {}
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
        """Rerun the page with ``states`` in place of those widgets' values (none: as it
        is), every other widget's value sent as it is; wait for the run to finish."""
        sent = dict(self.states)
        for state in states:
            sent[state.id] = state
        self.states = sent
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_script_hash = self.page_hash
        msg.rerun_script.widget_states.widgets.extend(sent.values())
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
        """Note the run's widgets by label, and each one's value as the page now holds it:
        a whole run's widgets are the page's (those it did not draw are gone), a
        fragment's run redraws only its own."""
        if not run.fragment:
            self.states = {}
        for element in run.elements.values():
            kind = element.WhichOneof("type")
            inner = getattr(element, kind)
            label, widget_id = getattr(inner, "label", None), getattr(inner, "id", None)
            if label and widget_id and isinstance(widget_id, str):
                self.widgets[label] = (widget_id, inner)
                shown = widget_state(kind, inner)
                if shown is not None and (inner.set_value or widget_id not in self.states):
                    self.states[widget_id] = shown


def widget_state(kind: str, widget) -> WidgetState | None:
    """The value a browser reports for a widget it was sent (``kind``: its ``Element``
    oneof name): the value the script set, else the widget's default; None for a widget
    with no value yet (an empty text field, a selectbox with nothing chosen) and for
    kinds this client does not speak (buttons: a trigger, sent only when pressed)."""
    field, value = _shown(kind, widget)
    if value is None:
        return None
    state = WidgetState(id=widget.id)
    if field == "string_array_value":
        state.string_array_value.data.extend(value)
    else:
        setattr(state, field, value)
    return state


def _shown(kind: str, w) -> tuple[str | None, object]:
    """(the ``WidgetState`` field, the value) a browser reports for widget ``w``."""
    if kind == "checkbox":
        return "bool_value", w.value if w.set_value else w.default
    if kind == "date_input":
        return "string_array_value", list(w.value if w.set_value else w.default)
    if kind == "multiselect":
        chosen = w.raw_values if w.set_value else [w.options[i] for i in w.default]
        return "string_array_value", list(chosen)
    if kind in ("selectbox", "radio"):
        if w.set_value and _has(w, "raw_value"):
            return "string_value", w.raw_value
        return "string_value", w.options[w.default] if _has(w, "default") else None
    if kind in ("text_input", "number_input"):
        field = "string_value" if kind == "text_input" else "double_value"
        if w.set_value and _has(w, "value"):
            return field, w.value
        return field, w.default if _has(w, "default") else None
    return None, None


def _has(message, name: str) -> bool:
    """Whether an optional field is set (a field that is not optional always is)."""
    try:
        return message.HasField(name)
    except ValueError:
        return True
