"""What the fleet benchmarks ask of a cloud, and what both clouds' sides share.

The two sides are ecs_cloud.py (OpenECS's Alibaba actions) and moto_cloud.py
(moto's EC2 actions), each a ``Cloud``. A cloud builds a phase's requests as
``Step``s: the serialized request (signed, for OpenECS) and the check of its
answer, which returns what later steps need (an id, a page's instances) and
raises ``WrongAnswer`` for any other status or body, or
``NotImplementedAction`` when the server answers that it does not know the
action (Alibaba ``InvalidAction.NotFound``). The requests are those a real
client sends.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from drivers import RawClient, Server

# A check turns an answer (status, body) into what the next steps need.
Check = Callable[[int, bytes], Any]
Step = tuple[bytes, Check]
# A job is a chain of steps on one connection: it yields a step, gets the check's result.
Job = Generator[Step, Any, None]

BATCH = 100  # instances per RunInstances and per DeleteInstances/TerminateInstances
PAGE = 100  # instances per DescribeInstances page
SUBNET_ADDRESSES = 60_000  # addresses used per /16 vSwitch or subnet (of 65 531)


class WrongAnswer(Exception):
    """The server answered something other than the expected status and body."""


class NotImplementedAction(Exception):
    """The server does not implement the action (its phase is reported, not measured)."""


def steps(items: Iterable[Step]) -> Job:
    """A job of prepared steps, run one after the other."""
    for step in items:  # noqa: UP028 (yield from would pass send() on to a list's iterator)
        yield step


def batches(n: int, size: int = BATCH) -> list[int]:
    """``n`` split into runs of ``size`` and a remainder."""
    return [size] * (n // size) + ([n % size] if n % size else [])


def chunks(items: Sequence[str], size: int = BATCH) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def subnet_for(address: int) -> int:
    """Which of the fleet's subnets the ``address``-th consumer of an address draws from."""
    return address // SUBNET_ADDRESSES


def subnets_for(n: int) -> int:
    """Subnets a fleet of ``n`` instances and ``n`` network interfaces needs."""
    return subnet_for(2 * n - 1) + 1


def poll(what: str, done: Callable[[], bool], timeout: float) -> None:
    """Wait (untimed) until ``done()``; a bounded wait, never forever."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise WrongAnswer(f"{what}: not done after {timeout:.0f} s")
        time.sleep(0.2)


@dataclass
class Fleet:
    """What a run has created on one server so far."""

    subnets: list[str]
    groups: list[str]  # one per subnet (moto: one VPC each) or a single one (OpenECS)
    vpcs: list[str]
    instances: list[str]
    interfaces: list[str]

    def group(self, subnet: int) -> str:
        return self.groups[min(subnet, len(self.groups) - 1)]


class Cloud(ABC):
    """What both clouds offer the phases; each subclass speaks its vendor's wire."""

    name = ""
    server: Server

    def __init__(self) -> None:
        self.fleet = Fleet([], [], [], [], [])

    def control(self, step: Step) -> Any:
        """One untimed call (settling, warming up) on a new connection: a kept one may time out."""
        client = RawClient(self.server.port)
        try:
            return step[1](*client.call(step[0]))
        finally:
            client.close()

    def made(self, ids: list[str], amount: int) -> list[str]:
        """A RunInstances batch's ids, all ``amount`` of them, kept in the fleet."""
        assert len(ids) == amount, f"{len(ids)} instances, not {amount}"
        self.fleet.instances.extend(ids)
        return ids

    # What each cloud implements, phase by phase (see fleet.py's PHASES).
    @abstractmethod
    def warm_up(self) -> None:
        """One untimed read first, so that no phase pays for loading code on the first call."""

    @abstractmethod
    def create_vpcs(self, subnets: int) -> list[Step]: ...

    @abstractmethod
    def settle_vpcs(self) -> None: ...

    @abstractmethod
    def create_subnets(self, subnets: int) -> list[Step]: ...

    @abstractmethod
    def settle_subnets(self) -> None: ...

    @abstractmethod
    def create_groups(self) -> list[Step]: ...

    @abstractmethod
    def create_template(self, name: str) -> Step: ...

    @abstractmethod
    def create_template_version(self, name: str, n: int) -> Step: ...

    @abstractmethod
    def run_instances(self, first: int, amount: int) -> Step:
        """``amount`` instances, addresses from the subnet of the ``first``-th address."""

    @abstractmethod
    def settle_instances(self) -> None:
        """Wait (untimed) until the fleet has booted."""

    @abstractmethod
    def sweep(self) -> Job:
        """Every page of the fleet; the job fails unless the pages together are the fleet."""

    @abstractmethod
    def first_page(self) -> Step: ...

    @abstractmethod
    def describe_one(self, iid: str) -> Step: ...

    @abstractmethod
    def modify_instance(self, iid: str, n: int) -> Step: ...

    @abstractmethod
    def create_interface(self, address: int) -> Step: ...

    @abstractmethod
    def delete_instances(self, ids: Sequence[str]) -> Step: ...

    @abstractmethod
    def delete_interface(self, eni: str) -> Step: ...

    @abstractmethod
    def settle_deleted(self) -> None:
        """Wait (untimed) until the deleted fleet is gone, where the cloud removes it."""
