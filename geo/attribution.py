"""What each dataset's events must carry wherever they are shown or exported."""

from __future__ import annotations

from geo.sources import acled, ucdp

ATTRIBUTION = {
    "ucdp": "UCDP Georeferenced Event Dataset (GED). " + ucdp.CITATION,
    "acled": acled.ATTRIBUTION,
    "curated": "ZoneWatch curated strikes from public reporting; each row names its sources.",
}


def attribution_for(dataset: str) -> str:
    """The attribution of a dataset (by its family name, case-insensitively)."""
    name = dataset.casefold()
    for family, text in ATTRIBUTION.items():
        # "acled-2017" or "ucdp_ged" keep their family's required credit
        if name == family or name.startswith((family + "-", family + "_", family + " ")):
            return text
    return f"Dataset '{dataset}', imported into ZoneWatch; see each event's source."


def attributions(datasets) -> dict[str, str]:
    """{dataset: attribution} for the datasets given."""
    return {d: attribution_for(d) for d in sorted(set(datasets))}
