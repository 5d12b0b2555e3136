"""``matches`` (build, list, export, decide, history): the records of different datasets
that likely describe the same event, found by :mod:`geo.matching` and kept in the store
(:mod:`geo.matching.stored`).

``matches build`` runs the matcher over every stored event and stores its links (replacing
the previous build's; the decisions stay). ``matches list`` and ``matches export`` read the
stored links, with the decision in force on each, among the events the filters keep.
``matches decide`` accepts or rejects a link (a new version of its decision, never lost);
``matches history`` shows every version. ``--dedupe`` (events, zones stats) counts from the
same stored links (:func:`geo.matching.stored.counted_mask`).
"""

from __future__ import annotations

import sys

from geo.cli.common import PROG, _author_option, _open_store, _output_option, _Parser, _who, _whole
from geo.cli.events import add_filter_options, filtered_index, matching_progress, require_build
from geo.output import atomic_output
from geo.wording import count


def add_parsers(sub) -> None:
    """The ``matches`` command group."""
    matches = sub.add_parser(
        "matches",
        help="records of different datasets that likely describe the same event",
    )
    msub = matches.add_subparsers(dest="matches_command", required=True, parser_class=_Parser)
    build = msub.add_parser(
        "build",
        help="match every stored event and store the links (replacing the previous "
        "build's; decisions stay)",
    )
    _author_option(build)
    export = msub.add_parser(
        "export",
        help="write the stored links among the events the filters keep, with their "
        "decisions (CSV or JSON)",
    )
    add_filter_options(export)
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    _output_option(export)
    listing = msub.add_parser(
        "list",
        help="print the best and the doubtful stored links among the events the filters keep",
    )
    add_filter_options(listing)
    listing.add_argument(
        "--limit", type=_whole, default=10, metavar="N", help="links in each part (default 10)"
    )
    decide = msub.add_parser(
        "decide",
        help="accept or reject a link (a new version of its decision; earlier ones are kept)",
    )
    decide.add_argument("link_key", metavar="LINK_KEY", help="e.g. acled:SYR123|ucdp:456")
    decide.add_argument("decision", choices=("accept", "reject"))
    decide.add_argument("--note", default="", metavar="TEXT", help="why (kept with it)")
    _author_option(decide)
    history = msub.add_parser("history", help="every decision on a link, oldest first")
    history.add_argument("link_key", metavar="LINK_KEY")


def _cmd_matches(args) -> int:
    command = args.matches_command
    if command == "build":
        return _build(args)
    if command in ("decide", "history"):
        store = _open_store(args.store)
        return _decide(store, args) if command == "decide" else _history(store, args.link_key)
    table, total, counted = _links(args)
    if command == "list":
        return _list(table, total, counted, args.limit)
    return _export(table, total, counted, args)


def _build(args) -> int:
    from geo.matching import stored

    store = _open_store(args.store)
    summary = stored.build(store, _who(args), progress=matching_progress())
    print(
        f"stored {count(summary['links'], 'link')} among {count(summary['events'], 'event')} "
        f"in {summary['seconds']:.1f} s (build {summary['build_id']})"
    )
    return 0


def _links(args):
    """The stored links among the filtered events, their number and the count-once total."""
    from geo.matching import stored

    store, index, mask = filtered_index(args)
    require_build(store)
    table = stored.link_table(store, index, mask)
    counted = int(stored.counted_mask(store, index, mask).sum())
    return table, int(mask.sum()), counted


def _summary(table, total: int, counted: int) -> str:
    decided = {d: int((table["decision"] == d).sum()) for d in ("accept", "reject")}
    return (
        f"{count(len(table), 'link')} ({int(table['kept'].sum()):,} kept in groups; "
        f"{decided['accept']:,} accepted, {decided['reject']:,} rejected) among "
        f"{count(total, 'event')}; counted once: {counted:,}"
    )


def _export(table, total: int, counted: int, args) -> int:
    import json

    with atomic_output(args.output) as out:
        if args.format == "csv":
            table.to_csv(out, index=False, lineterminator="\n")
        else:
            rows = table.astype(object).where(table.notna(), None).to_dict("records")
            for row in rows:
                row["reasons"] = [r for r in str(row["reasons"] or "").split("; ") if r]
            json.dump(rows, out, ensure_ascii=False, indent=1, default=_plain)
            out.write("\n")
    print(f"{PROG}: {_summary(table, total, counted)}", file=sys.stderr)
    return 0


def _plain(value):
    """numpy scalars as JSON numbers and booleans."""
    return value.item()


def _list(table, total: int, counted: int, limit: int) -> int:
    from geo.matching.dedupe import best_and_doubtful

    best, doubtful = best_and_doubtful(table, limit)
    lines = [_summary(table, total, counted)]
    for title, part in (("best", best), ("doubtful", doubtful)):
        if part.empty:
            continue
        lines += ["", f"{title} ({len(part)} of {len(table):,}):"]
        lines.append("score\tkept\tdecision\tlink_key\tdays\tkm\treasons")
        for r in part.itertuples():
            days = "" if r.days_apart is None or r.days_apart != r.days_apart else r.days_apart
            km = "" if r.km != r.km else f"{r.km:.1f}"
            lines.append(
                f"{r.score:.3f}\t{'yes' if r.kept else 'no'}\t{r.decision or '-'}\t"
                f"{r.link_key}\t{days}\t{km}\t{r.reasons}"
            )
    with atomic_output(None) as out:
        out.writelines(line + "\n" for line in lines)
    return 0


def _decide(store, args) -> int:
    version = store.add_match_decision(args.link_key, args.decision, _who(args), args.note)
    print(f"{args.link_key.strip()}: {args.decision} (version {version})")
    return 0


def _history(store, link_key: str) -> int:
    from geo.errors import InputError

    every = store.match_decisions(all_versions=True)
    mine = every[every["link_key"] == link_key.strip()]
    if mine.empty:
        raise InputError(
            f"no decision on the link '{link_key.strip()[:200]}' yet; 'zonewatch matches list' "
            "shows the links' keys and 'zonewatch matches decide' records one"
        )
    lines = ["version\tdecision\tat\twho\tnote"]
    for r in mine.itertuples():
        lines.append(f"{r.version}\t{r.decision}\t{r.at}\t{r.who}\t{r.note}")
    with atomic_output(None) as out:
        out.writelines(line + "\n" for line in lines)
    return 0
