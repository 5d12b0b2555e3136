"""Issue 14: the first page with a chart does not wait for the charts' library. Once the
events are indexed (the first visit), altair is imported in the background; the Map page
itself never needs it."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

CODE = r"""
import sys, time
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=300)
at.run()
assert not at.exception, at.exception
deadline = time.time() + 60
while "altair" not in sys.modules and time.time() < deadline:
    time.sleep(0.05)
print("altair" in sys.modules)
"""


def test_the_charts_library_is_loaded_in_the_background_after_the_first_visit(store_env):
    out = subprocess.run(
        [sys.executable, "-c", CODE, str(ROOT / "app.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "True"
