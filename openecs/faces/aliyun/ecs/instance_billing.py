"""How a new instance is paid for and how long it lives: the vendor's rules, declared once.

RunInstances and CreateInstance share these declarations and :func:`check`:
``InstanceChargeType`` PostPaid (pay-as-you-go, optionally a spot instance) or
PrePaid (a subscription of ``Period`` weeks or months, optionally renewed
automatically), and ``AutoReleaseTime`` for pay-as-you-go instances. OpenECS
bills nothing (``AutoPay`` is accepted; an order answers ``TradePrice`` 0), but
the lifetimes are real: the engine stops an expired subscription and releases it
15 days later, releases at the auto-release time, and interrupts spot instances
(:mod:`openecs.core.lifetimes`).
"""

from __future__ import annotations

import calendar
import random
import re
import time
from dataclasses import dataclass
from typing import Any

from openecs.core import instances as core
from openecs.core import lifetimes
from openecs.faces.aliyun import errors as E
from openecs.faces.params import BOOLEAN, FLOAT, INTEGER, ErrorSpec, Param

POSTPAID, PREPAID = "PostPaid", "PrePaid"
NO_SPOT = "NoSpot"
# Period by PeriodUnit (RunInstances and CreateInstance alike).
PERIODS: dict[str, tuple[int, ...]] = {
    "Week": (1, 2, 3, 4),
    "Month": (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60),
}
# AutoRenewPeriod by PeriodUnit: RunInstances renews for longer terms than CreateInstance.
RUN_RENEW_PERIODS: dict[str, tuple[int, ...]] = {
    "Week": (1, 2, 3),
    "Month": (1, 2, 3, 6, 12, 24, 36, 48, 60),
}
CREATE_RENEW_PERIODS: dict[str, tuple[int, ...]] = {"Week": (1, 2, 3), "Month": (1, 2, 3, 6, 12)}
UNITS = {"Week": lifetimes.WEEK, "Month": lifetimes.MONTH}
_SALE_CYCLES = {core_unit: unit for unit, core_unit in UNITS.items()}
RELEASE_MIN_AHEAD = 30 * 60.0  # an auto-release time is at least 30 minutes ahead
RELEASE_MAX_MONTHS = 36  # and at most three years

CHARGE_TYPE_INVALID = ErrorSpec(
    "InvalidInstanceChargeType.NotFound",
    "The InstanceChargeType does not exist in our records.",
    404,
)
# The vendor's own spelling of this code.
PERIOD_MISSING = ErrorSpec("MissingParamter", 'The specified parameter "Period" is not null.')
PERIOD_INVALID = ErrorSpec("InvalidPeriod", "The specified period is not valid.")
PERIOD_UNIT_INVALID = ErrorSpec(
    "InvalidPeriodUnit.ValueNotSupported", "The specified parameter PeriodUnit is not valid."
)
RENEW_PERIOD_INVALID = ErrorSpec(
    "InvalidAutoRenewPeriod.ValueNotSupported", "The specified autoRenewPeriod is invalid."
)
AUTO_PAY_POSTPAID = ErrorSpec(
    "InvalidAutoPay.PostPaidUnsupported",
    "The specified parameter AutoPay must be set as true for postpaid instance.",
)
RELEASE_TIME_INVALID = ErrorSpec(
    "InvalidAutoReleaseTime.Malformed", "The specified parameter AutoReleaseTime is not valid."
)
CHARGE_TYPE_VIOLATION = E.DOMAIN_ERRORS["instance.charge_type_violation"]
PROTECTION_CHARGE_TYPE = ErrorSpec(
    "InvalidChargeType.ValueNotSupported",
    "Deletion protection is only valid for postPaid instance, not for prePaid or spot instance.",
    403,
)
SPOT_STRATEGY_INVALID = ErrorSpec("InvalidSpotStrategy", "The specified SpotStrategy is not valid.")
SPOT_PRICE_INVALID = ErrorSpec(
    "InvalidSpotPriceLimit", "The specified SpotPriceLimit is not valid."
)
SPOT_DURATION_INVALID = ErrorSpec("InvalidSpotDuration", "The specified SpotDuration is not valid.")
SPOT_PREPAID = ErrorSpec(
    "InvalidSpotPrepaid", "The specified Spot type is not support PrePay Instance."
)
SPOT_BEHAVIOR_INVALID = ErrorSpec(
    "InvalidSpotInterruptionBehavior", "The specified SpotInterruptionBehavior is not valid."
)

