"""DescribeInstanceTypes and DescribeInstanceTypeFamilies: the instance types of the catalog.

Instance types are global (DescribeInstanceTypes takes no region); which zone
sells which type is DescribeZones' and DescribeAvailableResource's business.
Every filter the vendor offers is a row of one of the tables below, so the
declaration and the filtering come from the same place: exact matches, fuzzy
(case-insensitive substring) matches, lower bounds and upper bounds on a field
of the record. A record without the field (``BaselineCredit`` of a type that is
not burstable) never passes a bound on it.
"""

from __future__ import annotations

from typing import Any

from openecs.core import catalog
from openecs.faces.aliyun.common import REGION_ID, REGION_ID_IGNORED, max_results, next_token
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.paging import by_token
from openecs.faces.call import Call
from openecs.faces.params import FLOAT, INTEGER, LIST, Param

CATEGORIES = (
    "General-purpose",
    "Compute-optimized",
    "Memory-optimized",
    "Big data",
    "Local SSDs",
    "High Clock Speed",
    "Enhanced",
    "Shared",
    "Compute-optimized with GPU",
    "Visual Compute-optimized",
    "Heterogeneous Service",
    "Compute-optimized with FPGA",
    "Compute-optimized with NPU",
    "ECS Bare Metal",
    "Super Computing Cluster",
    "High Performance Compute",
)
ARCHITECTURES = ("X86", "ARM")
LEVELS = ("EntryLevel", "EnterpriseLevel", "CreditEntryLevel")
LOCAL_STORAGE = ("local_hdd_pro", "local_ssd_pro")

# (single parameter, list parameter, list limit, record field, legal values or None)
EXACT: list[tuple[str | None, str | None, int, str, tuple[str, ...] | None]] = [
    (None, "InstanceTypes", 10, "InstanceTypeId", None),
    ("InstanceTypeFamily", "InstanceTypeFamilies", 10, "InstanceTypeFamily", None),
    ("CpuArchitecture", "CpuArchitectures", 2, "CpuArchitecture", ARCHITECTURES),
    ("InstanceCategory", "InstanceCategories", 10, "InstanceCategory", CATEGORIES),
    ("LocalStorageCategory", "LocalStorageCategories", 2, "LocalStorageCategory", LOCAL_STORAGE),
    ("InstanceFamilyLevel", None, 0, "InstanceFamilyLevel", LEVELS),
    ("NvmeSupport", None, 0, "NvmeSupport", ("required", "unsupported")),
]
FUZZY: list[tuple[str, str, str]] = [
    ("GPUSpec", "GpuSpecs", "GPUSpec"),
    ("PhysicalProcessorModel", "PhysicalProcessorModels", "PhysicalProcessorModel"),
]
# (parameter, record field, declared type): the field must be at least the value.
MINIMUM: list[tuple[str, str, str]] = [
    ("MinimumCpuCoreCount", "CpuCoreCount", INTEGER),
    ("MinimumMemorySize", "MemorySize", FLOAT),
    ("MinimumCpuSpeedFrequency", "CpuSpeedFrequency", FLOAT),
    ("MinimumCpuTurboFrequency", "CpuTurboFrequency", FLOAT),
    ("MinimumGPUAmount", "GPUAmount", INTEGER),
    ("MinimumBaselineCredit", "BaselineCredit", INTEGER),
    ("MinimumInitialCredit", "InitialCredit", INTEGER),
    ("MinimumDiskQuantity", "DiskQuantity", INTEGER),
    ("MinimumEniQuantity", "EniQuantity", INTEGER),
    ("MinimumEniPrivateIpAddressQuantity", "EniPrivateIpAddressQuantity", INTEGER),
    ("MinimumEniIpv6AddressQuantity", "EniIpv6AddressQuantity", INTEGER),
    ("MinimumEriQuantity", "EriQuantity", INTEGER),
    ("MinimumQueuePairNumber", "QueuePairNumber", INTEGER),
    ("MinimumPrimaryEniQueueNumber", "PrimaryEniQueueNumber", INTEGER),
    ("MinimumSecondaryEniQueueNumber", "SecondaryEniQueueNumber", INTEGER),
    ("MinimumInstanceBandwidthRx", "InstanceBandwidthRx", INTEGER),
    ("MinimumInstanceBandwidthTx", "InstanceBandwidthTx", INTEGER),
    ("MinimumInstancePpsRx", "InstancePpsRx", INTEGER),
    ("MinimumInstancePpsTx", "InstancePpsTx", INTEGER),
    ("MinimumLocalStorageAmount", "LocalStorageAmount", INTEGER),
    ("MinimumLocalStorageCapacity", "LocalStorageCapacity", INTEGER),
]
# (parameter, record field, declared type): the field must be at most the value.
MAXIMUM: list[tuple[str, str, str]] = [
    ("MaximumCpuCoreCount", "CpuCoreCount", INTEGER),
    ("MaximumMemorySize", "MemorySize", FLOAT),
    ("MaximumCpuSpeedFrequency", "CpuSpeedFrequency", FLOAT),
    ("MaximumCpuTurboFrequency", "CpuTurboFrequency", FLOAT),
    ("MaximumGPUAmount", "GPUAmount", INTEGER),
]


