"""``python -m geo.cli``: the same as the ``zonewatch`` command."""

import sys

from geo.cli import main

sys.exit(main())
