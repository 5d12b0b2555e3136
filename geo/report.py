"""A zone report: what the Zone report page shows, computed once, and its two exports
(one tidy CSV, one standalone HTML file with the map and charts that works offline).

Pure: no Streamlit. The page, the exports and the tests read the same :class:`ZoneReport`.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from geo import analysis
from geo.colors import event_types_legend
from geo.eventindex import Selection
from geo.spreadsheet import spreadsheet_safe
from geo.timeline import before_range, longer_than_period, timeline
from geo.wording import count, plural


@dataclass
class ZoneReport:
    """One zone, in time, under the filters the user chose."""

    zone_id: str
    zone_name: str
    freq: str  # "week" or "month"
    pivot: date
    days: int
    km: float
    exclude_coarse: bool
    filters: str  # the shared filters, in words
    shown: int  # events shown by the filters
    coarse_left_out: int
    boundary: pd.Series  # the version in force on the pivot: the fixed area compared
    ring: object  # lon/lat geometry of the band around it
    in_zone: pd.DataFrame  # events in the version in force on their own date
    timeline: pd.DataFrame  # period, event_type, events, fatalities
    zone_ba: dict
    ring_ba: dict
    nearby: pd.DataFrame  # events in the zone or the ring during the two windows
    all_types: tuple[str, ...] = ()  # every type in the store: colours as in the map legend
    asked_days: int = 0  # the window asked for (``days`` is the one used, maybe shorter)
    window_note: str = ""  # why the windows are shorter than asked, or why none ("" if not)
    before_start: dict | None = None  # events in the zone that began before the dates
    longer: int = 0  # events in the timeline whose dates run past their bar (counted at start)

    @property
    def ring_label(self) -> str:
        return f"ring of {self.km:g} km around it"


def zone_report(
    shown: pd.DataFrame | Selection,
    versions,
    zone_id: str,
    *,
    zone_name: str,
    freq: str,
    pivot: date,
    days: int,
    km: float,
    exclude_coarse: bool,
    filters: str = "",
    all_types=(),
    start: date | None = None,
    end: date | None = None,
) -> ZoneReport:
    """Compute the report from the events the filters show (a frame, or a
    :class:`~geo.eventindex.Selection` of the index: the same report) and the stored zone
    versions.

    ``start``, ``end``: the dates the events were chosen for (default: the first start and
    last end among ``shown``). The timeline runs over them (events that began earlier are
    left out of it, see :func:`geo.timeline.timeline`); the before/after windows are kept
    inside them and inside the zone's life (see :func:`geo.analysis.comparison_window`)."""
    row = analysis.boundary_at(versions, zone_id, pivot)
    band = analysis.ring(row.geometry, km)
    if start is None and len(shown):
        start = _first_start(shown)
    if end is None and len(shown):
        end = _last_end(shown)
    # Every figure below counts events inside one of the zone's versions or the ring: the
    # others are left out first, by the bounds of those shapes (a million events shown,
    # a few thousand kept), so that no step copies or tests every event shown.
    shapes = [g for g in versions.loc[versions["zone_id"] == zone_id].geometry if g is not None]
    events, coarse_count = _near_shapes(shown, [*shapes, band], exclude_coarse)
    in_zone = analysis.in_zone(events, versions, zone_id)
    asked = int(days)
    days, note = analysis.comparison_window(versions, zone_id, pivot, asked, start, end)
    window = analysis.around(events, pivot, int(days))
    nearby = pd.concat([analysis.inside(window, row.geometry), analysis.inside(window, band)])
    return ZoneReport(
        zone_id=zone_id,
        zone_name=zone_name,
        freq=freq,
        pivot=pivot,
        days=int(days),
        km=float(km),
        exclude_coarse=exclude_coarse,
        filters=filters,
        shown=len(shown),
        coarse_left_out=coarse_count if exclude_coarse else 0,
        boundary=row,
        ring=band,
        in_zone=in_zone,
        timeline=timeline(in_zone, freq, start, end),
        zone_ba=analysis.before_after(analysis.inside(events, row.geometry), pivot, int(days)),
        ring_ba=analysis.before_after(analysis.inside(events, band), pivot, int(days)),
        nearby=nearby[~nearby.index.duplicated()],
        all_types=tuple(all_types),
        asked_days=asked,
        window_note=note,
        before_start=before_range(in_zone, start),
        longer=longer_than_period(in_zone, freq, start, end),
    )


