"""The catalog: regions, zones, instance types or flavors, and public images of each cloud.

The catalog is data, not code: JSON files under ``openecs/data/<cloud>/``,
loaded once and read-only. Each file holds records already in the vendor's
own field names, so a face renders them with little more than filtering and
paging. Which clouds exist and what their records hold is described in
``openecs/data/README.md``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

DATA_PACKAGE = "openecs.data"


@cache
def load(cloud: str, name: str) -> Any:
    """The parsed JSON of ``openecs/data/<cloud>/<name>.json`` (cached, do not mutate)."""
    text = resources.files(DATA_PACKAGE).joinpath(cloud, f"{name}.json").read_text("utf-8")
    return json.loads(text)


class CloudCatalog:
    """Regions and zones of one cloud, plus access to its other catalog files."""

    def __init__(self, cloud: str) -> None:
        self.cloud = cloud

    def regions(self) -> list[dict[str, Any]]:
        return load(self.cloud, "regions")

    def region_ids(self) -> list[str]:
        return [r["id"] for r in self.regions()]

    def region(self, region_id: str) -> dict[str, Any] | None:
        return _region_index(self.cloud).get(region_id)

    def zones(self, region_id: str) -> list[dict[str, Any]]:
        region = self.region(region_id)
        return [] if region is None else region["zones"]

    def zone_ids(self, region_id: str) -> list[str]:
        return [z["id"] for z in self.zones(region_id)]

    def zone(self, region_id: str, zone_id: str) -> dict[str, Any] | None:
        for z in self.zones(region_id):
            if z["id"] == zone_id:
                return z
        return None

    def records(self, name: str) -> list[dict[str, Any]]:
        """Every record of another catalog file of this cloud (instance types, images...)."""
        return load(self.cloud, name)


@cache
def _region_index(cloud: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in load(cloud, "regions")}


@cache
def aliyun() -> CloudCatalog:
    return CloudCatalog("aliyun")


@cache
def huawei() -> CloudCatalog:
    return CloudCatalog("huawei")
