"""The event model: loading validates columns and types and names file, column and row."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.errors import DataFileError
from geo.schema import EVENT_COLUMNS, is_http_url, validate_events
from geo.sources.zonewatch_csv import read_events_csv


def _row(**overrides) -> dict:
    row = {c: "" for c in EVENT_COLUMNS}
    row.update(
        date_start="2017-05-25",
        date_end="2017-05-25",
        date_precision="day",
        latitude="35.2",
        longitude="38.6",
        location_precision="approximate",
        event_type="Air strike",
        dataset="curated",
        dataset_id="x1",
    )
    row.update(overrides)
    return row


def _write(tmp_path, rows, name="events.csv"):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_valid_file_loads_with_model_types(tmp_path):
    df = read_events_csv(_write(tmp_path, [_row(fatalities_best="3"), _row(dataset_id="x2")]))
    assert list(df.columns) == list(EVENT_COLUMNS)
    assert str(df["date_start"].dtype).startswith("datetime64")
    assert df["fatalities_best"].tolist()[0] == 3
    assert pd.isna(df["fatalities_best"].tolist()[1])


@pytest.mark.parametrize(
    ("overrides", "column", "fragment"),
    [
        ({"date_start": "25/05/2017"}, "date_start", "is not a date"),
        ({"date_start": "2017-05-25xyz"}, "date_start", "is not a date"),
        ({"latitude": "north"}, "latitude", "is not a number"),
        ({"latitude": "135.2"}, "latitude", "outside ±90"),
        ({"longitude": "inf"}, "longitude", "is not a number"),
        ({"fatalities_best": "-3"}, "fatalities_best", "whole number"),
        ({"fatalities_low": "2.5"}, "fatalities_low", "whole number"),
        ({"date_end": "2017-05-01"}, "date_end", "ends before it starts"),
        ({"event_type": ""}, "event_type", "is empty"),
        ({"location_precision": "somewhere"}, "location_precision", "is not one of"),
    ],
)
def test_bad_value_names_file_column_and_row(tmp_path, overrides, column, fragment):
    path = _write(tmp_path, [_row(), _row(dataset_id="x2"), _row(dataset_id="x3", **overrides)])
    with pytest.raises(DataFileError) as err:
        read_events_csv(path)
    msg = str(err.value)
    assert msg.startswith("events.csv")
    assert f"column '{column}'" in msg
    assert "row 4" in msg  # header is row 1, the bad event the third data row
    assert fragment in msg


def test_missing_column_is_named(tmp_path):
    rows = [{k: v for k, v in _row().items() if k != "actor2"}]
    with pytest.raises(DataFileError, match="missing column.*actor2"):
        read_events_csv(_write(tmp_path, rows))


def test_only_http_links_are_kept_as_links():
    df = pd.DataFrame(
        [
            _row(source_url="javascript:alert(1)"),
            _row(dataset_id="b", source_url="https://example.org/a?b=1"),
            _row(dataset_id="c", source_url="file:///etc/passwd"),
        ]
    )
    out = validate_events(df, "t.csv")
    assert out["source_url"].tolist() == ["", "https://example.org/a?b=1", ""]
    assert "javascript:alert(1)" in out["notes"].iloc[0]


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://a.b/c", True),
        ("HTTPS://a.b", True),
        ("javascript:alert(1)", False),
        ("//evil.example", False),
        (" https://a.b/ c", False),
        (None, False),
    ],
)
def test_is_http_url(url, ok):
    assert is_http_url(url) is ok


def test_ucdp_datetime_form_is_accepted(tmp_path):
    path = _write(tmp_path, [_row(date_start="2017-05-25 00:00:00.000", date_end="2017-05-26")])
    df = read_events_csv(path)
    assert df["date_start"].iloc[0] == pd.Timestamp("2017-05-25")


def test_key_places_errors_name_the_file(tmp_path):
    from geo.errors import DataFileError
    from geo.shipped import PLACES_CSV, data_dir
    from geo.sources.geonames import read_places

    keys = tmp_path / "key_places.csv"
    keys.write_text("geonameid,name_en,name_ar,label_zoom\n172955,Raqqa,الرقة,\n")
    with pytest.raises(DataFileError, match="key_places.csv, column 'label_zoom', row 2"):
        read_places(data_dir() / PLACES_CSV, keys)


@pytest.mark.parametrize(
    "reader", ["geo.sources.zonewatch_csv:read_events_csv", "geo.sources.ucdp:read_ucdp_csv"]
)
def test_a_file_that_is_not_utf8_csv_is_named_with_the_problem(tmp_path, reader):
    import importlib

    module, name = reader.split(":")
    read = getattr(importlib.import_module(module), name)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("location\nHalab \xe9\n".encode("latin-1"))
    with pytest.raises(DataFileError) as err:
        read(latin1)
    assert str(err.value) == "latin1.csv: cannot be read as a UTF-8 CSV (UnicodeDecodeError)"
    with pytest.raises(DataFileError, match=r"^gone\.csv: cannot be read as a UTF-8 CSV"):
        read(tmp_path / "gone.csv")
