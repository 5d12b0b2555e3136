"""``events`` (list or count events matching filters) and ``import-events``."""

from __future__ import annotations

import os
import sys

from geo.cli.common import (
    PROG,
    StageProgress,
    _author_option,
    _open_store,
    _positive,
    _store_path,
    _who,
    _whole,
)
from geo.errors import InputError
from geo.vocabulary import EVENT_FORMATS, LOCATION_PRECISIONS
from geo.wording import count


def add_parsers(sub) -> None:
    """The ``events`` and ``import-events`` commands."""
    ev = sub.add_parser("events", help="list or count events matching filters")
    add_filter_options(ev)
    ev.add_argument("--format", choices=("count", "csv", "geojson"), default="count")
    ev.add_argument(
        "--output",
        metavar="PATH",
        help="write the csv or geojson to this file (default: standard output); it is "
        "written whole or not at all",
    )
    add_dedupe_option(ev)

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
    _author_option(imp)


def add_dedupe_option(parser) -> None:
    """``--dedupe``: count each event once (from the stored matches)."""
    parser.add_argument(
        "--dedupe",
        action="store_true",
        help="count each event once: records of different datasets linked as one event by "
        "the stored matches ('zonewatch matches build'; rejected links left out, accepted "
        "ones kept) count as one, among the filtered events",
    )


#: What --dedupe, matches list and matches export say when nothing was built yet.
NO_BUILD = (
    "no matches built yet; run 'zonewatch matches build' (it stores the links that "
    "--dedupe, 'matches list' and 'matches export' read)"
)


def require_build(store) -> None:
    """Refuse with :data:`NO_BUILD` when the store holds no build of the matches."""
    from geo.matching.stored import has_build

    if not has_build(store):
        raise InputError(NO_BUILD)


def dedupe(store, index, mask):
    """``mask`` with each event counted once (:func:`geo.matching.stored.counted_mask`
    over the stored matches: what the pages count)."""
    from geo.matching.stored import counted_mask

    require_build(store)
    return counted_mask(store, index, mask)


def add_filter_options(ev) -> None:
    """The event filters of ``events`` (also taken by ``matches``)."""
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
    if args.format != "count" or args.dedupe or any(v is not None for v in others):
        return None
    from geo.filters import EventFilter, parse_date
    from geo.store import configured_gpkg_path
    from geo.store.gpkg_sql import count_events

    flt = EventFilter(
        start=parse_date(args.start, "--from") if args.start is not None else None,
        end=parse_date(args.end, "--to") if args.end is not None else None,
    )
    path = configured_gpkg_path(_store_path(args.store))
    return count_events(path, flt) if path is not None else None


def _cmd_events(args) -> int:
    import numpy as np

    from geo import stream

    if args.output is not None and args.format == "count":
        raise InputError("--output needs --format csv or --format geojson")
    if args.format != "count" and not args.dedupe and not _filtering(args):
        # Every event: its ids are read a chunk at a time as it is written, with no index
        # (constant memory at any number of events).
        store = _open_store(args.store)
        datasets = [d for d in store.event_summary().datasets if d is not None]
        return _write(store, stream.StoredFids.of(store), args, datasets)
    store = _open_store(args.store)
    from geo.store.pgquery import in_sql

    if in_sql(store):
        return _sql_events(store, args)
    store, index, mask = filtered_index(args, store)
    if args.dedupe:
        mask = dedupe(store, index, mask)
    if args.format == "count":
        print(int(mask.sum()))
        return 0
    datasets = {index.datasets[c] for c in np.unique(index.dataset_code[mask]) if c >= 0}
    return _write(store, index.fid[mask], args, datasets)