def _declarations() -> list[Param]:
    params: list[Param] = []
    for single, many, limit, _field, legal in EXACT:
        item = Param("item", max_length=128, enum=legal)
        if single:
            params.append(Param(single, max_length=128, enum=legal))
        if many:
            params.append(Param(many, LIST, items=item, max_items=limit))
    for single, many, _field in FUZZY:
        params.append(Param(single, max_length=128))
        params.append(Param(many, LIST, items=Param("item", max_length=128), max_items=10))
    for name, _field, type_ in MINIMUM + MAXIMUM:
        params.append(Param(name, type_, minimum=0))
    params.append(
        Param(
            "AdditionalAttributes",
            LIST,
            items=Param("item", max_length=64),
            max_items=10,
            doc="Accepted: every attribute OpenECS knows is always returned.",
        )
    )
    params += [next_token(), max_results(maximum=1600, default=1600), REGION_ID_IGNORED]
    return params


def _matches(t: dict[str, Any], p: dict[str, Any]) -> bool:
    for single, many, _limit, field, _legal in EXACT:
        if single and single in p and t.get(field) != p[single]:
            return False
        if many and many in p and t.get(field) not in p[many]:
            return False
    for single, many, field in FUZZY:
        text = str(t.get(field, "")).lower()
        if single in p and p[single].lower() not in text:
            return False
        if many in p and not any(m.lower() in text for m in p[many]):
            return False
    for name, field, _type in MINIMUM:
        if name in p and (field not in t or t[field] < p[name]):
            return False
    for name, field, _type in MAXIMUM:
        if name in p and (field not in t or t[field] > p[name]):
            return False
    return True


@operation("Ecs", "DescribeInstanceTypes", params=_declarations())
def describe_instance_types(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """List instance types with their vCPUs, memory, network and ENI limits."""
    indexed = [(i, t) for i, t in enumerate(catalog.aliyun_instance_types()) if _matches(t, p)]
    page = by_token(indexed, p.get("NextToken"), p["MaxResults"], key=lambda it: it[0])
    return {"InstanceTypes": {"InstanceType": [t for _, t in page.items]}, **page.fields()}


@operation(
    "Ecs",
    "DescribeInstanceTypeFamilies",
    params=[
        REGION_ID,
        Param("Generation", max_length=32, doc="ecs-1 ... ecs-7; another value matches no family."),
    ],
)
def describe_instance_type_families(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """List the instance families sold in a region, with their series (Generation)."""
    deployed = {f for z in catalog.aliyun().zones(p["RegionId"]) for f in z["InstanceTypeFamilies"]}
    families = [
        {"InstanceTypeFamilyId": f["InstanceTypeFamilyId"], "Generation": f["Generation"]}
        for f in catalog.aliyun_families()
        if f["InstanceTypeFamilyId"] in deployed
        and p.get("Generation", f["Generation"]) == f["Generation"]
    ]
    return {"InstanceTypeFamilies": {"InstanceTypeFamily": families}}
