"""Importing events: real UCDP and ACLED files, a small ACLED-format fixture, bad files."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from conftest import DATA, SHARED, stdlib_count
from geo import export
from geo.attribution import attributions
from geo.filters import EventFilter, select_events
from geo.store import open_store
from geo.uploads import UploadError, import_events, read_event_file
from independent import in_zone_on, vincenty_km

FIXTURE = Path(__file__).parent / "data" / "acled_fixture.csv"
ACLED_REAL = SHARED / "data" / "external" / "acled_syria_battles" / "acled_syria_battles_2017.csv"
RAQQA = (35.95283, 39.00788)


def _acled_real() -> Path:
    if not ACLED_REAL.exists():
        # ACLED may not be redistributed, so the file lives only in ../shared (there in CI).
        pytest.skip(f"the real ACLED file is not here ({ACLED_REAL}); the fixture tests run")
    return ACLED_REAL


def _acled_rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _acled_date(text: str) -> date:
    try:
        return datetime.strptime(text, "%d %B %Y").date()
    except ValueError:
        return date.fromisoformat(text)


def test_fixture_maps_every_field(fresh_store_path):
    store = open_store()
    report = import_events(store, FIXTURE, who="test")
    assert (report.format, report.dataset, report.rows_read, report.imported) == (
        "acled",
        "acled",
        4,
        4,
    )
    events = store.events(EventFilter(datasets=("acled",))).set_index("dataset_id")
    row = events.loc["TST00002"]
    assert row["date_start"] == pd.Timestamp("2017-05-20") and row["date_precision"] == "week"
    assert row["actor1"] == "Test Force A" and "Test Militia" in row["notes"]
    assert row["source"] == "Test Source (Local partner-Other)"
    assert events.loc["TST00003", "location_precision"] == "region"
    assert events.loc["TST00004", "date_precision"] == "month"
    assert int(events.loc["TST00003", "fatalities_best"]) == 12
    assert report.version == "export of 2023-11-14"
    assert "acleddata.com" in attributions(["acled"])["acled"]


@pytest.mark.parametrize("variant", ["semicolon", "xlsx", "bom"])
def test_fixture_in_other_shapes(fresh_store_path, tmp_path, variant):
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    path = tmp_path / f"acled.{'xlsx' if variant == 'xlsx' else 'csv'}"
    if variant == "semicolon":
        df.to_csv(path, sep=";", index=False)
    elif variant == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + FIXTURE.read_bytes())
    else:
        df.to_excel(path, index=False)
    report = import_events(open_store(), path)
    assert (report.format, report.imported, report.skipped) == ("acled", 4, 0)


def test_real_acled_counts_match_stdlib(fresh_store_path):
    path = _acled_real()
    store = open_store()
    report = import_events(store, path, who="test")
    rows = _acled_rows(path)
    assert report.rows_read == len(rows) == report.imported == 8759 and report.skipped == 0
    zones = store.zone_versions()

    def count(flt):
        return len(select_events(store, flt, zones))

    acled = ("acled",)
    may = [r for r in rows if date(2017, 5, 1) <= _acled_date(r["event_date"]) <= date(2017, 5, 31)]
    assert count(EventFilter(start=date(2017, 5, 1), end=date(2017, 5, 31), datasets=acled)) == len(
        may
    )
    one_sided = sum(
        1
        for r in csv.DictReader((DATA / "ucdp" / "ged_syria.csv").open(encoding="utf-8"))
        if r["type_of_violence"] == "3"
    )
    battles = [r for r in rows if r["event_type"] == "Battles"]
    assert count(EventFilter(types=("battles", "One-sided violence"))) == len(battles) + one_sided
    near = [
        r for r in rows if vincenty_km(*RAQQA, float(r["latitude"]), float(r["longitude"])) <= 30
    ]
    assert count(EventFilter(near=(*RAQQA, 30), datasets=acled)) == len(near) > 0
    hts = [r for r in rows if "hayat tahrir" in (r["actor1"] + "|" + r["actor2"]).lower()]
    assert count(EventFilter(actor="Hayat Tahrir", datasets=acled)) == len(hts) > 0
    features = json.loads(json.dumps(export.zones_geojson(zones)))["features"]
    inside = [  # each event in the version in force on its date
        r
        for r in rows
        if in_zone_on(
            features,
            "idlib",
            _acled_date(r["event_date"]).isoformat(),
            float(r["longitude"]),
            float(r["latitude"]),
        )
    ]
    assert count(EventFilter(zones=("idlib",), datasets=acled)) == len(inside) > 0
    deadly = [r for r in rows if int(r["fatalities"]) >= 10]
    assert count(EventFilter(min_fatalities=10, datasets=acled)) == len(deadly)

    # Importing the same file again adds nothing; UCDP and ACLED coexist.
    again = import_events(store, path)
    assert (again.imported, again.already_present) == (0, 8759)
    assert len(store.events()) == stdlib_count(None, None) + 8759
    assert count(EventFilter(datasets=("UCDP",))) == 16566


def test_real_ucdp_file_imports_as_dataset_ucdp(fresh_store_path):
    path = SHARED / "data" / "external" / "ucdp_ged_syria" / "ged_syria_2017.csv"
    if not path.exists():
        path = DATA / "ucdp" / "ged_syria.csv"
    store = open_store()
    report = import_events(store, path)
    assert report.format == "ucdp" and report.dataset == "ucdp"
    assert report.imported == 0 and report.already_present == report.rows_read  # shipped ones


GLOBAL_HEADER = (
    "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,"
    "conflict_new_id,conflict_name,dyad_dset_id,dyad_new_id,dyad_name,"
    "side_a_dset_id,side_a_new_id,side_a,side_b_dset_id,side_b_new_id,side_b,"
    "number_of_sources,source_article,source_office,source_date,source_headline,"
    "source_original,where_prec,where_coordinates,where_description,adm_1,adm_2,"
    "latitude,longitude,geom_wkt,priogrid_gid,country,country_id,region,"
    "event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b,"
    "deaths_civilians,deaths_unknown,best,high,low,gwnoa,gwnob"
)


def test_ucdp_global_with_datetimes_and_three_bad_rows(fresh_store_path, tmp_path):
    header = GLOBAL_HEADER.split(",")
    good = dict.fromkeys(header, "")
    good.update(
        type_of_violence="1",
        side_a="Government of Syria",
        side_b="Test side",
        where_prec="1",
        latitude="35.2",
        longitude="38.6",
        date_prec="1",
        date_start="2017-05-25 00:00:00.000",
        date_end="2017-05-25 00:00:00.000",
        best="4",
        low="3",
        high="6",
        conflict_name="Syria: Government",
    )
    rows = []
    for i in range(10):
        rows.append({**good, "id": f"9{i:05d}", "relid": f"SYR-{i}"})
    rows[2]["latitude"] = "north"  # row 4
    rows[5]["date_start"] = "2017-13-45 00:00:00.000"  # row 7
    rows[8]["date_end"] = "2017-05-01 00:00:00.000"  # row 10: ends before it starts
    path = tmp_path / "ged_global.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    report = import_events(open_store(), path)
    assert report.format == "ucdp" and report.version.startswith("GED Global")
    assert (report.rows_read, report.imported, report.skipped) == (10, 7, 3)
    assert [(p.row, p.column) for p in report.problems] == [
        (4, "latitude"),
        (7, "date_start"),
        (10, "date_end"),
    ]
    assert "ends before it starts" in report.problems[2].reason


def test_own_format_round_trips(fresh_store_path, tmp_path):
    store = open_store()
    curated = store.events(EventFilter(datasets=("curated",)))
    csv_path = tmp_path / "out.csv"
    with csv_path.open("w", encoding="utf-8") as fh:
        export.events_csv(curated, fh)
    gj_path = tmp_path / "out.geojson"
    gj_path.write_text(json.dumps(export.events_geojson(curated, {})), encoding="utf-8")
    for path, name in ((csv_path, "mine-csv"), (gj_path, "mine-geojson")):
        report = import_events(store, path, dataset=name)
        assert (report.format, report.imported) == ("zonewatch", len(curated))
        back = store.events(EventFilter(datasets=(name,)))
        cols = [c for c in curated.columns if c != "dataset"]
        assert back[cols].reset_index(drop=True).equals(curated[cols].reset_index(drop=True))


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b"name,value\nx,1\n", "none of the known headers"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary file"),
        ("date_start,date_end\n".encode("utf-16"), "UTF-16"),
        (b"\xc0\xc1 not utf-8 " * 20, "not UTF-8"),
        (b'{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": [' + b"[" * 100000, "not valid JSON"),
        (b"PK\x03\x04" + bytes(100), "XLSX"),
        (FIXTURE.read_bytes().split(b"\n")[0] + b"\n", "no rows"),
    ],
    ids=[
        "empty",
        "blank",
        "unknown-header",
        "png",
        "utf16",
        "latin",
        "json-not-fc",
        "deep-json",
        "broken-zip",
        "header-only",
    ],
)
def test_bad_files_import_nothing_and_say_why(fresh_store_path, content, fragment):
    store = open_store()
    before = len(store.events())
    rev = store.revision()
    with pytest.raises(UploadError, match=fragment):
        import_events(store, io.BytesIO(content), name="bad.csv")
    assert len(store.events()) == before
    assert store.revision() == rev


def test_progress_is_reported(tmp_path):
    path = tmp_path / "big.csv"
    df = pd.read_csv(DATA / "ucdp" / "ged_syria.csv", dtype=str, keep_default_na=False)
    pd.concat([df] * 4).to_csv(path, index=False)
    seen = []
    with path.open("rb") as fh:
        chunks = list(read_event_file(fh, "big.csv", progress=lambda f, n: seen.append((f, n))))
    assert sum(len(c) for c in chunks) == 4 * len(df)
    assert len(seen) >= 2 and seen[-1][1] == 4 * len(df) and seen[-1][0] == pytest.approx(1.0)
    assert [n for _, n in seen] == sorted(n for _, n in seen)


def test_saving_is_reported_chunk_by_chunk_up_to_every_good_row(fresh_store_path, monkeypatch):
    from geo.uploads import events as uploads_events

    monkeypatch.setattr(uploads_events, "CHUNK_ROWS", 5000)
    store = open_store()
    seen = []
    report = import_events(
        store,
        DATA / "ucdp" / "ged_syria.csv",
        dataset="saving-test",
        saving=lambda done, total: seen.append((done, total)),
    )
    good = report.rows_read - report.skipped
    assert report.imported == good > 15000
    assert len(seen) == -(-report.rows_read // 5000)  # once per chunk taken by the store
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert {t for _, t in seen} == {good} and seen[-1][0] == good


def test_shipped_ucdp_counts_match_stdlib_for_place_actor_and_zone(store_env):
    store = open_store()
    zones = store.zone_versions()
    rows = [r for r in csv.DictReader((DATA / "ucdp" / "ged_syria.csv").open(encoding="utf-8"))]
    ucdp = ("ucdp",)

    def count(flt):
        return len(select_events(store, flt, zones))

    may = [
        r
        for r in rows
        if r["date_start"][:10] <= "2017-05-31" and r["date_end"][:10] >= "2017-05-01"
    ]
    assert count(EventFilter(start=date(2017, 5, 1), end=date(2017, 5, 31), datasets=ucdp)) == len(
        may
    )
    one_sided = [r for r in rows if r["type_of_violence"] == "3"]
    assert count(EventFilter(types=("One-sided violence",), datasets=ucdp)) == len(one_sided)
    near = [
        r for r in rows if vincenty_km(*RAQQA, float(r["latitude"]), float(r["longitude"])) <= 30
    ]
    assert count(EventFilter(near=(*RAQQA, 30), datasets=ucdp)) == len(near) > 0
    jaysh = [r for r in rows if "jaysh al-islam" in (r["side_a"] + "|" + r["side_b"]).lower()]
    assert count(EventFilter(actor="JAYSH AL-ISLAM", datasets=ucdp)) == len(jaysh) > 0
    features = export.zones_geojson(zones)["features"]
    inside = [  # each event in the version in force on its start date
        r
        for r in rows
        if in_zone_on(
            features,
            "eastern_ghouta",
            r["date_start"][:10],
            float(r["longitude"]),
            float(r["latitude"]),
        )
    ]
    assert count(EventFilter(zones=("eastern_ghouta",), datasets=ucdp)) == len(inside) > 0


@pytest.mark.parametrize(
    ("name", "make", "fragment"),
    [
        (
            "props.geojson",
            lambda: json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [{"type": "Feature", "properties": [1], "geometry": None}],
                }
            ).encode(),
            "none of the known headers",
        ),
        (
            "huge.csv",
            lambda: (
                FIXTURE.read_text(encoding="utf-8")
                .replace(",3,,1700000000", ",1e20,,1700000000")
                .encode()
            ),
            None,
        ),
        (
            "future.csv",
            lambda: (
                FIXTURE.read_text(encoding="utf-8")
                .replace("1700000000", "99999999999999999")
                .encode()
            ),
            None,
        ),
    ],
    ids=["geojson-list-properties", "huge-fatalities", "huge-timestamp"],
)
def test_odd_values_are_reported_not_crashes(fresh_store_path, name, make, fragment):
    store = open_store()
    if fragment:
        with pytest.raises(UploadError, match=fragment):
            import_events(store, io.BytesIO(make()), name=name)
    else:
        report = import_events(store, io.BytesIO(make()), name=name)
        assert report.rows_read == 4
        if name == "huge.csv":
            assert report.skipped == 1 and report.problems[0].column == "fatalities_best"
        else:
            assert report.version == "export (timestamp out of range)"


def test_xlsx_with_a_numeric_header_is_refused_clearly(fresh_store_path, tmp_path):
    path = tmp_path / "numbers.xlsx"
    pd.DataFrame({2017: ["a"], "x": ["b"]}).to_excel(path, index=False)
    with pytest.raises(UploadError, match="none of the known headers"):
        import_events(open_store(), path)


def test_csv_export_is_safe_in_spreadsheets_and_round_trips(fresh_store_path, tmp_path):
    store = open_store()
    one = store.events(EventFilter(datasets=("curated",))).head(1).copy()
    one["notes"] = '=HYPERLINK("http://evil.example","click")'
    one["actor1"] = "-ISIS"
    path = tmp_path / "out.csv"
    with path.open("w", encoding="utf-8") as fh:
        export.events_csv(one, fh)
    text = path.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and ",'-ISIS," in text
    import_events(store, path, dataset="roundtrip")
    back = store.events(EventFilter(datasets=("roundtrip",)))
    assert back["notes"].iloc[0] == one["notes"].iloc[0] and back["actor1"].iloc[0] == "-ISIS"


def test_dataset_names_are_one_identity_in_any_case(fresh_store_path):
    store = open_store()
    import_events(store, FIXTURE)
    again = import_events(store, FIXTURE, dataset="ACLED")
    assert (again.imported, again.already_present) == (0, 4)


def test_format_can_be_given_when_the_header_is_not_recognised(fresh_store_path):
    header = ",".join(
        ["date_start", "date_end", "latitude", "longitude", "event_type", "dataset", "dataset_id"]
    )
    data = (header + "\n2017-05-06,2017-05-06,35.9,36.6,Shelling,mine,m1\n").encode()
    with pytest.raises(UploadError, match="none of the known headers"):
        import_events(open_store(), io.BytesIO(data), name="mine.csv")
    report = import_events(open_store(), io.BytesIO(data), name="mine.csv", fmt="zonewatch")
    assert (report.imported, report.dataset) == (1, "mine")


def test_skip_reasons_print_control_characters_as_escapes():
    from geo.schema import RowProblem

    text = str(RowProblem(7, "latitude", "'\x1b[2Jnorth' is not a number of degrees"))
    assert "\x1b" not in text and "\\x1b[2Jnorth" in text


def test_attribution_follows_the_dataset_family():
    from geo.attribution import attribution_for

    assert "acleddata.com" in attribution_for("acled-2017")
    assert "Sundberg" in attribution_for("UCDP")
    assert "imported into ZoneWatch" in attribution_for("acledish")
