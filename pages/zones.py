"""Zone boundaries: upload a file or draw on the map, check, preview, save as new versions.

Files and drawings go through the same gate (:mod:`geo.uploads.zones`); nothing is saved
before the user has seen the report and the preview, and saving only ever adds versions.
Where each zone goes and the saving itself are :mod:`geo.zone_workflow`, shared with
``zonewatch import-zones``; this page draws the controls and the report.
"""

from __future__ import annotations

from datetime import date

import streamlit as st
from streamlit_folium import st_folium

from geo import zone_workflow
from geo import zones as zone_rules
from geo.errors import ZoneWatchError
from geo.render import Shapes, draw_map, shapes_map
from geo.uploads import UploadError
from geo.uploads.archive import Limits as ArchiveLimits
from geo.uploads.zones import Limits, Wording, ZoneUpload, read_zone_file, report_rows
from geo.wording import count
from geo.zone_workflow import ZonePlan
from views.auth import identity
from views.data import PLACE_ATTRIBUTION, load_or_stop, store_or_stop
from views.shell import page_setup
from views.state import KEY_SAVED, KEY_ZONE_UPLOAD, KEY_ZONES_PENDING
from views.text import plain

page_setup("Zones")

NEW = "(new zone)"
KEY_ROUND = "zones_round"  # bumped after each save: a fresh uploader and drawing map
MAX_CHOICES = 50  # files with more zones go where they match, without a choice per zone
# How the gate's messages name this page's own controls.
PAGE = Wording(
    give_name="type one in its 'Name for feature' box above the report, or choose the "
    "'Name property'",
    swap_xy="tick 'Swap latitude and longitude' above to read it that way",
)

store = store_or_stop()
revision, data = load_or_stop(store)
versions = data["zone_versions"]
extents = data["zones"]
zone_names = {r.zone_id: (r.name_en or r.name_ar) for r in extents.itertuples()}

st.title("Zones")
st.markdown(
    "Upload new zone boundaries or draw them on the map. Every file is checked first: "
    "you see what was accepted, repaired or refused, and a preview with the area added "
    "and removed, before anything is saved. Saving adds a **new version** with the date "
    "it is valid from; no version is ever changed or deleted (see **Zone history**)."
)
if saved := st.session_state.pop(KEY_SAVED, None):
    st.success(saved)


def review(upload: ZoneUpload, key: str) -> None:
    """The report, the preview and the save form for a checked upload."""
    for warning in upload.warnings:
        st.warning(plain(warning))
    plan = _plan(upload, key)
    _report(upload, report_rows(upload, plan.targets, plan.rename), key)
    if not upload.accepted:
        st.error("No zone in this file can be saved; the reasons are in the details above.")
        return
    for clash in plan.clashes:
        st.error(plain(clash.capitalize() + " (see 'Where each zone goes' below)."))
    _name_notes(plan)
    for same in plan.identical:
        st.warning(
            plain(f"{same[0].upper()}{same[1:]}: saving adds a version that changes nothing.")
        )
    _preview(plan, key)
    if len(upload.accepted) <= MAX_CHOICES:
        _choices(plan, key)
    if not plan.clashes:
        _save_form(plan, key)


def _target_key(key: str, upload: ZoneUpload, number: int) -> str:
    return f"{key}_target_{upload.sha256}_{number}"


def _rename_key(key: str, upload: ZoneUpload, number: int) -> str:
    return f"{key}_rename_{upload.sha256}_{number}"


def _plan(upload: ZoneUpload, key: str) -> ZonePlan:
    """Where each zone goes, as chosen in this page's boxes (or as matched)."""
    chosen = {}
    for f in upload.accepted:
        pick = st.session_state.get(_target_key(key, upload, f.number))
        if pick is not None:
            chosen[f.number] = "" if pick == NEW else pick
    plan = zone_workflow.plan(upload, versions, chosen)
    # Features named otherwise than the zone they update: the zone keeps its name unless
    # the user ticks 'Rename' (what a GIS does when a feature's geometry is replaced).
    plan.rename = {
        t.number for t in plan.differ if st.session_state.get(_rename_key(key, upload, t.number))
    }
    return plan