def _sql_events(store, args) -> int:
    """``events`` on PostGIS: the filter, the count and the row ids in SQL
    (:class:`geo.store.pgquery.PgEvents`; with --dedupe, :class:`geo.store.pgonce.OnceEvents`),
    with no event index: the same events as the in-memory path."""
    from geo.store.pgonce import OnceEvents
    from geo.store.pgquery import PgEvents

    flt, _ = event_filter(args, store)
    if args.dedupe:
        require_build(store)
    sql = OnceEvents(store) if args.dedupe else PgEvents(store)
    if args.format == "count":
        print(sql.count(flt))
        return 0
    return _write(store, sql.fids(flt), args, set(sql.datasets_present(flt)))


def _filtering(args) -> bool:
    """Does any option of :func:`add_filter_options` narrow the events?"""
    options = ("start", "end", "types", "actor", "min_fatalities", "datasets", "precisions",
               "zones", "near", "near_place", "km")  # fmt: skip
    return any(getattr(args, name) is not None for name in options)


def _write(store, fids, args, datasets) -> int:
    """The events ``fids`` written as ``args.format`` to ``args.output`` (or standard
    output), all or nothing."""
    from geo import stream

    try:
        stream.to_path_or_stdout(store, fids, args.format, args.output, datasets)
    except OSError as exc:
        if args.output in (None, "-"):
            raise
        raise InputError(
            f"cannot write '{os.path.basename(args.output)}' ({exc.strerror}); "
            "choose a file in a folder you can write to"
        ) from None
    return 0


def matching_progress():
    """The matcher's progress on stderr, on one line, when stderr is a terminal (as the
    import's); None otherwise."""
    if not sys.stderr.isatty():
        return None

    def progress(fraction: float, message: str) -> None:
        print(f"\r{PROG}: matching... {fraction:4.0%} ({message})\033[K", end="", file=sys.stderr)
        if fraction >= 1.0:
            print(file=sys.stderr)

    return progress


def filtered_index(args, store=None):
    """The store, its event index and the mask of the events the filter options keep
    (:func:`add_filter_options`)."""
    from geo.eventindex import EventIndex

    store = _open_store(args.store) if store is None else store
    flt, zones = event_filter(args, store)
    # The filters run on the events' compact columns; only the rows written are read in
    # full, a chunk at a time (constant memory), in the order they were stored.
    index = EventIndex.read(store)  # a batch at a time (EventIndex.from_frames)
    return store, index, index.mask(flt, zones)


def event_filter(args, store):
    """The :class:`geo.filters.EventFilter` of the filter options (checked against the
    store's types, zones and places), and the store's zone versions."""
    from geo import zones as zone_rules
    from geo.filters import EventFilter, check_types, find_place, find_zones, parse_date

    flt_start = parse_date(args.start, "--from") if args.start is not None else None
    flt_end = parse_date(args.end, "--to") if args.end is not None else None
    if (args.near or args.near_place) and args.km is None:
        raise InputError("--near and --near-place need --km R, the radius in km")
    if args.km is not None and not (args.near or args.near_place):
        raise InputError("--km needs --near LAT,LON or --near-place NAME")
    point = _latlon(args.near) if args.near else None
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
    return flt, zones


def _cmd_import(args) -> int:
    from pathlib import Path

    from geo.uploads import import_events

    path = Path(args.path)
    if not path.is_file():
        raise InputError(f"'{args.path}' is not a file")
    store = _open_store(args.store)

    shown = StageProgress()  # a line per tenth when stderr is not a terminal

    def progress(fraction: float, rows: int) -> None:
        shown("reading", fraction, count(rows, "row"))

    def saving(done: int, total: int) -> None:
        what = "indexing" if done >= total else f"{done:,} of {count(total, 'event')}"
        shown("saving", done / max(total, 1), what)

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
    shown.end()
    print(report.summary())
    print(f"format {report.format}, dataset {report.dataset}, version {report.version}")
    for problem in report.problems[:50]:
        print(f"skipped {problem}")
    if report.skipped > 50:
        print(f"... and {count(report.skipped - 50, 'more skipped row')}")
    return 0


def _latlon(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--near '{text}' is not LAT,LON, e.g. --near 35.95,39.01") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError(f"--near '{text}' is outside ±90/±180 degrees; is it LAT,LON?")
    return lat, lon
