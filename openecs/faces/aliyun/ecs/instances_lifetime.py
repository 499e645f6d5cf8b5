"""ECS 2014-05-26 ModifyInstanceAutoReleaseTime: set, move or clear a pay-as-you-go instance's
release time.

The release is a durable engine task due at that time; moving or clearing the
time leaves the earlier task stale (it checks the time it was scheduled for),
so the instance is released once, at the time it has when the time comes. A
subscription (PrePaid) is released when it expires instead: ChargeTypeViolation.
"""

from __future__ import annotations

from typing import Any

from openecs.core import lifetimes
from openecs.faces.aliyun import common
from openecs.faces.aliyun.ecs import instance_billing as billing
from openecs.faces.aliyun.ecs.instances_describe import INSTANCE_ID, find_instance
from openecs.faces.aliyun.operations import operation
from openecs.faces.aliyun.vpc.vpcs import scope
from openecs.faces.call import Call
from openecs.faces.params import optional


@operation(
    "Ecs",
    "ModifyInstanceAutoReleaseTime",
    params=[INSTANCE_ID, optional(common.REGION_ID), billing.AUTO_RELEASE_TIME],
)
def modify_instance_auto_release_time(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """Release the instance at AutoReleaseTime; without one (or empty), never automatically."""
    with call.db.write() as conn:
        vm = find_instance(conn, call, p["InstanceId"])
        at = billing.release_time(p.get("AutoReleaseTime"), call.clock.now())
        lifetimes.set_auto_release(conn, scope(call, vm.region), vm.id, at)
    return {}