def _first_start(shown):
    if not isinstance(shown, pd.DataFrame):  # a Selection, or SQL's (geo.store.pgselection)
        return shown.first_start()
    return shown["date_start"].min().date()


def _last_end(shown):
    if not isinstance(shown, pd.DataFrame):
        return shown.last_end()
    return shown["date_end"].max().date()


def _near_shapes(shown, shapes, exclude_coarse: bool) -> tuple[pd.DataFrame, int]:
    """(the events shown within the bounds of any of ``shapes``, less the coarse ones
    when ``exclude_coarse``; how many events shown are coarse). ``shown``: a frame, or a
    :class:`~geo.eventindex.Selection`, whose frame is made of those events alone (with
    the labels they have in the frame of every event shown), or the same read from SQL
    (:class:`geo.store.pgselection.SqlSelection`: only those events are read)."""
    if not isinstance(shown, pd.DataFrame):
        boxes = [s.bounds for s in shapes if s is not None and not s.is_empty]
        frame = shown.frame_in_boxes(boxes, analysis.COARSE if exclude_coarse else ())
        return frame, shown.count_with_precision(analysis.COARSE)
    coarse = analysis.is_coarse(shown)
    keep = _within_bounds(shown, shapes)
    events = shown[keep & ~coarse.to_numpy()] if exclude_coarse else shown[keep]
    return events, int(coarse.sum())


