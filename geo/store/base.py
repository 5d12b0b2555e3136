"""The one store interface the app and the CLI read and write through."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date

import geopandas as gpd
import pandas as pd


class Store(ABC):
    """Zones with all their versions, events, places and reference boundaries.

    Nothing is ever overwritten: a changed zone is a new version.
    """

    @abstractmethod
    def events(self) -> pd.DataFrame:
        """All events in the event model (:mod:`geo.schema`)."""

    @abstractmethod
    def zone_versions(self) -> gpd.GeoDataFrame:
        """Every stored version of every zone."""

    def zones(self, as_of: date | None = None) -> gpd.GeoDataFrame:
        """The latest version of each zone, or the one in force on ``as_of``."""
        versions = self.zone_versions()
        if as_of is not None:
            versions = versions[versions["valid_from"] <= pd.Timestamp(as_of)]
        latest = versions.sort_values(["zone_id", "version"]).groupby("zone_id").tail(1)
        return latest.sort_values("zone_id").reset_index(drop=True)

    @abstractmethod
    def add_zone_version(self, zone: gpd.GeoDataFrame) -> list[int]:
        """Add one new version for each row of ``zone``; return the version numbers."""

    @abstractmethod
    def places(self) -> gpd.GeoDataFrame:
        """Towns and cities with English and Arabic names."""

    @abstractmethod
    def admin(self, level: int) -> gpd.GeoDataFrame:
        """Reference boundaries: 0 = country outline, 1 = governorates."""

    @abstractmethod
    def revision(self) -> str:
        """A token that changes whenever the stored data change (for caching)."""

    @property
    @abstractmethod
    def description(self) -> str:
        """A short human description of where the data live."""