_RELEASE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")

INSTANCE_CHARGE_TYPE = Param(
    "InstanceChargeType",
    enum=(PREPAID, POSTPAID),
    default=POSTPAID,
    invalid=CHARGE_TYPE_INVALID,
    doc="PostPaid (default) or PrePaid: a subscription that expires (nothing is billed).",
)


def _any_of(periods: dict[str, tuple[int, ...]]) -> tuple[int, ...]:
    return tuple(sorted({n for values in periods.values() for n in values}))


PERIOD = Param(
    "Period",
    INTEGER,
    enum=_any_of(PERIODS),
    invalid=PERIOD_INVALID,
    doc="Required with PrePaid: Week 1-4; Month 1-9, 12, 24, 36, 48, 60.",
)
PERIOD_UNIT = Param(
    "PeriodUnit", enum=tuple(PERIODS), invalid=PERIOD_UNIT_INVALID, doc="Default Month."
)
AUTO_RENEW = Param(
    "AutoRenew", BOOLEAN, default=False, doc="PrePaid: renewed at expiry instead of stopped."
)


def auto_renew_period(periods: dict[str, tuple[int, ...]]) -> Param:
    """``AutoRenewPeriod`` with the operation's values per unit."""
    text = "; ".join(f"{u} {', '.join(map(str, v))}" for u, v in periods.items())
    return Param(
        "AutoRenewPeriod",
        INTEGER,
        enum=_any_of(periods),
        invalid=RENEW_PERIOD_INVALID,
        doc=f"Default 1: {text}.",
    )


AUTO_PAY = Param(
    "AutoPay", BOOLEAN, doc="Accepted: nothing is billed; false is refused for PostPaid."
)
AUTO_RELEASE_TIME = Param(
    "AutoReleaseTime",
    pattern=r"|" + _RELEASE_TIME.pattern,
    invalid=RELEASE_TIME_INVALID,
    doc="yyyy-MM-ddTHH:mm:ssZ (UTC), 30 minutes to 3 years ahead; seconds are dropped.",
)
SPOT_STRATEGY = Param(
    "SpotStrategy",
    enum=(NO_SPOT, "SpotWithPriceLimit", "SpotAsPriceGo"),
    default=NO_SPOT,
    invalid=SPOT_STRATEGY_INVALID,
    doc="PostPaid only; interruptions come from POST /_openecs/spot-interruptions.",
)
SPOT_PRICE_LIMIT = Param(
    "SpotPriceLimit",
    FLOAT,
    invalid=SPOT_PRICE_INVALID,
    doc="Required (> 0) with SpotWithPriceLimit; kept to three decimals.",
)
SPOT_DURATION = Param(
    "SpotDuration",
    INTEGER,
    enum=(0, 1),
    invalid=SPOT_DURATION_INVALID,
    doc="Hours of protection from interruption: 0 or 1 (default).",
)
SPOT_INTERRUPTION_BEHAVIOR = Param(
    "SpotInterruptionBehavior",
    enum=("Terminate", "Stop"),
    invalid=SPOT_BEHAVIOR_INVALID,
    doc="Terminate (default): released; Stop: stopped with StoppedMode StopCharging.",
)


@dataclass(frozen=True)
class Billing:
    """What the checks decided: the instance record's charge type, times and lifetime settings."""

    charge_type: str
    expires_at: float | None
    auto_release_at: float | None
    extra: dict[str, Any]

    def order(self) -> dict[str, Any]:
        """The order fields of a create answer: a subscription has an order, priced at nothing."""
        if self.charge_type != PREPAID:
            return {}
        return {"OrderId": str(random.randrange(10**14, 10**15)), "TradePrice": 0.0}