def _within_bounds(events: pd.DataFrame, shapes) -> np.ndarray:
    """True for the events whose point lies within the bounds of any of ``shapes``
    (edges included): all that can lie in one of them."""
    lon = events["longitude"].to_numpy(float)
    lat = events["latitude"].to_numpy(float)
    keep = np.zeros(len(events), dtype=bool)
    for shape in shapes:
        if shape is None or shape.is_empty:
            continue
        x0, y0, x1, y1 = shape.bounds
        keep |= (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    return keep


def pct(value, days: int = 1) -> str:
    if not days:
        return "n/a (no window covered)"
    return "n/a (none before)" if value is None else f"{value:+.0f}%"


def comparison_table(report: ZoneReport) -> pd.DataFrame:
    """The before/after table: one row for the zone, one for the ring."""
    return pd.DataFrame(
        [
            {
                "area": label,
                "events before": r["before"]["events"],
                "events after": r["after"]["events"],
                "change": r["events_change"],
                "change %": pct(r["events_change_pct"], report.days),
                "fatalities before": r["before"]["fatalities"],
                "fatalities after": r["after"]["fatalities"],
                "fatalities change": r["fatalities_change"],
                "fatalities change %": pct(r["fatalities_change_pct"], report.days),
            }
            for label, r in (("in the zone", report.zone_ba), (report.ring_label, report.ring_ba))
        ]
    )


CSV_COLUMNS = [
    "section",
    "zone_id",
    "zone",
    "boundary_version",
    "area",
    "period_start",
    "period_end",
    "event_type",
    "events",
    "fatalities",
    "events_change_pct",
    "fatalities_change_pct",
]


def _period_end(start: pd.Timestamp, freq: str) -> pd.Timestamp:
    if freq == "week":
        return start + pd.Timedelta(days=6)
    return start + pd.offsets.MonthEnd(0)


def report_rows(report: ZoneReport) -> list[dict]:
    """The report as tidy rows: the timeline (section ``timeline``), then the two windows
    and their change for the zone and the ring (sections ``before``, ``after``,
    ``change``; event type ``all``)."""
    base = {
        "zone_id": report.zone_id,
        "zone": report.zone_name,
        "boundary_version": int(report.boundary["version"]),
    }
    rows = []
    for r in report.timeline.itertuples(index=False):
        rows.append(
            {
                **base,
                "section": "timeline",
                "area": "zone",
                "period_start": f"{r.period:%Y-%m-%d}",
                "period_end": f"{_period_end(pd.Timestamp(r.period), report.freq):%Y-%m-%d}",
                "event_type": r.event_type,
                "events": int(r.events),
                "fatalities": int(r.fatalities),
            }
        )
    for area, ba in (("zone", report.zone_ba), (f"ring_{report.km:g}km", report.ring_ba)):
        for section in ("before", "after"):
            w = ba[section]
            rows.append(
                {
                    **base,
                    "section": section,
                    "area": area,
                    "period_start": f"{w['first']:%Y-%m-%d}",
                    "period_end": f"{w['last']:%Y-%m-%d}",
                    "event_type": "all",
                    "events": w["events"],
                    "fatalities": w["fatalities"],
                }
            )
        rows.append(
            {
                **base,
                "section": "change",
                "area": area,
                "period_start": f"{ba['before']['first']:%Y-%m-%d}",
                "period_end": f"{ba['after']['last']:%Y-%m-%d}",
                "event_type": "all",
                "events": ba["events_change"],
                "fatalities": ba["fatalities_change"],
                "events_change_pct": _round(ba["events_change_pct"]),
                "fatalities_change_pct": _round(ba["fatalities_change_pct"]),
            }
        )
    return rows


def _round(value):
    return "" if value is None else round(value, 1)


def report_csv(report: ZoneReport) -> str:
    """The report as one CSV (see :func:`report_rows`); text cells are spreadsheet-safe."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    for row in report_rows(report):
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return out.getvalue()


# ---- the standalone HTML file ---------------------------------------------------------

_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:"
)


def _label(text: object) -> str:
    # matplotlib reads $...$ as mathematics; data is shown as typed
    return str(text).replace("$", r"\$")


def _svg(fig) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight")
    text = out.getvalue()
    return text[text.index("<svg") :]


def _whole_numbers(ax) -> None:
    """Counts on the y axis in whole numbers: 0 and 1 for one event, never 0.2 or 0.5 (as
    the pages' charts, ``views.charts.count_axis``)."""
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def timeline_svg(report: ZoneReport) -> str:
    """Events per period by type (stacked bars), as inline SVG."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    series = report.timeline
    with rc_context({"svg.fonttype": "none", "font.size": 9}):
        fig = Figure(figsize=(9, 3.2))
        ax = fig.add_subplot()
        if series.empty:
            ax.text(0.5, 0.5, "No events in the zone", ha="center", transform=ax.transAxes)
        else:
            table = series.pivot_table(
                index="period", columns="event_type", values="events", aggfunc="sum"
            ).fillna(0)
            # the legend's colours: assigned over every type in the store, not this zone's
            known = list(report.all_types) + [t for t in table.columns if t not in report.all_types]
            colours = dict(event_types_legend(known))
            bottom = None
            width = 5 if report.freq == "week" else 25
            for kind in table.columns:
                ax.bar(
                    table.index,
                    table[kind],
                    width=width,
                    bottom=bottom,
                    label=_label(kind),
                    color=colours[kind],
                )
                bottom = table[kind] if bottom is None else bottom + table[kind]
            ax.axvline(pd.Timestamp(report.pivot), color="#333", linestyle="--", linewidth=1)
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        ax.set_ylabel(f"Events per {report.freq}")
        _whole_numbers(ax)
        ax.spines[["top", "right"]].set_visible(False)
        return _svg(fig)


def comparison_svg(report: ZoneReport) -> str:
    """Events before and after, in the zone and the ring (grouped bars), as inline SVG."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    areas = ["in the zone", report.ring_label]
    before = [report.zone_ba["before"]["events"], report.ring_ba["before"]["events"]]
    after = [report.zone_ba["after"]["events"], report.ring_ba["after"]["events"]]
    with rc_context({"svg.fonttype": "none", "font.size": 9}):
        fig = Figure(figsize=(5, 2.8))
        ax = fig.add_subplot()
        x = range(len(areas))
        ax.bar([i - 0.2 for i in x], before, width=0.4, label="before", color="#8c96a0")
        ax.bar([i + 0.2 for i in x], after, width=0.4, label="after", color="#c0392b")
        for i in x:
            ax.text(i - 0.2, before[i], str(before[i]), ha="center", va="bottom")
            ax.text(i + 0.2, after[i], str(after[i]), ha="center", va="bottom")
        ax.set_xticks(list(x), areas)
        ax.set_ylabel("Events")
        _whole_numbers(ax)
        ax.legend(frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return _svg(fig)


def _table_html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _sources_html(sources: Mapping[str, str] | Iterable[str] | str) -> str:
    """The sources as a list, one item each ("name: text" for a mapping), so no
    punctuation is glued between them; a plain string is one item."""
    if isinstance(sources, str):
        items = [sources]
    elif isinstance(sources, Mapping):
        items = [f"{name}: {text}" for name, text in sources.items()]
    else:
        items = [str(s) for s in sources]
    lis = "".join(f"<li>{html.escape(i)}</li>" for i in items if i.strip())
    return f"<ul>{lis}</ul>"


def report_html(
    report: ZoneReport, map_html: str, attribution: Mapping[str, str] | Iterable[str] | str
) -> str:
    """One HTML file: the parameters, the numbers, two charts (SVG) and the map (a
    self-contained document in an ``iframe srcdoc``). Its Content-Security-Policy
    allows no request at all, so it works, and stays, offline. ``attribution``: the
    sources, best as {dataset or "places": attribution}, listed one per line."""
    e = html.escape
    b, a = report.zone_ba["before"], report.zone_ba["after"]
    row = report.boundary
    totals = timeline_totals(report)
    coarse = (
        f"Coarse locations (governorate centroid or wider) left out: {report.coarse_left_out:,}."
        if report.exclude_coarse
        else "Coarse locations included."
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Zone report: {e(report.zone_name)}</title>
<style>
body{{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;
padding:0 16px}}
h1{{font-size:22px;margin-bottom:4px}} h2{{font-size:17px;margin-top:28px}}
table{{border-collapse:collapse;margin:8px 0}} th,td{{border:1px solid #ccc;padding:3px 8px;
text-align:left}} th{{background:#f3f3f3}} .note{{color:#555;font-size:13px}}
iframe{{width:100%;height:560px;border:1px solid #ccc}} svg{{max-width:100%;height:auto}}
</style></head><body>
<h1>Zone report: {e(report.zone_name)}</h1>
<p class="note">Made by ZoneWatch on {date.today():%d %b %Y}. Filters: {e(report.filters)}.
{coarse}</p>
<h2 id="timeline">Events in the zone, per {e(report.freq)}</h2>
<p>{count(totals["events"], "event")} and {count(totals["fatalities"], "fatality", "fatalities")}
(best estimates), each counted in the zone version in force on the day it began, of
{count(report.shown, "event")} shown.
The dashed line marks {report.pivot:%d %b %Y}. {e(before_note(report))}</p>
<figure id="chart-timeline">{timeline_svg(report)}</figure>
<h2 id="comparison">Before and after {report.pivot:%d %b %Y}</h2>
<p>Boundary: version {int(row["version"])} (valid from {row["valid_from"]:%d %b %Y}), kept fixed.
Before: {b["first"]:%d %b %Y} to {b["last"]:%d %b %Y}; after: {a["first"]:%d %b %Y} to
{a["last"]:%d %b %Y} ({count(report.days, "day")} each).</p>
{f'<p class="note"><strong>{e(report.window_note)}</strong></p>' if report.window_note else ""}
{_table_html(comparison_table(report))}
<figure id="chart-comparison">{comparison_svg(report)}</figure>
<h2 id="map">Map</h2>
<p>The zone and the {count(len(report.nearby), "event")} in it or in the {report.km:g} km ring
during the two windows. Boundaries are approximate reconstructions, not official maps.</p>
<iframe title="Map of the zone" srcdoc="{e(map_html, quote=True)}"></iframe>
<h2 id="sources">Sources</h2>
<div class="note">{_sources_html(attribution)}</div>
</body></html>
"""


def before_note(report: ZoneReport) -> str:
    """What the timeline leaves out: events in the zone that began before the dates ("1 of
    them ... is not in the chart", not "are")."""
    early = report.before_start or {"events": 0}
    n = early["events"]
    if not n:
        return ""
    return (
        f"{n:,} of them ({count(early['fatalities'], 'fatality', 'fatalities')}) began before "
        f"the chosen dates and {plural(n, 'is', 'are')} not in the chart, which counts each "
        "event in the period of its start date."
    )


def timeline_totals(report: ZoneReport) -> dict:
    return {
        "events": len(report.in_zone),
        "fatalities": int(report.in_zone["fatalities_best"].fillna(0).sum()),
    }
