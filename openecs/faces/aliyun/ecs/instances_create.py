"""ECS 2014-05-26 CreateInstance: the older, single-instance create that leaves it Stopped.

The vendor's CreateInstance creates one instance that goes from Pending to
Stopped (the caller starts it with StartInstance) and answers its id, with the
order (OrderId, TradePrice) of a subscription. Its parameters are the subset of
RunInstances' it shares, with the vendor's differences: InstanceType is
required, SystemDisk.Size is an integer, DataDisk.N.Encrypted a boolean, tags
accept the deprecated lowercase key/value, auto-renewal periods are shorter,
and the classic-network parameters are refused. No AutoReleaseTime: the vendor
sets it afterwards with ModifyInstanceAutoReleaseTime. The checks and the
specs are RunInstances' own (:class:`.instances.Launch`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from openecs.faces.aliyun import common
from openecs.faces.aliyun.ecs import instance_billing as billing
from openecs.faces.aliyun.ecs.instance_params import RUN_PARAMS
from openecs.faces.aliyun.ecs.instances import Launch
from openecs.faces.aliyun.operations import operation
from openecs.faces.call import Call
from openecs.faces.params import BOOLEAN, INTEGER, Param

CLASSIC = "the classic network is retired: give VSwitchId"
# RunInstances' parameters CreateInstance does not have.
_RUN_ONLY = {
    "Amount",
    "AutoPay",
    "AutoReleaseTime",
    "ClockOptions",
    "CpuOptions.Core",
    "CpuOptions.Numa",
    "CpuOptions.ThreadsPerCore",
    "CpuOptions.TopologyType",
    "HostNames",
    "ImageOptions",
    "Ipv6Address",
    "Ipv6AddressCount",
    "Isp",
    "LaunchTemplateId",
    "LaunchTemplateName",
    "LaunchTemplateVersion",
    "MinAmount",
    "NetworkInterface",
    "NetworkInterfaceQueueNumber",
    "NetworkOptions",
    "PrivateDnsNameOptions",
    "SchedulerOptions.DedicatedHostClusterId",
    "SecurityGroupIds",
    "SecurityOptions.ConfidentialComputingMode",
    "SecurityOptions.TrustedSystemMode",
    "UniqueSuffix",
}
_DATA_DISK_RUN_ONLY = {"AutoSnapshotPolicyId", "BurstingEnabled", "ProvisionedIops"}


def _for_create(p: Param) -> Param:
    """One RunInstances declaration as CreateInstance's vendor table types it."""
    if p.name == "InstanceType":
        return replace(p, required=True)
    if p.name == "SystemDisk":
        fields = tuple(
            replace(f, type=INTEGER, pattern=None, minimum=1, maximum=65536)
            if f.name == "Size"
            else f
            for f in p.fields
            if f.name != "AutoSnapshotPolicyId"
        )
        return replace(p, fields=fields)
    if p.name == "DataDisk":
        assert p.items is not None
        fields = tuple(
            replace(f, type=BOOLEAN) if f.name == "Encrypted" else f
            for f in p.items.fields
            if f.name not in _DATA_DISK_RUN_ONLY
        )
        return replace(p, items=replace(p.items, fields=fields))
    if p.name == "Tag":
        return common.tags(extra_fields=common.LEGACY_TAG_FIELDS)
    if p.name == "AutoRenewPeriod":
        return billing.auto_renew_period(billing.CREATE_RENEW_PERIODS)
    return p


CREATE_PARAMS = [
    *(_for_create(p) for p in RUN_PARAMS if p.name not in _RUN_ONLY),
    Param("ClusterId", refused=CLASSIC),
    Param("InnerIpAddress", refused=CLASSIC),
    Param("VlanId", refused=CLASSIC),
    Param("NodeControllerId", refused="placement on a node is not modelled"),
    Param("UseAdditionalService", BOOLEAN, doc="Accepted: the images' services are not modelled."),
]


@operation("Ecs", "CreateInstance", params=CREATE_PARAMS)
def create_instance(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Create one instance: Pending, then Stopped (StartInstance starts it)."""
    launch = Launch.check(call, p, billing.CREATE_RENEW_PERIODS)
    with call.db.write() as conn:
        specs = launch.specs(conn, 1)
        return launch.create(
            conn, specs, "CreateInstance", lambda made: {"InstanceId": made[0].id}, boot=False
        )
