"""The command-line face of ZoneWatch, over the same ``geo`` functions as the pages.

Exit status: 0 on success, 2 on bad input (one line on stderr), 1 when the store cannot
be used. Never a traceback (set ``ZONEWATCH_DEBUG=1`` to see one).

Results are written all or nothing through :func:`geo.output.atomic_output` (the ``zones``
commands; ``-o/--output PATH`` or standard output): a command that fails prints no part of
its result and leaves the file named by ``--output`` as it was.

Start-up: pandas, GeoPandas and the store engines are imported by the commands that need
them, so ``--help`` answers at once, and a count with dates only is answered by the
GeoPackage's SQL without them (:mod:`geo.store.gpkg_sql`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date

from geo.errors import InputError, ZoneWatchError
from geo.output import atomic_output
from geo.vocabulary import EVENT_FORMATS, LOCATION_PRECISIONS, ZONE_STATUSES

PROG = "zonewatch"
AUTHOR_HELP = (
    "the name a write records as its author (default: the operating-system user); the "
    "history says which it was"
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise InputError(f"{message} (see '{self.prog} --help')")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="ZoneWatch: de-escalation zones, places and events.")
    p.add_argument("--store", help="path of the GeoPackage store (default: $ZONEWATCH_STORE)")
    p.add_argument("--author", help=AUTHOR_HELP)
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
    ev.add_argument("--actor", metavar="TEXT", help="text in actor 1 or actor 2 (any case)")
    ev.add_argument(
        "--min-fatalities", type=_whole, metavar="N", help="at least N deaths (best estimate)"
    )
    ev.add_argument(
        "--dataset",
        dest="datasets",
        action="append",
        metavar="NAME",
        help="dataset family, e.g. ucdp or acled (repeat for several)",
    )
    ev.add_argument(
        "--precision",
        dest="precisions",
        action="append",
        metavar="P",
        choices=tuple(LOCATION_PRECISIONS),
        help="location precision to keep (repeat for several)",
    )
    ev.add_argument(
        "--zone",
        dest="zones",
        action="append",
        metavar="NAME",
        help="inside this zone (id or part of its name; repeat for several): in the zone's "
        "version in force on the day the event began",
    )
    near = ev.add_mutually_exclusive_group()
    near.add_argument("--near", metavar="LAT,LON", help="within --km of this point")
    near.add_argument("--near-place", metavar="NAME", help="within --km of this place")
    ev.add_argument(
        "--km",
        type=_positive,
        default=None,
        metavar="R",
        help="radius for --near/--near-place in km (geodesic)",
    )
    ev.add_argument("--format", choices=("count", "csv", "geojson"), default="count")
    ev.add_argument(
        "--output",
        metavar="PATH",
        help="write the csv or geojson to this file (default: standard output); it is "
        "written whole or not at all",
    )

    imp = sub.add_parser("import-events", help="import a UCDP, ACLED or ZoneWatch event file")
    imp.add_argument("path", metavar="PATH")
    imp.add_argument(
        "--format",
        choices=EVENT_FORMATS,
        default=None,
        help="the file's format (default: detected from its header)",
    )
    imp.add_argument(
        "--dataset",
        default=None,
        metavar="NAME",
        help="dataset name for the events (default: ucdp, acled, or the file's)",
    )

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
        "--at",
        "--as-of",
        dest="as_of",
        metavar="YYYY-MM-DD",
        help="the versions in force on this date (default: today); ended zones are left out",
    )
    zexp.add_argument("--all-versions", action="store_true", help="every stored version")
    _output_option(zexp)
    _output_option(zsub.add_parser("list", help="list the zones: versions, status today, area"))
    zhist = zsub.add_parser("history", help="every version of one zone")
    zhist.add_argument("name", metavar="NAME", help="zone id or name")
    _output_option(zhist)
    zroll = zsub.add_parser(
        "rollback", help="add a new version equal to an old one (nothing is deleted)"
    )
    zroll.add_argument("name", metavar="NAME", help="zone id or name")
    zroll.add_argument("version", type=_whole, metavar="VERSION")
    zroll.add_argument("--valid-from", metavar="YYYY-MM-DD", help="default: today")
    zroll.add_argument("--note", default="", metavar="TEXT")

    zstats = zsub.add_parser(
        "stats",
        help="events and fatalities per zone, period and type (each event in the zone "
        "version in force on its date)",
    )
    zstats.add_argument(
        "--from",
        dest="start",
        metavar="YYYY-MM-DD",
        help="first day (events that start on it or later)",
    )
    zstats.add_argument(
        "--to",
        dest="end",
        metavar="YYYY-MM-DD",
        help="last day (events that start on it or earlier)",
    )
    zstats.add_argument("--by", choices=("week", "month"), default="month")
    zstats.add_argument(
        "--exclude-coarse",
        action="store_true",
        help="leave out events placed only at a governorate centroid or coarser",
    )
    zstats.add_argument("--format", choices=("csv", "json"), default="csv")
    _output_option(zstats)

    iz = sub.add_parser(
        "import-zones",
        help="check a boundary file and store its zones as new versions",
        description="Formats: GeoJSON, zipped Shapefile, GeoPackage, KML, KMZ. Nothing is "
        "stored if any feature is refused; each problem is one line on stderr (exit 2).",
    )
    iz.add_argument("path", metavar="PATH")
    iz.add_argument(
        "--zone",
        metavar="NAME",
        help="for a one-zone file: the zone (id or name) it is a new version of, or the "
        "name of a new zone",
    )
    iz.add_argument("--name-field", metavar="FIELD", help="the property holding zone names")
    iz.add_argument("--layer", metavar="NAME", help="the layer to read (GeoPackage, zip)")
    iz.add_argument("--valid-from", metavar="YYYY-MM-DD", help="default: today")
    iz.add_argument("--note", default="", metavar="TEXT")
    iz.add_argument("--status", choices=ZONE_STATUSES, default="proposed")
    iz.add_argument("--sources", default="", metavar="TEXT", help="where the boundary comes from")
    iz.add_argument("--swap-xy", action="store_true", help="read positions as latitude, longitude")
    iz.add_argument(
        "--rename",
        action="store_true",
        help="give existing zones the file's names (by default a new version keeps its "
        "zone's name)",
    )
    for writer in (imp, rs, zroll, iz):  # also accepted after the command
        writer.add_argument("--author", default=argparse.SUPPRESS, help=AUTHOR_HELP)
    return p


def _output_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="write to this file instead of standard output (replaced only on success)",
    )


def _use_store(path: str | None) -> None:
    """Point the configuration at ``--store PATH`` when given."""
    if path is not None:
        if not path.lower().endswith(".gpkg"):
            raise InputError(f"--store must name a .gpkg file, got '{os.path.basename(path)}'")
        os.environ["ZONEWATCH_STORE"] = path
        os.environ.pop("DATABASE_URL", None)  # --store names the embedded store


def _open_store(path: str | None, seed: bool = True):
    from geo.store import open_store

    _use_store(path)
    store = open_store(seed=seed)
    store.on_busy = _busy
    return store


def _busy(attempt: int, waited: float) -> None:
    if attempt == 1 or attempt % 20 == 0:
        print(
            f"{PROG}: the store is busy with another writer; retrying ({waited:.0f} s)",
            file=sys.stderr,
        )


def _whole(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be 0 or more")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not (0 < value < 5000):
        raise argparse.ArgumentTypeError(f"'{text}' must be between 0 and 5000 km")
    return value


def _latlon(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--near '{text}' is not LAT,LON, e.g. --near 35.95,39.01") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError(f"--near '{text}' is outside ±90/±180 degrees; is it LAT,LON?")
    return lat, lon


def _km2(value: float, digits: int = 1) -> str:
    """An area in km² as text, as everywhere (:func:`geo.zones.km2`)."""
    from geo.zones import km2

    return km2(value, digits=digits)


def _day(value) -> str:
    """A date as YYYY-MM-DD, or "" when it is missing (None, NaT)."""
    return "" if value is None or value != value else f"{value:%Y-%m-%d}"


def _events(args) -> int:
    """``events``: a count that the store's SQL answers alone, else :func:`_cmd_events`."""
    count = _quick_count(args)
    if count is None:
        return _cmd_events(args)
    print(count)
    return 0


