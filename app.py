"""ZoneWatch: the Map page, and the entry point (``streamlit run app.py``).

The other pages are the files in ``pages/`` (Streamlit's classic multipage layout); each,
like this one, starts with :func:`views.shell.page_setup`, so a direct link to any page
works on its own. The Map's body is ``views/map.py``.
"""

import runpy
from pathlib import Path

from geo.proj import configure_proj
from views.shell import page_setup

configure_proj()  # PROJ stays off the network (geo/proj.py)
page_setup("Map")
runpy.run_path(str(Path(__file__).parent / "views" / "map.py"), run_name="__main__")
