"""The command-line face of ZoneWatch, over the same ``geo`` functions as the pages.

Exit status: 0 on success, 2 on bad input (one line on stderr), 1 when the store cannot
be used. Never a traceback (set ``ZONEWATCH_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from geo import export, shipped
from geo.errors import InputError, ZoneWatchError
from geo.filters import EventFilter, check_types, parse_date

PROG = "zonewatch"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise InputError(f"{message} (see '{self.prog} --help')")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="ZoneWatch: de-escalation zones, places and events.")
    p.add_argument("--store", help="path of the GeoPackage store (default: $ZONEWATCH_STORE)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ev = sub.add_parser("events", help="list or count events matching filters")
    ev.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day")
    ev.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day")
    ev.add_argument(
        "--type",
        dest="types",
        action="append",
        metavar="TYPE",
        help="event type (repeat for several), e.g. 'State-based conflict'",
    )
    ev.add_argument("--format", choices=("count", "csv", "geojson"), default="count")

    bk = sub.add_parser("backup", help="write the whole store to one new GeoPackage file")
    bk.add_argument("path", metavar="PATH.gpkg")
    rs = sub.add_parser(
        "restore", help="load a backup into the store (adds what is missing; never overwrites)"
    )
    rs.add_argument("path", metavar="PATH.gpkg")

    zones = sub.add_parser("zones", help="work with zone boundaries")
    zsub = zones.add_subparsers(dest="zones_command", required=True, parser_class=_Parser)
    zexp = zsub.add_parser("export", help="write the zones as GeoJSON to standard output")
    zexp.add_argument("--format", choices=("geojson",), default="geojson")
    zexp.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="the versions in force on this date (default: the latest)",
    )
    zexp.add_argument("--all-versions", action="store_true", help="every stored version")
    return p


def _open_store(path: str | None, seed: bool = True):
    from geo.store import open_store

    if path is not None:
        if not path.lower().endswith(".gpkg"):
            raise InputError(f"--store must name a .gpkg file, got '{os.path.basename(path)}'")
        os.environ["ZONEWATCH_STORE"] = path
        os.environ.pop("DATABASE_URL", None)  # --store names the embedded store
    store = open_store(seed=seed)
    store.on_busy = _busy
    return store


def _busy(attempt: int, waited: float) -> None:
    if attempt == 1 or attempt % 20 == 0:
        print(
            f"{PROG}: the store is busy with another writer; retrying ({waited:.0f} s)",
            file=sys.stderr,
        )


def _cmd_events(args) -> int:
    flt_start = parse_date(args.start, "--from") if args.start is not None else None
    flt_end = parse_date(args.end, "--to") if args.end is not None else None
    store = _open_store(args.store)
    types = check_types(args.types, store.event_summary().types) if args.types else None
    shown = store.events(EventFilter(start=flt_start, end=flt_end, types=types))
    if args.format == "count":
        print(len(shown))
    elif args.format == "csv":
        export.events_csv(shown, sys.stdout)
    else:
        export.dump_json(export.events_geojson(shown, shipped.ATTRIBUTION), sys.stdout)
    return 0


def _cmd_zones(args) -> int:
    as_of = parse_date(args.as_of, "--as-of") if args.as_of is not None else None
    if as_of and args.all_versions:
        raise InputError("use either --as-of or --all-versions, not both")
    store = _open_store(args.store)
    zones = store.zone_versions() if args.all_versions else store.zones(as_of=as_of)
    if as_of is not None and zones.empty:
        first = store.zone_versions()["valid_from"].min()
        print(
            f"{PROG}: no zone version was in force on {as_of.isoformat()}"
            + (f"; the first starts on {first:%Y-%m-%d}" if first == first else ""),
            file=sys.stderr,
        )
    export.dump_json(export.zones_geojson(zones), sys.stdout)
    return 0


def _cmd_backup(args) -> int:
    from pathlib import Path

    target = Path(args.path)
    if target.suffix.lower() != ".gpkg":
        raise InputError(f"the backup must be a .gpkg file, got '{target.name}'")
    if target.exists():
        raise InputError(f"'{target.name}' exists already; choose a new file name")
    counts = _open_store(args.store).backup(target)
    print(f"backup written to {target}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def _cmd_restore(args) -> int:
    from pathlib import Path

    source = Path(args.path)
    if not source.is_file():
        raise InputError(f"'{args.path}' is not a file; give the path of a ZoneWatch backup")
    counts = _open_store(args.store, seed=False).restore(source, who=os.environ.get("USER", ""))
    print("restored: " + ", ".join(f"{k} +{v}" for k, v in counts.items()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    try:
        args = _parser().parse_args(argv)
        commands = {
            "events": _cmd_events,
            "zones": _cmd_zones,
            "backup": _cmd_backup,
            "restore": _cmd_restore,
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


if __name__ == "__main__":
    sys.exit(main())