def _quick_count(args) -> int | None:
    """``events --format count`` with at most --from/--to, counted by the GeoPackage's SQL
    (the engine's own date filter, :func:`geo.store.gpkg_sql.event_where`) without
    loading pandas; None when that cannot be the whole answer."""
    others = (
        args.types,
        args.actor,
        args.min_fatalities,
        args.datasets,
        args.precisions,
        args.zones,
        args.near,
        args.near_place,
        args.km,
    )
    if args.format != "count" or any(v is not None for v in others):
        return None
    from geo.filters import EventFilter, parse_date
    from geo.store import configured_gpkg_path
    from geo.store.gpkg_sql import count_events

    flt = EventFilter(
        start=parse_date(args.start, "--from") if args.start is not None else None,
        end=parse_date(args.end, "--to") if args.end is not None else None,
    )
    _use_store(args.store)
    path = configured_gpkg_path()
    return count_events(path, flt) if path is not None else None


def _cmd_events(args) -> int:
    import numpy as np

    from geo import stream
    from geo import zones as zone_rules
    from geo.eventindex import EventIndex
    from geo.filters import EventFilter, check_types, find_place, find_zones, parse_date

    flt_start = parse_date(args.start, "--from") if args.start is not None else None
    flt_end = parse_date(args.end, "--to") if args.end is not None else None
    if (args.near or args.near_place) and args.km is None:
        raise InputError("--near and --near-place need --km R, the radius in km")
    if args.km is not None and not (args.near or args.near_place):
        raise InputError("--km needs --near LAT,LON or --near-place NAME")
    if args.output is not None and args.format == "count":
        raise InputError("--output needs --format csv or --format geojson")
    point = _latlon(args.near) if args.near else None
    store = _open_store(args.store)
    summary = store.event_summary()
    types = check_types(args.types, summary.types) if args.types else None
    zones = store.zone_versions()  # the zone test takes each zone's version of the day
    if args.near_place:
        lat, lon, _ = find_place(store.places(), args.near_place)
        point = (lat, lon)
    flt = EventFilter(
        start=flt_start,
        end=flt_end,
        types=types,
        datasets=tuple(args.datasets) if args.datasets else None,
        actor=args.actor,
        min_fatalities=args.min_fatalities,
        precisions=tuple(args.precisions) if args.precisions else None,
        zones=find_zones(zone_rules.last_extent(zones), args.zones) if args.zones else None,
        near=(point[0], point[1], args.km) if point else None,
    )
    # The filters run on the events' compact columns; only the rows written are read in
    # full, a chunk at a time (constant memory), in the order they were stored.
    index = EventIndex.from_frame(store.event_columns())
    mask = index.mask(flt, zones)
    if args.format == "count":
        print(int(mask.sum()))
        return 0
    datasets = {index.datasets[c] for c in np.unique(index.dataset_code[mask]) if c >= 0}
    try:
        stream.to_path_or_stdout(store, index.fid[mask], args.format, args.output, datasets)
    except OSError as exc:
        if args.output in (None, "-"):
            raise
        raise InputError(
            f"cannot write '{os.path.basename(args.output)}' ({exc.strerror}); "
            "choose a file in a folder you can write to"
        ) from None
    return 0


