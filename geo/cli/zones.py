"""``zones`` (export, list, history, rollback, stats) and ``import-zones``."""

from __future__ import annotations

import sys
from datetime import date

from geo.cli.common import (
    PROG,
    _author_option,
    _day,
    _km2,
    _open_store,
    _output_option,
    _Parser,
    _who,
    _whole,
    _write_lines,
    _zone_id,
)
from geo.cli.events import add_dedupe_option
from geo.errors import InputError
from geo.output import atomic_output
from geo.vocabulary import ZONE_STATUSES
from geo.wording import count


def add_parsers(sub) -> None:
    """The ``zones`` command group and ``import-zones``."""
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
    _author_option(zroll)

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
    add_dedupe_option(zstats)
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
    iz.add_argument(
        "--allow-identical",
        action="store_true",
        help="store a zone even when its boundary and name are those of the zone's current "
        "version (by default such a file stores nothing: a re-run is a no-op)",
    )
    _author_option(iz)


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


def _zones_history(store, name: str, output: str | None) -> int:
    from geo import zones as zone_rules

    versions = store.zone_versions()
    zone_id = _zone_id(versions, name)
    table = zone_rules.history(versions, zone_id)
    lines = [
        f"{zone_id}: {count(len(table), 'version')}",
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

    import pandas as pd

    from geo.analysis import zone_counts
    from geo.filters import EventFilter, parse_date
    from geo.store.pgquery import in_sql

    start = parse_date(args.start, "--from") if args.start else None
    end = parse_date(args.end, "--to") if args.end else None
    if start and end and end < start:
        raise InputError("--to is before --from; the end date must be on or after the start")
    flt = EventFilter(start=start, end=end)
    if in_sql(store):  # PostGIS: counted in SQL, no event read here
        table = _sql_zone_counts(store, flt, args.by, args.exclude_coarse, args.dedupe)
    else:
        if args.dedupe:
            from geo.cli.events import dedupe
            from geo.eventindex import EventIndex

            index = EventIndex.read(store)  # a batch at a time: never the joined frame
            keep = dedupe(store, index, index.mask(flt))
            events = store.events_by_fids(index.fid[keep]).reset_index(drop=True)
        else:
            events = store.events(flt)
        # counted in the period of their start date: the events that start in the range
        table = zone_counts(
            events, store.zone_versions(), args.by, args.exclude_coarse, start=start, end=end
        )
    # (to_datetime: a range with no event in any zone gives an empty, untyped column)
    table["period"] = pd.to_datetime(table["period"]).dt.strftime("%Y-%m-%d")
    with atomic_output(args.output) as out:
        if args.format == "csv":
            table.to_csv(out, index=False, lineterminator="\n")
        else:
            json.dump(table.to_dict("records"), out, ensure_ascii=False, indent=1)
            out.write("\n")
    return 0


def _sql_zone_counts(store, flt, freq: str, exclude_coarse: bool, dedupe: bool):
    """:func:`geo.analysis.zone_counts` of the events ``flt`` selects (each counted once
    with ``dedupe``, chosen among all of them as the in-memory path does; the coarse ones
    left out after) counted in SQL on PostGIS: each zone's timeline
    (:meth:`geo.store.pgquery.PgEvents.timeline`, the zone's version in force on each
    event's start date), its periods and types with events."""
    import dataclasses

    import pandas as pd

    from geo.analysis import COARSE
    from geo.store.pgquery import PgEvents
    from geo.store.pgwhere import Where

    columns = ["zone_id", "period", "event_type", "events", "fatalities"]
    sql = PgEvents(store)
    also = Where("TRUE", ())
    if dedupe:
        from geo.cli.events import require_build
        from geo.store.pgonce import OnceEvents

        require_build(store)
        dropped = [int(f) for f in OnceEvents(store).dropped(flt)]
        also = also & Where("NOT (e.fid = ANY(%s::bigint[]))", (dropped,))
    if exclude_coarse:
        also = also & Where(
            "e.location_precision IS NULL OR NOT (e.location_precision = ANY(%s))",
            (sorted(COARSE),),
        )
    types = sorted(sql.types)
    parts = []
    for zone_id in sorted(set(store.zone_versions()["zone_id"])):
        zflt = dataclasses.replace(flt, zones=(zone_id,))
        counted = sql.timeline(zflt, freq, flt.start, flt.end, types, also)[0]
        counted = counted[counted["events"] > 0]
        if len(counted):
            counted.insert(0, "zone_id", zone_id)
            parts.append(counted[columns])
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


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


def _print_saved(saved, plan, valid_from: date) -> None:
    """One line per version stored."""
    for s in saved:
        f, t = s.feature, s.target
        change = (
            "new zone"
            if t.is_new
            else f"{_km2(t.diff.added_km2)} km² added, {_km2(t.diff.removed_km2)} km² removed"
        )
        kept = t.name_note(f.name, f.name_ar, f.number in plan.rename)
        if kept and not plan.rename:
            kept += "; give --rename to rename it"
        notes = [*f.messages, kept]
        extra = f" ({'; '.join(n for n in notes if n)})" if any(notes) else ""
        print(
            f"{t.zone_id}: version {s.version} from {valid_from.isoformat()}, "
            f"{_km2(f.area_km2)} km², {change}{extra}"
        )


def _identical(plan, file_name: str, allowed: bool) -> int | None:
    """The exit code when the file would store versions identical to their zones' current
    ones and --allow-identical was not given (each named on stderr), else None."""
    if not (same := plan.identical) or allowed:
        return None
    for line in same:
        print(f"{PROG}: identical: '{file_name}': {line}", file=sys.stderr)
    print(
        f"{PROG}: nothing stored; give --allow-identical to store "
        + ("it" if len(same) == 1 else "them")
        + " as new versions anyway",
        file=sys.stderr,
    )
    # A re-run of the same file is a no-op (exit 0); a file that also changes other zones
    # is all or nothing, as for a refusal (exit 2).
    return 0 if len(same) == len(plan.targets) else 2


def _cmd_import_zones(args) -> int:
    from pathlib import Path

    from geo import zone_workflow
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
    rename = {f.number for f in upload.accepted} if args.rename else ()
    plan = zone_workflow.plan(upload, versions, chosen, rename)
    if refusals := plan.refusals():
        for line in refusals:
            print(f"{PROG}: refused: '{path.name}': {line}", file=sys.stderr)
        print(f"{PROG}: nothing stored; fix the file and retry", file=sys.stderr)
        return 2
    if (skip := _identical(plan, path.name, args.allow_identical)) is not None:
        return skip
    user = _who(args)
    saved = zone_workflow.save(
        store,
        plan,
        versions,
        valid_from=valid_from,
        author=user,
        note=args.note,
        status=args.status,
        sources=args.sources,
        who=user,
        allow_identical=args.allow_identical,
    )
    _print_saved(saved, plan, valid_from)
    return 0
