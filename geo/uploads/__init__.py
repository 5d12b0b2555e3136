"""The one place that touches untrusted bytes: every file people upload, on a page or
through the CLI, passes through this package before anything else sees it.

- :mod:`geo.uploads.sniff`: what a file is, from its first bytes (for every reader).
- :mod:`geo.uploads.events`: event files (UCDP, ACLED, ZoneWatch CSV/XLSX/GeoJSON).
- :mod:`geo.uploads.zones`: zone boundaries (GeoJSON, zipped Shapefile, GeoPackage,
  KML, KMZ): the entry point; one module per format (``geojson``, ``kml``,
  ``shapefile``, ``gpkg``) and concern (``crs``, ``properties``, ``geometry``,
  ``model``, ``report``).
- :mod:`geo.uploads.archive`: zip archives, read with their limits enforced while reading.
"""

from geo.uploads.common import UploadError
from geo.uploads.events import (
    CHUNK_ROWS,
    FORMATS,
    ImportReport,
    detect_format,
    import_events,
    read_event_file,
    sha256_of,
)

__all__ = [
    "CHUNK_ROWS",
    "FORMATS",
    "ImportReport",
    "UploadError",
    "detect_format",
    "import_events",
    "read_event_file",
    "sha256_of",
]