def _report(upload: ZoneUpload, rows: list[dict], key: str) -> None:
    st.markdown(
        f"**{plain(upload.file_name)}** ({plain(upload.format)}"
        + (f", layer {plain(upload.layer)}" if upload.layer else "")
        + (f", reprojected from {plain(upload.crs)}" if upload.crs else "")
        + f"): {len(upload.accepted)} accepted or repaired, {len(upload.refused)} refused"
    )
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        key=f"{key}_report",
        # Widths that fit the page's column at 1400 px: no column beyond the edge; a long
        # name or detail ends in "..." (in full below).
        column_config={"feature": st.column_config.NumberColumn("feature", width=55)}
        | {
            c: st.column_config.TextColumn(c, width=w)
            for c, w in (("name", 150), ("Arabic name", 100), ("outcome", 75), ("saved as", 140))
        }
        | {
            c: st.column_config.TextColumn(c, alignment="right", width=w)
            for c, w in (("area km²", 80), ("added km²", 80), ("removed km²", 90))
        }
        | {"details": st.column_config.TextColumn("details", width=160)},
    )
    detailed = [r for r in rows if r["details"]]
    if detailed:
        # A table cell shows one line: the details in full, one paragraph per feature.
        with st.expander(f"Details, in full ({len(detailed)} of {count(len(rows), 'feature')})"):
            st.markdown(
                "\n".join(
                    f"- **Feature {r['feature']}** {plain(r['name'] or r['Arabic name'])} "
                    f"({r['outcome']}): {plain(r['details'])}"
                    for r in detailed
                )
            )


def _name_notes(plan: ZonePlan) -> None:
    """What saving does to the names of zones the file names otherwise."""
    features = plan.features
    if kept := plan.kept:
        said = "; ".join(
            f"{t.zone_id} stays '{t.zone_name}' (the file says '{_label(features[t.number])}')"
            for t in kept[:10]
        )
        st.info(
            f"A new version keeps the zone's name: {plain(said)}"
            + ("; ..." if len(kept) > 10 else "")
            + (
                ". To rename a zone, tick **Rename the zone** under **Where each zone goes**."
                if len(features) <= MAX_CHOICES
                else f". To rename zones, upload at most {MAX_CHOICES} zones at once."
            )
        )
    for t in plan.differ:
        if t.number in plan.rename:
            f = features[t.number]
            note = t.name_note(f.name, f.name_ar, renamed=True)
            st.warning(plain(f"Saving {note}."))


def _in_force_shapes() -> Shapes:
    context = zone_rules.in_force(versions)
    return Shapes(
        "Zones in force today",
        list(zip(context["name_en"], context.geometry, strict=True)),
        "#7f8c8d",
        dash=True,
        fill=0.05,
    )


def _change_shapes(label: str, part: str, sign: str, color: str, targets) -> Shapes:
    """The area each target adds or removes (``part``: 'added' or 'removed')."""
    items = [
        (f"{sign}{getattr(t.diff, part + '_km2'):,.1f} km²", getattr(t.diff, part)) for t in targets
    ]
    return Shapes(label, items, color, fill=0.45, weight=1)


def _preview(plan: ZonePlan, key: str) -> None:
    upload, targets = plan.upload, plan.targets
    old = [(zone_names.get(t.zone_id, t.zone_id), _extent(t.zone_id)) for t in targets]
    fmap = shapes_map(
        data["admin0"],
        [
            _in_force_shapes(),
            Shapes(
                "Current version",
                [o for o in old if o[1] is not None],
                "#34495e",
                dash=True,
                fill=0.1,
            ),
            _change_shapes("Area added", "added", "+", "#27ae60", targets),
            _change_shapes("Area removed", "removed", "-", "#c0392b", targets),
            Shapes(
                "Uploaded",
                [(f.name or f.name_ar, f.geometry) for f in upload.accepted],
                "#e67e22",
                fill=0.15,
                weight=3,
            ),
        ],
    )
    st.markdown(
        "**Preview**: uploaded (orange) over the current versions (dashed); "
        "green is area added, red area removed."
    )
    st_folium(
        fmap,
        key=f"{key}_preview_{upload.sha256[:12]}",
        height=460,
        use_container_width=True,
        returned_objects=[],
    )


def _choices(plan: ZonePlan, key: str) -> None:
    """A box per feature: a new zone, or a new version of which zone (and 'Rename')."""
    upload = plan.upload
    by_number = {t.number: t for t in plan.targets}
    differ = {t.number for t in plan.differ}
    with st.expander("Where each zone goes (a new zone, or a new version of a zone)"):
        options = [NEW, *zone_names]
        cols = st.columns(3)
        for i, f in enumerate(upload.accepted):
            t = by_number[f.number]
            # The name goes in a caption, not the label: a label's text is also its
            # accessible name, and markdown escapes would be read out.
            cols[i % 3].caption(plain(_label(f)))
            cols[i % 3].selectbox(
                f"Feature {f.number}",
                options,
                index=0 if t.is_new else options.index(t.zone_id),
                format_func=lambda z: z if z == NEW else f"new version of {zone_names[z]}",
                key=_target_key(key, upload, f.number),
            )
            if f.number in differ:
                cols[i % 3].checkbox(
                    f"Rename the zone to '{_label(f)}'",
                    key=_rename_key(key, upload, f.number),
                    help="Off: the zone keeps its name and only its boundary changes.",
                )


