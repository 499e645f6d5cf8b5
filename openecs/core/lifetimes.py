"""How long an instance lives: subscriptions that expire, auto-release times, spot interruptions.

Each end of a lifetime is a durable engine task written in the transaction that
decided it, and each task carries the time it was scheduled for: when the
instance's time changed since (renewed, rescheduled, cleared), the task finds
it stale and does nothing, so a reschedule never releases early.

* A subscription (PrePaid) ends at ``expires_at``. With auto-renewal it is
  renewed for its renewal period, again and again. Without, the instance is
  stopped and locked (``financial``: it cannot be started), and released
  :data:`EXPIRED_RETENTION` seconds later, as the vendors do after 15 days.
* An auto-release time releases the instance then (the core's ``RELEASE_TASK``).
* A spot instance can be interrupted once its protection period (``duration``
  hours after creation) is over: the interruption is announced, the instance is
  locked (``recycling``) and :data:`SPOT_NOTICE` seconds later it is released
  (``terminate``) or stopped (``stop``).
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection

from openecs.core import instances as core
from openecs.core.errors import Conflict, NotFound
from openecs.core.network import Scope
from openecs.engine.tasks import TaskContext, handler, schedule

EXPIRY_TASK = "instance.expiry"
EXPIRED_RELEASE_TASK = "instance.expired_release"
SPOT_TASK = "instance.spot_interruption"

EXPIRED_RETENTION = 15 * 86400.0  # an expired subscription is kept this long, stopped
SPOT_NOTICE = 300.0  # an interruption is announced this long before it happens
WEEK, MONTH = "week", "month"
TERMINATE, STOP = "terminate", "stop"
SUBSCRIPTION = "subscription"  # the keys of an instance's ``extra``
SPOT = "spot"
T = TypeVar("T")
_MAX_RACES = 100  # how often a timed event re-reads an instance another change got to first


@dataclass(frozen=True)
class Subscription:
    """A PrePaid instance's term and its renewal."""

    period: int
    unit: str  # week | month
    auto_renew: bool = False
    renew_period: int = 1


@dataclass(frozen=True)
class Spot:
    """A spot instance's bidding, protection and what an interruption does."""

    strategy: str
    price_limit: float | None = None
    duration: int = 1  # hours of protection after creation
    behavior: str = TERMINATE


def add_period(start: float, count: int, unit: str) -> float:
    """``start`` plus ``count`` weeks or calendar months (the day clamped to the month's end)."""
    if unit == WEEK:
        return start + count * 7 * 86400.0
    t = time.gmtime(start)
    months = t.tm_mon - 1 + count
    year, month = t.tm_year + months // 12, months % 12 + 1
    day = min(t.tm_mday, calendar.monthrange(year, month)[1])
    fraction = start - int(start)
    return calendar.timegm((year, month, day, t.tm_hour, t.tm_min, t.tm_sec)) + fraction


def extra_for(subscription: Subscription | None, spot: Spot | None) -> dict[str, Any]:
    """What an instance's ``extra`` keeps of its subscription and spot settings."""
    out: dict[str, Any] = {}
    if subscription is not None:
        out[SUBSCRIPTION] = asdict(subscription)
    if spot is not None:
        out[SPOT] = asdict(spot)
    return out


def spot_of(vm: core.Instance) -> Spot | None:
    return Spot(**vm.extra[SPOT]) if vm.extra.get(SPOT) else None


def schedule_expiry(conn: Connection, vm: core.Instance) -> None:
    """The end of ``vm``'s subscription term, if it has one."""
    if vm.expires_at is not None:
        schedule(conn, EXPIRY_TASK, {"id": vm.id, "at": vm.expires_at}, vm.expires_at)


def _settle(conn: Connection, instance_id: str, step: Callable[[core.Instance], T]) -> T | None:
    """Run ``step`` on the instance as it is now, again when another change won the race.

    A boot step or a user's request may commit between this read and this write (another
    worker, another process): the compare-and-swap refuses the stale write, and the event
    is decided again on what was committed, never lost.
    """
    for _ in range(_MAX_RACES):
        vm = core.find(conn, instance_id)
        if vm is None:
            return None
        try:
            return step(vm)
        except Conflict as err:
            if not err.details.get("raced"):
                raise
    raise Conflict("instance.incorrect_status", f"The instance {instance_id} kept changing.")


def _gone(instance_id: str) -> NotFound:
    return NotFound(
        "instance.not_found", f"The instance {instance_id} does not exist.", id=instance_id
    )


