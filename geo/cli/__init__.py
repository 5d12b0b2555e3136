"""The command-line face of ZoneWatch, over the same ``geo`` functions as the pages.

Exit status: 0 on success, 2 on bad input (one line on stderr), 1 when the store cannot
be used. Never a traceback (set ``ZONEWATCH_DEBUG=1`` to see one).

Results are written all or nothing through :func:`geo.output.atomic_output` (the ``zones``
commands; ``-o/--output PATH`` or standard output): a command that fails prints no part of
its result and leaves the file named by ``--output`` as it was.

Start-up: pandas, GeoPandas and the store engines are imported by the commands that need
them, so ``--help`` answers at once, and a count with dates only is answered by the
GeoPackage's SQL without them (:mod:`geo.store.gpkg_sql`).

The commands, by group: :mod:`geo.cli.events` (``events``, ``import-events``),
:mod:`geo.cli.zones` (``zones ...``, ``import-zones``), :mod:`geo.cli.matches`
(``matches ...``), :mod:`geo.cli.store` (``backup``, ``restore``); what they share is in
:mod:`geo.cli.common`. ``--store PATH`` is passed to :func:`geo.store.open_store`; the
environment is read, never written.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from geo.cli import events, matches, store, zones
from geo.cli.common import AUTHOR_HELP, PROG, _Parser
from geo.errors import InputError, ZoneWatchError
from geo.proj import configure_proj


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="ZoneWatch: de-escalation zones, places and events.")
    p.add_argument("--store", help="path of the GeoPackage store (default: $ZONEWATCH_STORE)")
    p.add_argument("--author", help=AUTHOR_HELP)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    events.add_parsers(sub)
    matches.add_parsers(sub)
    store.add_parsers(sub)
    zones.add_parsers(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    configure_proj()  # PROJ stays off the network (geo/proj.py)
    try:
        args = _parser().parse_args(argv)
        commands = {
            "events": events._events,
            "import-events": events._cmd_import,
            "import-zones": zones._cmd_import_zones,
            "zones": zones._cmd_zones,
            "matches": matches._cmd_matches,
            "backup": store._cmd_backup,
            "restore": store._cmd_restore,
        }
        return commands[args.command](args)
    except InputError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except ZoneWatchError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing more to say.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback for users
        if os.environ.get("ZONEWATCH_DEBUG"):
            raise
        print(
            f"{PROG}: error: unexpected {exc.__class__.__name__}; "
            "run again with ZONEWATCH_DEBUG=1 for details and report it",
            file=sys.stderr,
        )
        return 1
