"""A format chosen by hand is checked: a file without that format's columns is refused,
naming what is missing, by the reader, the CLI (exit 2) and the Import page (an error),
and nothing is stored."""

from __future__ import annotations

import io
import json

import pytest
from test_app import _app
from test_cli import zw

from conftest import DATA
from geo.uploads import UploadError, read_event_file

PEOPLE = b"name,age,city\nAmal,34,Homs\nSami,29,Idlib\n"
UCDP = DATA / "ucdp" / "ged_syria.csv"


def _ucdp_head(rows: int = 3) -> bytes:
    with UCDP.open("rb") as fh:
        return b"".join(fh.readline() for _ in range(rows + 1))


def _geojson_people() -> bytes:
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [36.7, 34.7]},
        "properties": {"name": "Amal", "age": 34},
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


@pytest.mark.parametrize(
    ("data", "name", "fmt", "missing"),
    [
        (PEOPLE, "people.csv", "acled", "event_id_cnty, event_date, event_type, latitude"),
        (PEOPLE, "people.csv", "ucdp", "id, type_of_violence, side_a"),
        (PEOPLE, "people.csv", "zonewatch", "date_start, date_end"),
        (_ucdp_head(), "ged.csv", "acled", "event_id_cnty, event_date, event_type"),
        (_geojson_people(), "people.geojson", "acled", "event_id_cnty"),
    ],
    ids=["people-acled", "people-ucdp", "people-zonewatch", "ucdp-as-acled", "geojson-acled"],
)
def test_reader_refuses_a_forced_format_without_its_columns(data, name, fmt, missing):
    with pytest.raises(UploadError) as err:
        next(iter(read_event_file(io.BytesIO(data), name, fmt)))
    text = str(err.value)
    assert f"'{name}' is not in the" in text and missing in text
    assert "its columns:" in text


def test_reader_takes_a_forced_format_that_fits():
    chunks = list(read_event_file(io.BytesIO(_ucdp_head()), "ged.csv", "ucdp"))
    assert sum(len(c) for c in chunks) == 3


def test_cli_refuses_with_exit_2_and_stores_nothing(fresh_store_path, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(PEOPLE)
    before = zw("events", "--format", "count", env_store=fresh_store_path).stdout
    out = zw("import-events", str(path), "--format", "acled", env_store=fresh_store_path)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr
    assert "no column event_id_cnty, event_date" in lines[0] and "name, age, city" in lines[0]
    assert zw("events", "--format", "count", env_store=fresh_store_path).stdout == before


def test_import_page_shows_the_refusal_as_an_error(fresh_store_path):
    at = _app()
    at.switch_page("pages/import_events.py").run()
    at.selectbox[0].set_value("acled").run()
    at.get("file_uploader")[0].set_value(("people.csv", PEOPLE, "text/csv")).run()
    assert not at.exception
    assert any("no column event_id_cnty" in e.value for e in at.error), [e.value for e in at.error]
    assert not at.success  # no green "rows read"
    assert not any(b.label.startswith("Import") for b in at.button)


def test_zonewatch_needs_the_columns_every_event_fills_and_takes_a_dataset_name():
    header = "date_start,date_end,latitude,longitude,event_type,dataset_id"
    data = (header + "\n2017-05-06,2017-05-06,35.9,36.6,Shelling,m1\n").encode()
    with pytest.raises(UploadError, match="has no column dataset "):
        next(iter(read_event_file(io.BytesIO(data), "mine.csv", "zonewatch")))
    (chunk,) = read_event_file(io.BytesIO(data), "mine.csv", "zonewatch", dataset="mine")
    assert list(chunk["dataset"]) == ["mine"]
