"""What a date change on the Map page costs the server besides its answer: no spinner's
timer thread for the quick cached steps (the filter's mask, the map's view, the zones of
a date), whose start costs milliseconds of a busy server on every change."""

from __future__ import annotations

import threading
from datetime import date

import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT


class _CountedTimer(threading.Timer):
    started = 0

    def start(self):
        type(self).started += 1
        super().start()


def test_a_date_change_starts_no_spinner_timer(store_env, monkeypatch):
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    monkeypatch.setattr(threading, "Timer", _CountedTimer)  # the spinner's delay timer
    for start, end in (
        (date(2017, 3, 1), date(2019, 12, 31)),
        (date(2017, 3, 1), date(2018, 6, 30)),
    ):
        at.sidebar.date_input[0].set_value((start, end))  # a new start, then a new end
        at.run()
        assert not at.exception, at.exception
    assert _CountedTimer.started == 0