def _cmd_zones(args) -> int:
    from geo import export
    from geo.filters import parse_date

    store_arg = args.store
    if args.zones_command == "list":
        return _zones_list(_open_store(store_arg), args.output)
    if args.zones_command == "history":
        return _zones_history(_open_store(store_arg), args.name, args.output)
    if args.zones_command == "rollback":
        return _zones_rollback(_open_store(store_arg), args)
    if args.zones_command == "stats":
        return _zones_stats(_open_store(store_arg), args)
    as_of = parse_date(args.as_of, "--at") if args.as_of is not None else None
    if as_of and args.all_versions:
        raise InputError("use either --at or --all-versions, not both")
    store = _open_store(store_arg)
    zones = store.zone_versions() if args.all_versions else store.zones(as_of=as_of)
    if as_of is not None and zones.empty:
        first = store.zone_versions()["valid_from"].min()
        print(
            f"{PROG}: no zone version was in force on {as_of.isoformat()}"
            + (f"; the first starts on {first:%Y-%m-%d}" if first == first else ""),
            file=sys.stderr,
        )
    collection = export.zones_geojson(zones)  # built whole first: an error prints nothing
    with atomic_output(args.output) as out:
        export.dump_json(collection, out)
    return 0


def _zone_id(versions, name: str) -> str:
    """The zone named by ``name``: its id, or its English or Arabic name (any case)."""
    key = name.strip().casefold()
    for col in ("zone_id", "name_en", "name_ar"):
        hits = versions.loc[versions[col].str.casefold() == key, "zone_id"].unique()
        if len(hits):
            return str(hits[0])
    known = ", ".join(sorted(versions["zone_id"].unique()))
    raise InputError(f"no zone '{name}'; the zones are: {known}")


