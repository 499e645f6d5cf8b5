"""The instance attributes ModifyInstanceAttribute changes beyond the core's columns.

CPU options, private DNS name options, jumbo frames (the MTU), the burstable
performance mode and the primary interface's queue count are kept in the
instance's (or the interface's) ``extra`` under the vendor's names. Each is
written by :mod:`.instance_modify` and read by :mod:`.instances_describe`
through the functions here, so the key and the default of each are written once.
A value never set shows the instance type's default from the catalog.
"""

from __future__ import annotations

from typing import Any

from openecs.core import instances as core
from openecs.core.interfaces import Interface

CPU_OPTIONS = "CpuOptions"  # {"Core", "ThreadsPerCore", "TopologyType"} as last modified
DNS_OPTIONS = "PrivateDnsNameOptions"
JUMBO_FRAME = "EnableJumboFrame"
CREDIT = "CreditSpecification"
QUEUE_NUMBER = "QueueNumber"  # on an interface's extra: its queue count
HOSTNAME_TYPES = ("Custom", "IpBased", "InstanceIdBased")
TOPOLOGY_TYPES = ("ContinuousCoreToHTMapping", "DiscreteCoreToHTMapping")
CREDIT_MODES = ("Standard", "Unlimited")
DNS_DEFAULTS: dict[str, Any] = {
    "HostnameType": "Custom",
    "EnableInstanceIdDnsARecord": False,
    "EnableInstanceIdDnsAAAARecord": False,
    "EnableIpDnsARecord": False,
    "EnableIpDnsPtrRecord": False,
}


def type_cpu(itype: dict[str, Any]) -> dict[str, Any]:
    """The instance type's CPU options (cores, threads per core, what may change)."""
    return itype.get("CpuOptions") or {}


def cpu_options(vm: core.Instance, itype: dict[str, Any]) -> dict[str, Any]:
    """Cores, threads per core and topology: the type's defaults under what was modified."""
    base = type_cpu(itype)
    threads = base.get("ThreadsPerCore", 1)
    cores = base.get("Core", itype.get("CpuCoreCount", 0) // max(threads, 1))
    chosen = vm.extra.get(CPU_OPTIONS, {})
    return {
        "Core": chosen.get("Core", cores),
        "ThreadsPerCore": chosen.get("ThreadsPerCore", threads),
        "TopologyType": chosen.get("TopologyType", ""),
    }


def vcpus(vm: core.Instance, itype: dict[str, Any]) -> int:
    """The vCPU count: cores times threads per core (1 thread per core halves it)."""
    if not type_cpu(itype):
        return itype.get("CpuCoreCount", 0)
    options = cpu_options(vm, itype)
    return options["Core"] * options["ThreadsPerCore"]


def burstable(itype: dict[str, Any]) -> bool:
    """A burstable (t5, t6...) type: the catalog gives it a CPU credit baseline."""
    return "BaselineCredit" in itype


def credit_specification(vm: core.Instance, itype: dict[str, Any]) -> str:
    if not burstable(itype):
        return ""
    return vm.extra.get(CREDIT, "Standard")


def jumbo_frame(vm: core.Instance) -> bool:
    return bool(vm.extra.get(JUMBO_FRAME, False))


def queue_number(iface: Interface, itype: dict[str, Any]) -> int:
    """An interface's queue count: as modified, else the type's default for its kind."""
    default_key = "PrimaryEniQueueNumber" if iface.type == "primary" else "SecondaryEniQueueNumber"
    return int(iface.extra.get(QUEUE_NUMBER, itype.get(default_key, 1)))


def described(vm: core.Instance, itype: dict[str, Any]) -> dict[str, Any]:
    """The fields DescribeInstances shows for these attributes."""
    options = cpu_options(vm, itype)
    return {
        "CpuOptions": {
            "CoreCount": options["Core"],
            "ThreadsPerCore": options["ThreadsPerCore"],
            "TopologyType": options["TopologyType"],
            "Numa": "",
        },
        "PrivateDnsNameOptions": {**DNS_DEFAULTS, **vm.extra.get(DNS_OPTIONS, {})},
        "CreditSpecification": credit_specification(vm, itype),
        "Recyclable": False,
    }


def attribute_fields(vm: core.Instance, itype: dict[str, Any]) -> dict[str, Any]:
    """What DescribeInstanceAttribute adds to them: the jumbo-frame setting, twice."""
    return {
        "EnableJumboFrame": jumbo_frame(vm),
        "NetworkOptions": {"EnableJumboFrame": jumbo_frame(vm)},
        "CreditSpecification": credit_specification(vm, itype),
    }
