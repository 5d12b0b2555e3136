"""PROJ's process-wide settings, applied by the entry points (``app.py``, the CLI's
``main``) and by the upload gate before it reads a file; never by importing a module.

Only the standard library is imported here, so the CLI starts without pyproj.
"""

from __future__ import annotations

import os
import sys


def configure_proj() -> None:
    """Keep PROJ off the network: it never fetches grids (or anything) from an address.

    Sets ``PROJ_NETWORK=OFF`` (read by pyproj when it is first imported, and by the PROJ
    inside GDAL) and, when pyproj is already loaded, switches its network off too.
    Calling it again changes nothing.
    """
    os.environ["PROJ_NETWORK"] = "OFF"
    if "pyproj" in sys.modules:
        from pyproj.network import set_network_enabled

        set_network_enabled(active=False)