def _zones_list(store, output: str | None) -> int:
    from geo import zones as zone_rules

    versions = store.zone_versions()
    today = {r.zone_id: r for r in store.zones().itertuples()}
    lines = ["zone_id\tversions\tlatest_valid_from\tstatus_today\tarea_km2\tname"]
    for zone_id, rows in versions.groupby("zone_id", sort=True):
        last = rows.sort_values(["valid_from", "version"]).iloc[-1]
        now = today.get(zone_id)
        status = (
            now.status if now is not None else ("ended" if last.status == "ended" else "not yet")
        )
        area = zone_rules.area_km2(now.geometry) if now is not None else 0.0
        name = last.name_en or last.name_ar
        lines.append(
            f"{zone_id}\t{len(rows)}\t{_day(last.valid_from)}\t{status}\t{_km2(area, 0)}\t{name}"
        )
    _write_lines(lines, output)
    return 0


def _write_lines(lines: list[str], output: str | None) -> None:
    with atomic_output(output) as out:
        out.writelines(line + "\n" for line in lines)


def _zones_history(store, name: str, output: str | None) -> int:
    from geo import zones as zone_rules

    versions = store.zone_versions()
    zone_id = _zone_id(versions, name)
    table = zone_rules.history(versions, zone_id)
    lines = [
        f"{zone_id}: {len(table)} versions",
        "version\tvalid_from\tstatus\tarea_km2\tadded_km2\tremoved_km2\tauthor\tsource_file\tnote",
    ]
    for r in table.itertuples():
        lines.append(
            f"{r.version}\t{_day(r.valid_from)}\t{r.status}\t{_km2(r.area_km2)}\t"
            f"{_km2(r.added_km2)}\t{_km2(r.removed_km2)}\t{r.author}\t{r.source_file}\t{r.note}"
        )
    _write_lines(lines, output)
    return 0


def _zones_stats(store, args) -> int:
    import json

    from geo.analysis import zone_counts
    from geo.filters import EventFilter, parse_date

    start = parse_date(args.start, "--from") if args.start else None
    end = parse_date(args.end, "--to") if args.end else None
    if start and end and end < start:
        raise InputError("--to is before --from; the end date must be on or after the start")
    events = store.events(EventFilter(start=start, end=end))
    # counted in the period of their start date: the events that start in the range
    table = zone_counts(
        events, store.zone_versions(), args.by, args.exclude_coarse, start=start, end=end
    )
    table["period"] = table["period"].dt.strftime("%Y-%m-%d")
    with atomic_output(args.output) as out:
        if args.format == "csv":
            table.to_csv(out, index=False, lineterminator="\n")
        else:
            json.dump(table.to_dict("records"), out, ensure_ascii=False, indent=1)
            out.write("\n")
    return 0


def _zones_rollback(store, args) -> int:
    from geo import zones as zone_rules
    from geo.filters import parse_date

    versions = store.zone_versions()
    zone_id = _zone_id(versions, args.name)
    valid_from = parse_date(args.valid_from, "--valid-from") if args.valid_from else date.today()
    row = zone_rules.rollback(
        versions,
        zone_id,
        args.version,
        valid_from=valid_from,
        author=_who(args),
        note=args.note,
    )
    (number,) = store.add_zone_version(row, who=_who(args))
    print(f"{zone_id}: version {number} added, equal to version {args.version}")
    return 0


