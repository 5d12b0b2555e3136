"""Import events from UCDP GED, ACLED or ZoneWatch files: preview, report, progress."""

from __future__ import annotations

import io
import itertools

import streamlit as st

from geo.errors import ZoneWatchError
from geo.schema import EVENT_LABELS
from geo.uploads import FORMATS, ImportReport, UploadError, import_events, read_event_file
from geo.uploads.events import geojson_limit_mb, upload_limit_mb
from geo.wording import count
from views.auth import identity
from views.data import store_or_stop
from views.shell import page_setup
from views.state import KEY_IMPORT_DATASET, KEY_IMPORT_FORMAT, KEY_UPLOAD

page_setup("Import events")

AUTO = "detect from the header"

store = store_or_stop()
st.title("Import events")
st.markdown(
    "Add events from a **UCDP GED** CSV (Syria or Global release), an **ACLED** export "
    "(CSV with commas or semicolons, or XLSX) or the **ZoneWatch** format (the CSV or "
    "GeoJSON the Events page downloads). Events already stored (same dataset and id) are "
    "not added again. Rows that cannot be read are skipped and listed with their row number."
)
# The uploader states (and the browser enforces) the import's own limit, within the
# server's (server.maxUploadSize, in .streamlit/config.toml).
limit_mb = min(upload_limit_mb(), st.get_option("server.maxUploadSize"))
upload = st.file_uploader(
    "Event file",
    type=["csv", "xlsx", "json", "geojson"],
    key=KEY_UPLOAD,
    max_upload_size=limit_mb,
    help=f"Up to {limit_mb} MB per file (GeoJSON up to {min(geojson_limit_mb(), limit_mb)} MB: "
    "it is read whole). Split larger exports.",
)
fmt = st.selectbox("Format", [AUTO, *FORMATS], key=KEY_IMPORT_FORMAT)
dataset = (
    st.text_input(
        "Dataset name (optional)",
        key=KEY_IMPORT_DATASET,
        help="Defaults to ucdp or acled for their exports, and to the file's own dataset column "
        "for the ZoneWatch format.",
    ).strip()
    or None
)
fmt = None if fmt == AUTO else fmt

if upload is not None:
    data = upload.getvalue()
    preview_report = ImportReport(upload.name)
    try:
        first = next(
            iter(
                read_event_file(io.BytesIO(data), upload.name, fmt, dataset, report=preview_report)
            ),
            None,
        )
    except UploadError as exc:
        st.error(f"This file cannot be imported: {exc}")
        st.stop()
    st.subheader("Preview")
    st.caption(
        f"Format: {preview_report.format}; dataset: {preview_report.dataset or '(from the file)'}"
        f"; version: {preview_report.version or '(from the file)'}. The first rows as parsed:"
    )
    if first is not None and len(first):
        st.dataframe(
            first.head(20).rename(columns=EVENT_LABELS),
            hide_index=True,
            width="stretch",
            column_config={
                EVENT_LABELS[c]: st.column_config.DateColumn(format="YYYY-MM-DD")
                for c in ("date_start", "date_end")
            },
        )
    if preview_report.problems:
        st.warning(
            f"{len(preview_report.problems):,} of the first "
            f"{count(preview_report.rows_read, 'row')} cannot be read and will be skipped "
            "(listed after the import)."
        )
    if st.button("Import", type="primary"):
        bar = st.progress(0.0, text="Reading...")

        def progress(fraction: float, rows: int) -> None:
            bar.progress(
                min(fraction, 1.0) / 2, text=f"Reading and checking... {count(rows, 'row')}"
            )

        def saving(done: int, total: int) -> None:
            text = (
                f"Saving... {done:,} of {count(total, 'event')}"
                if done < total
                else f"Saving... all {count(total, 'event')} in; indexing them"
            )
            bar.progress(0.5 + min(done / max(total, 1), 1.0) / 2, text=text)

        try:
            report = import_events(
                store,
                io.BytesIO(data),
                upload.name,
                fmt,
                dataset,
                who=identity(),  # checked and recorded by the store (geo.auth)
                progress=progress,
                saving=saving,
            )
        except UploadError as exc:
            bar.empty()
            st.error(f"Nothing was imported: {exc}")
            st.stop()
        except ZoneWatchError as exc:  # a store error: say it, keep the page
            bar.empty()
            st.error(f"Nothing was imported: {exc}")
            st.stop()
        bar.progress(1.0, text="Done")
        st.success(report.summary())
        st.caption(
            f"Dataset {report.dataset}, version {report.version or '(from the file)'}; "
            f"SHA-256 {report.sha256[:16]}..."
        )
        if report.problems:
            st.subheader("Skipped rows")
            st.dataframe(
                [
                    {"row": p.row, "column": p.column, "reason": p.reason}
                    for p in itertools.islice(report.problems, 5000)
                ],
                hide_index=True,
                width="stretch",
            )
