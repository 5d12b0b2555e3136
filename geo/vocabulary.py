"""Words the model, the pages and the command line share, in a module that imports
nothing: the command line builds its options from them without loading pandas."""

from __future__ import annotations

#: Location precision, from finest to coarsest. ``approximate`` means the place was
#: placed by us on the route or area a report describes, because no report names the spot.
LOCATION_PRECISIONS = {
    "exact": "exact place known",
    "near": "within about 25 km of the point",
    "approximate": "placed on the described route or area; no report names the spot",
    "admin2": "only the district is known (its centroid)",
    "admin1": "only the governorate is known (its centroid)",
    "region": "a larger region or a linear feature",
    "country": "only the country is known",
    "international": "international waters or airspace",
}

#: The status of a zone version.
ZONE_STATUSES = ("proposed", "agreed", "in force", "ended")

#: The event file formats an import reads.
EVENT_FORMATS = ("ucdp", "acled", "zonewatch")