def _cmd_import_zones(args) -> int:
    from pathlib import Path

    from geo import zones as zone_rules
    from geo.filters import parse_date
    from geo.uploads.zones import CLI, Limits, check_size, read_zone_file

    path = Path(args.path)
    if not path.is_file():
        raise InputError(f"'{args.path}' is not a file")
    limits = Limits.from_env()
    check_size(path.stat().st_size, path.name, limits)
    valid_from = parse_date(args.valid_from, "--valid-from") if args.valid_from else date.today()
    store = _open_store(args.store)
    versions = store.zone_versions()
    chosen, name = None, args.zone
    if args.zone:
        try:
            zone_id = _zone_id(versions, args.zone)
        except InputError:
            pass  # a new zone named --zone
        else:
            chosen = {1: zone_id}
            rows = versions[versions["zone_id"] == zone_id].sort_values("version")
            name = rows["name_en"].iloc[-1] or rows["name_ar"].iloc[-1] or args.zone
    upload = read_zone_file(
        path.read_bytes(),
        path.name,
        layer=args.layer,
        name_field=args.name_field,
        swap_xy=args.swap_xy,
        names={1: name} if name else None,
        limits=limits,
        wording=CLI,
    )
    if upload.needs_layer:
        raise InputError(
            f"'{path.name}' has {len(upload.layers)} layers ({', '.join(upload.layers)}); "
            "choose one with --layer NAME"
        )
    if args.zone and len(upload.features) > 1:
        raise InputError(
            f"--zone names one zone, but '{path.name}' has {len(upload.features)} features; "
            "use --name-field FIELD to take names from a property"
        )
    for warning in upload.warnings:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    if upload.refused:
        for f in upload.refused:
            print(
                f"{PROG}: refused: '{path.name}': {f.label}: {'; '.join(f.messages)}",
                file=sys.stderr,
            )
        print(f"{PROG}: nothing stored; fix the file and retry", file=sys.stderr)
        return 2
    targets = zone_rules.match(upload.accepted, versions, chosen)
    rename = {f.number for f in upload.accepted} if args.rename else set()
    if clashes := zone_rules.repeated(targets):
        for line in clashes:
            print(f"{PROG}: refused: '{path.name}': {line}", file=sys.stderr)
        print(f"{PROG}: nothing stored; fix the file and retry", file=sys.stderr)
        return 2
    rows = zone_rules.new_versions(
        upload.accepted,
        targets,
        versions,
        valid_from=valid_from,
        author=_who(args),
        note=args.note,
        status=args.status,
        sources=args.sources or path.name,
        method=f"Uploaded as {upload.format}"
        + (f" (layer {upload.layer})" if upload.layer else ""),
        rename=rename,
    )
    numbers = store.add_zone_version(
        rows, who=_who(args), file_name=path.name, sha256=upload.sha256
    )
    for f, t, n in zip(upload.accepted, targets, numbers, strict=True):
        change = (
            "new zone"
            if t.is_new
            else f"{_km2(t.diff.added_km2)} km² added, {_km2(t.diff.removed_km2)} km² removed"
        )
        kept = t.name_note(f.name, f.name_ar, f.number in rename)
        if kept and not rename:
            kept += "; give --rename to rename it"
        notes = [*f.messages, kept]
        extra = f" ({'; '.join(n for n in notes if n)})" if any(notes) else ""
        print(
            f"{t.zone_id}: version {n} from {valid_from.isoformat()}, "
            f"{_km2(f.area_km2)} km², {change}{extra}"
        )
    return 0


def _cmd_import(args) -> int:
    from pathlib import Path

    from geo.uploads import import_events

    path = Path(args.path)
    if not path.is_file():
        raise InputError(f"'{args.path}' is not a file")
    store = _open_store(args.store)

    def progress(fraction: float, rows: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{PROG}: reading... {fraction:4.0%} ({rows:,} rows)", end="", file=sys.stderr)

    def saving(done: int, total: int) -> None:
        if sys.stderr.isatty():
            share = done / max(total, 1)
            what = "indexing..." if done >= total else f"{done:,} of {total:,} events"
            print(f"\r{PROG}: saving... {share:4.0%} ({what})   ", end="", file=sys.stderr)

    report = import_events(
        store,
        path,
        fmt=args.format,
        dataset=args.dataset,
        who=_who(args),
        progress=progress,
        saving=saving,
        size_limit=False,  # a local file, read streamed: no upload limit
    )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(report.summary())
    print(f"format {report.format}, dataset {report.dataset}, version {report.version}")
    for problem in report.problems[:50]:
        print(f"skipped {problem}")
    if report.skipped > 50:
        print(f"... and {report.skipped - 50:,} more skipped rows")
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
    from geo.store.gpkg import GeoPackageStore

    GeoPackageStore.open_backup(source)  # refuse a wrong file before creating any store
    counts = _open_store(args.store, seed=False).restore(source, who=_who(args))
    print("restored: " + ", ".join(f"{k} +{v}" for k, v in counts.items()))
    return 0


def _who(args) -> str:
    """The author of a write: ``--author`` or the operating-system user, saying which."""
    from geo.auth import cli_identity

    return cli_identity(getattr(args, "author", None))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    try:
        args = _parser().parse_args(argv)
        commands = {
            "events": _events,
            "import-events": _cmd_import,
            "import-zones": _cmd_import_zones,
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