# -- auto-release


def set_auto_release(
    conn: Connection, scope: Scope, instance_id: str, at: float | None
) -> core.Instance:
    """Set, move or clear (``None``) the time the instance is released; only pay-as-you-go."""
    vm = core.get_instance(conn, scope, instance_id)
    if vm.charge_type == "PrePaid":
        raise Conflict(
            "instance.charge_type_violation",
            f"The instance {vm.id} is a subscription; it is released when it expires.",
            id=vm.id,
        )
    changed = _settle(conn, vm.id, lambda current: core.change(conn, current, auto_release_at=at))
    if changed is None:
        raise _gone(instance_id)
    if at is not None:
        core.schedule_auto_release(conn, vm.id, at)
    return changed


# -- subscriptions


@handler(EXPIRY_TASK)
def _expire(ctx: TaskContext, payload: dict[str, Any]) -> None:
    """A term ends: renew it (auto-renewal), or stop and lock the instance until its release."""

    def step(vm: core.Instance) -> None:
        if vm.expires_at != payload["at"] or vm.status == core.DELETING:
            return
        term = Subscription(**vm.extra[SUBSCRIPTION])
        if term.auto_renew:
            renewed = core.change(
                ctx.conn, vm, expires_at=add_period(vm.expires_at, term.renew_period, term.unit)
            )
            schedule_expiry(ctx.conn, renewed)
            return
        core.change(
            ctx.conn,
            vm,
            status=core.STOPPED,
            extra={core.LOCK_REASON: core.LOCKED_EXPIRED, "StoppedMode": "StopCharging"},
        )
        release_at = vm.expires_at + EXPIRED_RETENTION
        schedule(ctx.conn, EXPIRED_RELEASE_TASK, {"id": vm.id, "at": vm.expires_at}, release_at)

    _settle(ctx.conn, payload["id"], step)


@handler(EXPIRED_RELEASE_TASK)
def _release_expired(ctx: TaskContext, payload: dict[str, Any]) -> None:
    """The retention of an expired subscription is over: the instance is released."""
    vm = core.find(ctx.conn, payload["id"])
    if vm is None or vm.expires_at != payload["at"]:
        return
    if vm.extra.get(core.LOCK_REASON) == core.LOCKED_EXPIRED:
        core.release(ctx.conn, vm.id)


# -- spot interruptions


def announce_interruption(conn: Connection, instance_id: str, *, now: float) -> core.Instance:
    """Announce that a spot instance will be reclaimed :data:`SPOT_NOTICE` seconds from ``now``.

    Refused for an instance that is not a spot instance, that is still protected
    (``duration`` hours after creation), being deleted, or already being reclaimed.
    """
    at = now + SPOT_NOTICE

    def step(vm: core.Instance) -> core.Instance:
        spot = spot_of(vm)
        if spot is None:
            raise Conflict("instance.not_spot", f"The instance {vm.id} is not a spot instance.")
        if vm.status == core.DELETING or vm.extra.get(core.LOCK_REASON):
            raise Conflict(
                "instance.incorrect_status", f"The instance {vm.id} is {vm.status}, or locked."
            )
        protected_until = vm.created_at + spot.duration * 3600.0
        if now < protected_until:
            raise Conflict(
                "instance.spot_protected",
                f"The instance {vm.id} is protected for {protected_until - now:.0f} more seconds.",
                until=protected_until,
            )
        lock = {core.LOCK_REASON: core.LOCKED_RECYCLING, "spot_interruption_at": at}
        return core.change(conn, vm, extra=lock)

    announced = _settle(conn, instance_id, step)
    if announced is None:
        raise _gone(instance_id)
    schedule(conn, SPOT_TASK, {"id": announced.id, "at": at}, at)
    return announced


@handler(SPOT_TASK)
def _interrupt(ctx: TaskContext, payload: dict[str, Any]) -> None:
    """The notice is over: release the spot instance, or stop it without charging."""

    def step(vm: core.Instance) -> None:
        spot = spot_of(vm)
        if vm.extra.get("spot_interruption_at") != payload["at"] or spot is None:
            return
        if vm.status == core.DELETING:
            return
        if spot.behavior == TERMINATE:
            core.release(ctx.conn, vm.id)
            return
        core.change(
            ctx.conn,
            vm,
            status=core.STOPPED,
            extra={
                core.LOCK_REASON: None,
                "spot_interruption_at": None,
                "StoppedMode": "StopCharging",
            },
        )

    _settle(ctx.conn, payload["id"], step)
