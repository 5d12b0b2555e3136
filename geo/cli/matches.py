"""``matches`` (build/export, list): the records of different datasets that likely describe
the same event, found by :mod:`geo.matching` over the events the filters keep.

The links are computed on each run from the store's events (nothing is stored yet), so
``matches export`` is the same command as ``matches build``: both write every link, as CSV
or JSON, to ``-o/--output`` or standard output, whole or not at all.
"""

from __future__ import annotations

import sys

from geo.cli.common import PROG, _output_option, _Parser, _whole
from geo.cli.events import add_filter_options, filtered_index, matching_progress
from geo.output import atomic_output


def add_parsers(sub) -> None:
    """The ``matches`` command group."""
    matches = sub.add_parser(
        "matches",
        help="records of different datasets that likely describe the same event",
    )
    msub = matches.add_subparsers(dest="matches_command", required=True, parser_class=_Parser)
    build = msub.add_parser(
        "build",
        aliases=["export"],
        help="match the events the filters keep and write every link (CSV or JSON); "
        "'export' is the same command (the links are computed on each run)",
    )
    add_filter_options(build)
    build.add_argument("--format", choices=("csv", "json"), default="csv")
    _output_option(build)
    listing = msub.add_parser(
        "list", help="match the events the filters keep; print the best and the doubtful links"
    )
    add_filter_options(listing)
    listing.add_argument(
        "--limit", type=_whole, default=10, metavar="N", help="links in each part (default 10)"
    )


def _cmd_matches(args) -> int:
    table, total, counted = _links(args)
    if args.matches_command == "list":
        return _list(table, total, counted, args.limit)
    return _build(table, total, counted, args)


def _links(args):
    """The link table over the filtered events, their number and the count-once total."""
    from geo.matching import count_once, match_events
    from geo.matching.dedupe import filtered_events, link_table

    store, index, mask = filtered_index(args)
    events = filtered_events(store, index.fid[mask])
    links = match_events(events, progress=matching_progress())
    counted = int(count_once(events, links).sum())
    return link_table(events, links), len(events), counted


def _summary(table, total: int, counted: int) -> str:
    return (
        f"{len(table):,} links ({int(table['kept'].sum()):,} kept in groups) among "
        f"{total:,} events; counted once: {counted:,}"
    )


def _build(table, total: int, counted: int, args) -> int:
    import json

    with atomic_output(args.output) as out:
        if args.format == "csv":
            table.to_csv(out, index=False, lineterminator="\n")
        else:
            rows = table.astype(object).where(table.notna(), None).to_dict("records")
            for row in rows:
                row["reasons"] = [r for r in row["reasons"].split("; ") if r]
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
        lines.append("score\tkept\trecord_a\trecord_b\tdays\tkm\treasons")
        for r in part.itertuples():
            lines.append(
                f"{r.score:.3f}\t{'yes' if r.kept else 'no'}\t{r.dataset_a}:{r.dataset_id_a}\t"
                f"{r.dataset_b}:{r.dataset_id_b}\t{r.days_apart}\t{r.km:.1f}\t{r.reasons}"
            )
    with atomic_output(None) as out:
        out.writelines(line + "\n" for line in lines)
    return 0