def release_time(value: str | None, now: float) -> float | None:
    """An AutoReleaseTime as engine seconds (its seconds dropped); ``None`` when empty."""
    if not value:
        return None
    try:
        at = float(calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        raise E.vendor(RELEASE_TIME_INVALID) from None
    latest = lifetimes.add_period(now, RELEASE_MAX_MONTHS, lifetimes.MONTH)
    if not now + RELEASE_MIN_AHEAD <= at <= latest:
        raise E.vendor(RELEASE_TIME_INVALID)
    return at - at % 60


def check(p: dict[str, Any], now: float, renew_periods: dict[str, tuple[int, ...]]) -> Billing:
    """The cross-parameter rules of charge type, subscription, spot, protection and release."""
    charge_type = p["InstanceChargeType"]
    strategy = p.get("SpotStrategy", NO_SPOT)
    subscription = spot = None
    expires_at = None
    if charge_type == PREPAID:
        if "Period" not in p:
            raise E.vendor(PERIOD_MISSING)
        unit = p.get("PeriodUnit") or "Month"
        if p["Period"] not in PERIODS[unit]:
            raise E.vendor(PERIOD_INVALID)
        renew = p.get("AutoRenewPeriod", 1)
        if renew not in renew_periods[unit]:
            raise E.vendor(RENEW_PERIOD_INVALID)
        if strategy != NO_SPOT:
            raise E.vendor(SPOT_PREPAID)
        if p.get("AutoReleaseTime"):
            raise E.vendor(CHARGE_TYPE_VIOLATION)
        subscription = lifetimes.Subscription(p["Period"], UNITS[unit], p["AutoRenew"], renew)
        expires_at = lifetimes.add_period(now, p["Period"], UNITS[unit])
    else:
        if p.get("AutoPay") is False:
            raise E.vendor(AUTO_PAY_POSTPAID)
        if strategy != NO_SPOT:
            limit = p.get("SpotPriceLimit")
            if strategy == "SpotWithPriceLimit" and not (limit and limit > 0):
                raise E.vendor(SPOT_PRICE_INVALID)
            behavior = p.get("SpotInterruptionBehavior", "Terminate")
            spot = lifetimes.Spot(
                strategy,
                round(limit, 3) if strategy == "SpotWithPriceLimit" else None,
                p.get("SpotDuration", 1),
                lifetimes.STOP if behavior == "Stop" else lifetimes.TERMINATE,
            )
    if p.get("DeletionProtection") and (subscription or spot):
        raise E.vendor(PROTECTION_CHARGE_TYPE)
    return Billing(
        charge_type,
        expires_at,
        release_time(p.get("AutoReleaseTime"), now),
        lifetimes.extra_for(subscription, spot),
    )


def render(vm: core.Instance) -> dict[str, Any]:
    """The billing fields of DescribeInstances' Instance shape."""
    spot = lifetimes.spot_of(vm)
    term = vm.extra.get(lifetimes.SUBSCRIPTION)
    behavior = "Stop" if spot and spot.behavior == lifetimes.STOP else "Terminate"
    return {
        "InstanceChargeType": vm.charge_type,
        "SaleCycle": _SALE_CYCLES.get(term["unit"], "") if term else "",
        "SpotStrategy": spot.strategy if spot else NO_SPOT,
        "SpotPriceLimit": spot.price_limit or 0.0 if spot else 0.0,
        "SpotDuration": spot.duration if spot else 0,
        "SpotInterruptionBehavior": behavior,
        "ExpiredTime": minute_time(vm.expires_at) if vm.expires_at else "2099-12-31T15:59Z",
        "AutoReleaseTime": minute_time(vm.auto_release_at) if vm.auto_release_at else "",
    }


def minute_time(seconds: float) -> str:
    """The vendor's yyyy-MM-ddTHH:mmZ of ExpiredTime and AutoReleaseTime."""
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(seconds))
