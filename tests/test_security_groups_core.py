"""Security groups in the core: scoping, rules without duplicates, limits, deletion rules."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openecs.config import Settings
from openecs.core import network
from openecs.core import security_groups as sg
from openecs.core.accounts import create_account
from openecs.core.errors import Conflict, NotFound, QuotaExceeded
from openecs.runtime import Runtime

_ids = itertools.count()


def new_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}-{time.monotonic_ns()}"


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    rt = Runtime(Settings(data_dir=tmp_path), start_engine=False)
    yield rt
    rt.close()


@pytest.fixture
def scope(runtime: Runtime) -> network.Scope:
    with runtime.db.write() as conn:
        account = create_account(conn, f"sg-{time.monotonic_ns()}")
    return network.Scope("aliyun", account.id, "cn-hangzhou")


def _group(rt: Runtime, scope: network.Scope, **kw) -> sg.SecurityGroup:
    with rt.db.write() as conn:
        return sg.create_group(conn, scope, group_id=new_id("sg"), name="g", description="",
                               now=time.time(), rule_id=lambda: new_id("sgr"), **kw)


def _add(rt, scope, group, *specs, limit=None):
    with rt.db.write() as conn:
        return sg.add_rules(conn, scope, group.id, list(specs), rule_id=lambda: new_id("sgr"),
                            now=time.time(), limit=limit)


SSH = sg.RuleSpec(direction=sg.INGRESS, protocol="tcp", port_min=22, port_max=22, remote_cidr="0.0.0.0/0")


def test_a_group_in_an_unknown_vpc_is_refused(runtime, scope):
    with pytest.raises(NotFound) as err:
        _group(runtime, scope, vpc_id="vpc-missing")
    assert err.value.reason == "vpc.not_found"


def test_initial_rules_are_created_with_the_group(runtime, scope):
    group = _group(runtime, scope, rules=[SSH])
    with runtime.db.read() as conn:
        assert [r.port_min for r in sg.list_rules(conn, [group.id])[group.id]] == [22]


def test_the_same_rule_is_not_added_twice(runtime, scope):
    group = _group(runtime, scope)
    (first, created), = _add(runtime, scope, group, SSH)
    (again, created_again), = _add(runtime, scope, group, SSH)
    assert created and not created_again and again.id == first.id


def test_a_rule_past_the_limit_is_refused_and_nothing_is_added(runtime, scope):
    group = _group(runtime, scope, rules=[SSH])
    http = sg.RuleSpec(direction=sg.INGRESS, protocol="tcp", port_min=80, port_max=80, remote_cidr="0.0.0.0/0")
    with pytest.raises(QuotaExceeded), runtime.db.write() as conn:
        sg.add_rules(conn, scope, group.id, [http], rule_id=lambda: new_id("sgr"), now=time.time(), limit=1)
    with runtime.db.read() as conn:
        assert len(sg.list_rules(conn, [group.id])[group.id]) == 1


def test_removing_by_content_ignores_absent_rules(runtime, scope):
    group = _group(runtime, scope, rules=[SSH])
    other = sg.RuleSpec(direction=sg.EGRESS, remote_cidr="10.0.0.0/8")
    with runtime.db.write() as conn:
        gone = sg.remove_rules(conn, scope, group.id, matching=[SSH, other])
    assert [r.port_min for r in gone] == [22]


def test_removing_an_unknown_rule_id_is_refused(runtime, scope):
    group = _group(runtime, scope)
    with pytest.raises(NotFound) as err, runtime.db.write() as conn:
        sg.remove_rules(conn, scope, group.id, rule_ids=["sgr-missing"])
    assert err.value.reason == "security_group_rule.not_found"


def test_a_group_named_by_another_groups_rule_cannot_be_deleted(runtime, scope):
    source = _group(runtime, scope)
    target = _group(runtime, scope)
    _add(runtime, scope, target, sg.RuleSpec(direction=sg.INGRESS, remote_group_id=source.id))
    with pytest.raises(Conflict) as err, runtime.db.write() as conn:
        sg.delete_group(conn, scope, source.id)
    assert err.value.reason == "security_group.referenced"


def test_a_remote_group_of_another_account_is_not_found(runtime, scope):
    group = _group(runtime, scope)
    with runtime.db.write() as conn:
        other = network.Scope(scope.cloud, create_account(conn, f"o-{time.monotonic_ns()}").id, scope.region)
    foreign = _group(runtime, other)
    with pytest.raises(NotFound):
        _add(runtime, scope, group, sg.RuleSpec(direction=sg.INGRESS, remote_group_id=foreign.id))


def test_deleting_a_group_deletes_its_rules(runtime, scope):
    group = _group(runtime, scope, rules=[SSH])
    with runtime.db.write() as conn:
        sg.delete_group(conn, scope, group.id)
    with runtime.db.read() as conn:
        assert sg.list_rules(conn, [group.id])[group.id] == []
        with pytest.raises(NotFound):
            sg.get_group(conn, scope, group.id)


def test_groups_are_listed_by_ids_by_vpc_or_both_in_creation_order(runtime, scope) -> None:
    with runtime.db.write() as conn:
        one, two = (network.create_vpc(conn, scope, vpc_id=new_id("vpc"), cidr_block=cidr,
                                       name="v", description="", now=time.time(), ready_after=0)
                    for cidr in ("10.0.0.0/8", "172.16.0.0/12"))
    a, b = _group(runtime, scope, vpc_id=one.id), _group(runtime, scope, vpc_id=one.id)
    c = _group(runtime, scope, vpc_id=two.id)
    other = network.Scope(scope.cloud, scope.account_id, "cn-beijing")
    with runtime.db.read() as conn:
        ids = lambda **kw: [g.id for g in sg.list_groups(conn, scope, **kw)]  # noqa: E731
        assert ids() == [a.id, b.id, c.id]
        assert ids(vpc_id=one.id) == [a.id, b.id]
        assert ids(ids=[c.id, a.id]) == [a.id, c.id]
        assert ids(ids=[a.id, c.id], vpc_id=two.id) == [c.id]
        assert ids(ids=[]) == [] and sg.list_groups(conn, other) == []
        assert sg.interfaces_in(conn, [a.id, "sg-missing"]) == {a.id: 0, "sg-missing": 0}