def _save_form(plan: ZonePlan, key: str) -> None:
    accepted, refused = len(plan.upload.accepted), len(plan.upload.refused)
    with st.form(f"{key}_save"):
        st.markdown("**Save as new versions**")
        c1, c2 = st.columns(2)
        valid_from = c1.date_input(
            "Valid from", value=date.today(), min_value=date(2011, 1, 1), max_value=date(2100, 1, 1)
        )
        status = c2.selectbox(
            "Status",
            zone_rules.STATUSES,
            index=zone_rules.STATUSES.index(plan.status),
            help="Preselected: the status of the version each zone repeats unchanged, "
            "when every zone in the file is identical to its current version; else 'proposed'.",
        )
        c1.caption(f"Saved as added by **{plain(identity().author)}**")
        sources = c2.text_input(
            "Sources", max_chars=2000, placeholder="Where the boundary comes from"
        )
        note = st.text_area("Note", max_chars=5000, placeholder="What changed and why")
        confirm = bool(plan.identical) and st.checkbox(
            "Save even the identical versions",
            help="Nothing is saved while a zone is identical to its current version, "
            "unless you tick this.",
        )
        label = f"Save {count(accepted, 'zone')}"
        if refused:
            label += f" (the {refused} refused not included)"
        if st.form_submit_button(label, type="primary"):
            _save(plan, valid_from, status, sources, note, confirm)


def _label(f) -> str:
    return f.name or f.name_ar


def _extent(zone_id: str):
    hit = extents[extents["zone_id"] == zone_id]
    return hit.geometry.iloc[0] if len(hit) else None


def _save(plan: ZonePlan, valid_from, status, sources, note, confirm: bool = False) -> None:
    who = identity()  # checked and recorded as the author by the store (geo.auth)
    try:
        saved = zone_workflow.save(
            store,
            plan,
            versions,
            valid_from=valid_from,
            author=who.author,
            note=note.strip(),
            status=status,
            sources=sources.strip(),
            who=who,
            allow_identical=confirm,
        )
    except ZoneWatchError as exc:
        st.error(f"Nothing was saved: {plain(exc)}")
        return
    st.session_state[KEY_SAVED] = (
        "Saved "
        + ", ".join(plain(f"{s.target.zone_id} version {s.version}") for s in saved)
        + f", valid from {valid_from:%d %b %Y}. The map now shows the zones as of that date."
    )
    st.session_state[KEY_ZONES_PENDING] = valid_from  # the Map shows the zones as of it
    # A fresh uploader and drawing map, so the same boundary is not saved twice by accident.
    st.session_state[KEY_ROUND] = st.session_state.get(KEY_ROUND, 0) + 1
    st.rerun()


# --- uploading a file ---------------------------------------------------------------------


def upload_mode() -> None:
    st.caption(
        "GeoJSON, a zipped Shapefile (with its .shx, .dbf and .prj), a GeoPackage, KML or "
        "KMZ, from QGIS, ArcGIS, Google Earth or geojson.io. Boundaries in another CRS are "
        "reprojected to WGS 84 when the file declares its CRS."
    )
    rnd = st.session_state.get(KEY_ROUND, 0)
    limit_mb = min(Limits.from_env().upload_mb, st.get_option("server.maxUploadSize"))
    file = st.file_uploader(
        "Boundary file",
        key=KEY_ZONE_UPLOAD if rnd == 0 else f"{KEY_ZONE_UPLOAD}_{rnd}",
        # The uploader states (and the browser enforces) the gate's own limit.
        max_upload_size=limit_mb,
        help=f"Up to {limit_mb} MB per file; a zip or KMZ may unpack to at most "
        f"{ArchiveLimits.from_env().unzipped_bytes // 1048576} MB. Simplify larger "
        "boundaries in your GIS first.",
    )
    if file is None:
        return
    opts = st.columns(3)
    swap = bool(st.session_state.get(f"swap_{file.file_id}", False))
    layer = st.session_state.get(f"layer_{file.file_id}")
    upload = _check_file(file, layer, swap)
    if swap or upload.swap_would_help:  # offered only when swapping puts zones in Syria
        opts[2].checkbox(
            "Swap latitude and longitude",
            key=f"swap_{file.file_id}",
            help="For files that list latitude first: some zones lie outside Syria as read, "
            "and inside with latitude and longitude swapped.",
        )
    if upload.layers and len(upload.layers) > 1:
        opts[0].selectbox(
            "Layer",
            upload.layers,
            index=None if not layer else upload.layers.index(layer),
            key=f"layer_{file.file_id}",
            placeholder="Choose a layer",
        )
    if upload.needs_layer:
        st.info(f"This file has {len(upload.layers)} layers: choose the one to upload.")
        st.stop()
    _name_controls(file.file_id, upload, opts[1], swap)
    review(upload, "upload")


