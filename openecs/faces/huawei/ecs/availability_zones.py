"""The availability zones of the caller's region, in ECS' two listings.

Nova's ``os-availability-zone`` (NovaListAvailabilityZones) names each zone
and its state; ECS' own ``availability-zones`` (ListServerAzInfo) adds the
zone's type, mode and public border group. Both read the zone records of the
catalog's region file.
"""

from __future__ import annotations

from typing import Any

from openecs.core import catalog
from openecs.faces.call import Call
from openecs.faces.huawei.common import region_of
from openecs.faces.huawei.operations import ECS, HuaweiArgs, operation


@operation(ECS, "NovaListAvailabilityZones", "GET", "/v2.1/{project_id}/os-availability-zone")
def nova_list_availability_zones(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query AZs (native OpenStack API)."""
    return {
        "availabilityZoneInfo": [
            {
                "zoneName": z["id"],
                "zoneState": {"available": z.get("available", True)},
                "hosts": None,
            }
            for z in catalog.huawei().zones(region_of(call))
        ]
    }


@operation(ECS, "ListServerAzInfo", "GET", "/v1/{project_id}/availability-zones")
def list_server_az_info(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """List AZs."""
    return {
        "availability_zones": [
            {
                "availability_zone_id": z["id"],
                "type": z.get("type", "Center"),
                "mode": z.get("mode", "shared"),
                "public_border_group": z.get("public_border_group", "center"),
                "alias": z.get("name", z["id"]),
                "az_group_ids": list(z.get("az_group_ids", [])),
                "category": z.get("category", 0),
            }
            for z in catalog.huawei().zones(region_of(call))
        ]
    }
