"""Lifetimes of Alibaba instances through the official Tea SDK, on both stores, in engine time.

PrePaid subscriptions (Period, PeriodUnit, AutoRenew) expire: the instance is
stopped and locked, refuses to start, is released with TerminateSubscription
only then, and is released by the engine 15 days later. AutoReleaseTime and
ModifyInstanceAutoReleaseTime release pay-as-you-go instances at their time,
never early after a change. Spot instances show their settings and are
interrupted through the admin endpoint, 5 minutes after the announcement.
"""

from __future__ import annotations

import time

import httpx
import pytest
from alibabacloud_ecs20140526 import models as m

from tests import test_aliyun_instances as base

net = base.net  # the fixture: a VPC, a vSwitch in ZONE, a security group
_free, _instances, _refused, _run = base._free, base._instances, base._refused, base._run
DAY = 86400.0
WEEK = 7 * DAY


def _minute(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(seconds))


def _at(server, ahead: float) -> str:  # noqa: ANN001
    """An AutoReleaseTime ``ahead`` seconds after the engine's now."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(server.runtime.clock.now() + ahead))


def _one(net):  # noqa: ANN001, ANN202
    (vm_,) = _instances(net)
    return vm_


def _prepaid(net, **kw) -> str:  # noqa: ANN001
    (iid,) = _run(net, instance_charge_type="PrePaid", **kw).instance_id_sets.instance_id_set
    return iid


def _interrupt(server, iid: str) -> httpx.Response:  # noqa: ANN001
    return httpx.post(f"{server.url}/_openecs/spot-interruptions", json={"instance_id": iid})


# -- PrePaid


def test_a_subscription_expires_after_its_period(server, net):
    now = server.runtime.clock.now()
    body = _run(net, instance_charge_type="PrePaid", period=1, period_unit="Week", auto_pay=True)
    assert body.order_id and body.trade_price == 0.0
    vm_ = _one(net)
    assert (vm_.instance_charge_type, vm_.expired_time) == ("PrePaid", _minute(now + WEEK))
    assert vm_.sale_cycle == "Week"


def test_the_period_unit_defaults_to_month(server, net):
    now = server.runtime.clock.now()
    _prepaid(net, period=12)
    expected = time.gmtime(now)
    assert _one(net).expired_time.startswith(f"{expected.tm_year + 1}-{expected.tm_mon:02d}-")


def test_an_expired_subscription_is_stopped_locked_and_cannot_start(server, net):
    iid = _prepaid(net, period=1, period_unit="Week")
    base._boot(server)
    server.advance(WEEK + 1)
    vm_ = _one(net)
    assert (vm_.status, vm_.stopped_mode) == ("Stopped", "StopCharging")
    assert [lock.lock_reason for lock in vm_.operation_locks.lock_reason] == ["financial"]
    err = _refused(lambda: net["ecs"].start_instance(m.StartInstanceRequest(instance_id=iid)))
    assert (err.code, err.status_code) == ("InstanceExpiredOrInArrears", 403)
    assert _one(net).status == "Stopped"


def test_an_expired_subscription_is_released_fifteen_days_later(server, net):
    _prepaid(net, period=1, period_unit="Week")
    server.advance(WEEK + 14 * DAY)
    assert _one(net).status == "Stopped"
    server.advance(DAY + 1)
    assert _instances(net) == [] and _free(net) == 252


def test_an_auto_renewed_subscription_keeps_running_for_another_term(server, net):
    now = server.runtime.clock.now()
    _prepaid(net, period=1, period_unit="Week", auto_renew=True, auto_renew_period=2)
    base._boot(server)
    server.advance(WEEK + 1)
    vm_ = _one(net)
    assert (vm_.status, vm_.expired_time) == ("Running", _minute(now + 3 * WEEK))
    assert vm_.operation_locks.lock_reason == []


def test_a_subscription_in_service_is_not_deleted(server, net):
    iid = _prepaid(net, period=1)
    base._boot(server)
    request = m.DeleteInstanceRequest(instance_id=iid, force=True, terminate_subscription=True)
    err = _refused(lambda: net["ecs"].delete_instance(request))
    assert (err.code, err.status_code) == ("ChargeTypeViolation", 403)
    assert _one(net).status == "Running"


def test_an_expired_subscription_is_deleted_only_with_terminate_subscription(server, net):
    iid = _prepaid(net, period=1, period_unit="Week")
    server.advance(WEEK + 1)
    err = _refused(lambda: net["ecs"].delete_instance(m.DeleteInstanceRequest(instance_id=iid)))
    assert (err.code, err.status_code) == ("ChargeTypeViolation", 403)
    net["ecs"].delete_instance(
        m.DeleteInstanceRequest(instance_id=iid, terminate_subscription=True)
    )
    server.advance(3)
    assert _instances(net) == []


@pytest.mark.parametrize(
    ("kw", "code", "status"),
    [
        ({"instance_charge_type": "PrePaid"}, "MissingParamter", 400),
        ({"instance_charge_type": "PrePaid", "period": 10}, "InvalidPeriod", 400),
        (
            {"instance_charge_type": "PrePaid", "period": 5, "period_unit": "Week"},
            "InvalidPeriod",
            400,
        ),
        (
            {"instance_charge_type": "PrePaid", "period": 1, "period_unit": "Year"},
            "InvalidPeriodUnit.ValueNotSupported",
            400,
        ),
        (
            {
                "instance_charge_type": "PrePaid",
                "period": 1,
                "auto_renew": True,
                "auto_renew_period": 4,
            },
            "InvalidAutoRenewPeriod.ValueNotSupported",
            400,
        ),
        (
            {"instance_charge_type": "PrePaid", "period": 1, "spot_strategy": "SpotAsPriceGo"},
            "InvalidSpotPrepaid",
            400,
        ),
        (
            {"instance_charge_type": "PrePaid", "period": 1, "deletion_protection": True},
            "InvalidChargeType.ValueNotSupported",
            403,
        ),
        (
            {
                "instance_charge_type": "PrePaid",
                "period": 1,
                "auto_release_time": "2030-01-01T00:00:00Z",
            },
            "ChargeTypeViolation",
            403,
        ),
        ({"auto_pay": False}, "InvalidAutoPay.PostPaidUnsupported", 400),
        ({"spot_strategy": "Cheapest"}, "InvalidSpotStrategy", 400),
        (
            {"spot_strategy": "SpotWithPriceLimit", "spot_price_limit": 0.0},
            "InvalidSpotPriceLimit",
            400,
        ),
        ({"spot_strategy": "SpotAsPriceGo", "spot_duration": 2}, "InvalidSpotDuration", 400),
        (
            {"spot_strategy": "SpotAsPriceGo", "spot_interruption_behavior": "Hibernate"},
            "InvalidSpotInterruptionBehavior",
            400,
        ),
        (
            {"spot_strategy": "SpotAsPriceGo", "deletion_protection": True},
            "InvalidChargeType.ValueNotSupported",
            403,
        ),
        ({"auto_release_time": "tomorrow"}, "InvalidAutoReleaseTime.Malformed", 400),
        ({"auto_release_time": "2030-02-30T00:00:00Z"}, "InvalidAutoReleaseTime.Malformed", 400),
    ],
)
def test_a_bad_lifetime_answers_the_vendors_code_and_creates_nothing(net, kw, code, status):
    err = _refused(lambda: _run(net, **kw))
    assert (err.code, err.status_code) == (code, status)
    assert _instances(net) == [] and _free(net) == 252


# -- auto-release


def test_an_auto_release_time_less_than_half_an_hour_ahead_is_refused(server, net):
    err = _refused(lambda: _run(net, auto_release_time=_at(server, 20 * 60)))
    assert (err.code, err.status_code) == ("InvalidAutoReleaseTime.Malformed", 400)
    assert _instances(net) == []


def test_an_auto_release_time_more_than_three_years_ahead_is_refused(server, net):
    err = _refused(lambda: _run(net, auto_release_time=_at(server, 3 * 366 * DAY)))
    assert (err.code, err.status_code) == ("InvalidAutoReleaseTime.Malformed", 400)


def test_an_instance_is_released_at_its_auto_release_time(server, net):
    at = _at(server, 3600)
    _run(net, auto_release_time=at)
    assert _one(net).auto_release_time == at[:16] + "Z"
    server.advance(3500)
    assert _one(net).status == "Running"
    server.advance(200)
    assert _instances(net) == [] and _free(net) == 252


def test_an_auto_release_time_is_rounded_down_to_its_minute(server, net):
    at = _at(server, 3600)
    _run(net, auto_release_time=at[:17] + "59Z")
    assert _one(net).auto_release_time == at[:16] + "Z"


def _modify(net, iid: str, at: str | None) -> None:  # noqa: ANN001
    net["ecs"].modify_instance_auto_release_time(
        m.ModifyInstanceAutoReleaseTimeRequest(instance_id=iid, auto_release_time=at)
    )


def test_a_postponed_auto_release_does_not_release_early(server, net):
    (iid,) = _run(net, auto_release_time=_at(server, 3600)).instance_id_sets.instance_id_set
    _modify(net, iid, _at(server, 7200))
    server.advance(3700)
    assert _one(net).status == "Running"
    server.advance(3600)
    assert _instances(net) == []


def test_an_auto_release_time_can_be_set_after_creation(server, net):
    (iid,) = _run(net).instance_id_sets.instance_id_set
    at = _at(server, 1800 + 60)
    _modify(net, iid, at)
    assert _one(net).auto_release_time == at[:16] + "Z"
    server.advance(1900)
    assert _instances(net) == []


def test_clearing_the_auto_release_time_keeps_the_instance(server, net):
    (iid,) = _run(net, auto_release_time=_at(server, 3600)).instance_id_sets.instance_id_set
    _modify(net, iid, "")
    assert _one(net).auto_release_time == ""
    server.advance(7200)
    assert _one(net).instance_id == iid


def test_a_subscription_has_no_auto_release_time(server, net):
    iid = _prepaid(net, period=1)
    err = _refused(lambda: _modify(net, iid, _at(server, 3600)))
    assert (err.code, err.status_code) == ("ChargeTypeViolation", 403)
    assert _one(net).auto_release_time == ""


def test_a_refused_auto_release_time_changes_nothing(server, net):
    at = _at(server, 3600)
    (iid,) = _run(net, auto_release_time=at).instance_id_sets.instance_id_set
    err = _refused(lambda: _modify(net, iid, _at(server, 60)))
    assert (err.code, err.status_code) == ("InvalidAutoReleaseTime.Malformed", 400)
    assert _one(net).auto_release_time == at[:16] + "Z"


def test_modifying_the_auto_release_time_of_an_unknown_instance_is_not_found(net):
    err = _refused(lambda: _modify(net, "i-bp1none", None))
    assert (err.code, err.status_code) == ("InvalidInstanceId.NotFound", 404)


# -- spot


def test_a_spot_instance_shows_its_settings(net):
    _run(
        net,
        spot_strategy="SpotWithPriceLimit",
        spot_price_limit=0.0975,
        spot_duration=0,
        spot_interruption_behavior="Stop",
    )
    vm_ = _one(net)
    assert (vm_.spot_strategy, vm_.spot_price_limit, vm_.spot_duration) == (
        "SpotWithPriceLimit",
        0.098,
        0,
    )
    assert vm_.spot_interruption_behavior == "Stop"


def test_a_spot_instance_defaults_to_an_hour_of_protection_and_termination(net):
    _run(net, spot_strategy="SpotAsPriceGo")
    vm_ = _one(net)
    assert (vm_.spot_strategy, vm_.spot_duration, vm_.spot_interruption_behavior) == (
        "SpotAsPriceGo",
        1,
        "Terminate",
    )


def test_an_interrupted_spot_instance_is_released_five_minutes_later(server, net):
    (iid,) = _run(
        net, spot_strategy="SpotAsPriceGo", spot_duration=0
    ).instance_id_sets.instance_id_set
    base._boot(server)
    answer = _interrupt(server, iid)
    assert answer.status_code == 202 and answer.json()["behavior"] == "terminate"
    vm_ = _one(net)
    assert [lock.lock_reason for lock in vm_.operation_locks.lock_reason] == ["recycling"]
    server.advance(290)
    assert _one(net).status == "Running"
    server.advance(20)
    assert _instances(net) == [] and _free(net) == 252


def test_an_interrupted_spot_instance_with_stop_is_stopped_without_charging(server, net):
    (iid,) = _run(
        net, spot_strategy="SpotAsPriceGo", spot_duration=0, spot_interruption_behavior="Stop"
    ).instance_id_sets.instance_id_set
    base._boot(server)
    assert _interrupt(server, iid).status_code == 202
    server.advance(301)
    vm_ = _one(net)
    assert (vm_.status, vm_.stopped_mode) == ("Stopped", "StopCharging")
    assert vm_.operation_locks.lock_reason == []


def test_a_protected_spot_instance_is_not_interrupted(server, net):
    (iid,) = _run(net, spot_strategy="SpotAsPriceGo").instance_id_sets.instance_id_set
    answer = _interrupt(server, iid)
    assert (answer.status_code, answer.json()["reason"]) == (409, "instance.spot_protected")
    assert _one(net).operation_locks.lock_reason == []
    server.advance(3601)
    assert _interrupt(server, iid).status_code == 202


def test_only_spot_instances_are_interrupted(server, net):
    (iid,) = _run(net).instance_id_sets.instance_id_set
    answer = _interrupt(server, iid)
    assert (answer.status_code, answer.json()["reason"]) == (409, "instance.not_spot")


def test_an_interruption_is_announced_once(server, net):
    (iid,) = _run(
        net, spot_strategy="SpotAsPriceGo", spot_duration=0
    ).instance_id_sets.instance_id_set
    assert _interrupt(server, iid).status_code == 202
    assert _interrupt(server, iid).status_code == 409


def test_interrupting_an_unknown_instance_is_not_found(server):
    assert _interrupt(server, "i-bp1none").status_code == 404
    bad = httpx.post(f"{server.url}/_openecs/spot-interruptions", json={})
    assert bad.status_code == 400


def test_a_client_token_retry_answers_the_same_order(net):
    first = _run(net, client_token="pp-1", instance_charge_type="PrePaid", period=1)
    again = _run(net, client_token="pp-1", instance_charge_type="PrePaid", period=1)
    assert (again.order_id, again.instance_id_sets.instance_id_set) == (
        first.order_id,
        first.instance_id_sets.instance_id_set,
    )
    assert len(_instances(net)) == 1


def test_describe_instances_filters_by_lock_reason(server, net):
    expired = _prepaid(net, period=1, period_unit="Week")
    server.advance(WEEK + 1)
    _run(net)
    assert [i.instance_id for i in _instances(net, lock_reason="financial")] == [expired]
    assert _instances(net, lock_reason="recycling") == []
    assert len(_instances(net)) == 2


def test_start_instances_answers_an_expired_subscription_its_code(server, net):
    iid = _prepaid(net, period=1, period_unit="Week")
    server.advance(WEEK + 1)
    body = (
        net["ecs"]
        .start_instances(
            m.StartInstancesRequest(
                region_id=base.REGION, instance_id=[iid], batch_optimization="SuccessFirst"
            )
        )
        .body
    )
    (answer,) = body.instance_responses.instance_response
    assert (answer.instance_id, answer.code) == (iid, "InstanceExpiredOrInArrears")