def _check_file(file, layer: str | None, swap: bool) -> ZoneUpload:
    """The file through the gate, with the options chosen in this page's boxes; a file
    that cannot be used at all stops the page with the reason."""
    name_field = st.session_state.get(f"namefield_{file.file_id}")
    names = {
        int(k.rsplit("_", 1)[1]): v
        for k, v in st.session_state.items()
        if k.startswith(f"name_{file.file_id}_") and v
    }
    bar = st.progress(0.0, text="Checking the file...")
    try:
        upload = read_zone_file(
            file.getvalue(),
            file.name,
            layer=layer,
            name_field=name_field or None,
            names=names,
            swap_xy=swap,
            progress=lambda fr, msg: bar.progress(min(fr, 1.0), text=msg),
            wording=PAGE,
        )
    except UploadError as exc:
        bar.empty()
        st.error(f"This file cannot be used: {plain(exc)}")
        st.stop()
    bar.empty()
    return upload


def _name_controls(file_id: str, upload: ZoneUpload, column, swap: bool) -> None:
    """The name property, the swap hint and a name box per feature that has no name."""
    keys = sorted({k for f in upload.features for k in f.properties})
    if keys:
        column.selectbox(
            "Name property",
            [""] + keys,
            key=f"namefield_{file_id}",
            format_func=lambda k: k or "(detected)",
        )
    if upload.swap_would_help and not swap:
        st.warning(
            "Some zones lie outside Syria but would be inside with latitude and "
            "longitude swapped: tick **Swap latitude and longitude** if the file "
            "lists latitude first."
        )
    # The features that came without a name keep their name boxes (a box not drawn
    # would lose what was typed in it).
    unnamed = st.session_state.setdefault(f"unnamed_{file_id}", set())
    unnamed.update(f.number for f in upload.needs_names[:20])
    missing = [f for f in upload.features if f.number in unnamed]
    if missing:
        st.info("Some zones have no name: type one for each (or choose the name property).")
        for f in missing:
            st.text_input(
                f"Name for feature {f.number}",
                key=f"name_{file_id}_{f.number}",
                max_chars=200,
            )


# --- drawing on the map -------------------------------------------------------------------


def draw_mode() -> None:
    st.caption(
        "Draw a polygon (or a rectangle) with the tools at the top left, or pick a zone to "
        "edit its boundary: its outline is put in the drawing layer, where **Edit layers** "
        "moves vertices. Finish with **Save** in the toolbar, then check and save below."
    )
    c1, c2 = st.columns(2)
    editing = c1.selectbox(
        "Zone to edit",
        [NEW, *zone_names],
        key="draw_zone",
        format_func=lambda z: "(draw a new zone)" if z == NEW else zone_names[z],
    )
    default_name = "" if editing == NEW else zone_names[editing]
    drawn_name = c2.text_input(
        "Zone name", value=default_name, key=f"draw_name_{editing}", max_chars=200
    )
    dmap = draw_map(
        data["admin0"],
        [_in_force_shapes()],
        editable=None if editing == NEW else _extent(editing),
        places=data["places"],  # labelled as on the Map
        place_attribution=PLACE_ATTRIBUTION,
    )
    result = st_folium(
        dmap,
        key=f"draw_map_{editing}_{st.session_state.get(KEY_ROUND, 0)}",
        height=520,
        use_container_width=True,
        returned_objects=["all_drawings"],
    )
    polygons = zone_workflow.drawn_polygons((result or {}).get("all_drawings"))
    if not polygons:
        st.info("Nothing drawn yet.")
    elif not drawn_name.strip():
        st.warning("Type a name for the drawn zone.")
    else:
        zone_id = None if editing == NEW else editing
        try:
            drawn = zone_workflow.read_drawing(polygons, drawn_name, zone_id, wording=PAGE)
        except UploadError as exc:
            st.error(f"This drawing cannot be used: {plain(exc)}")
        else:
            review(drawn, "draw")


UPLOAD, DRAW = "Upload a file", "Draw on the map"
mode = st.radio(
    "How", [UPLOAD, DRAW], horizontal=True, key="zones_mode", label_visibility="collapsed"
)
if mode == UPLOAD:
    upload_mode()
else:
    draw_mode()
