"""RunInstances' names and host names of a batch, through the official Tea SDK, on both stores.

Numbered names (``prefix[begin,bits]suffix``), UniqueSuffix, HostNames.N, the
``${instance_id}`` placeholder, and the vendor's code for each malformed form,
each refusal creating nothing.
"""

from __future__ import annotations

import json

import pytest

from tests import clients
from tests import test_aliyun_instances as base

net = base.net  # the fixture: a VPC, a vSwitch in ZONE, a security group
_free, _instances, _refused, _run = base._free, base._instances, base._refused, base._run


def _names(net) -> list[tuple[str, str]]:  # noqa: ANN001
    return sorted((i.instance_name, i.host_name) for i in _instances(net, max_results=100))


def test_a_numbered_name_numbers_each_instance_of_the_batch(net):
    _run(net, amount=3, instance_name="k8s-node-[1,4]-alibabacloud", host_name="k8s-node-[6,4]")
    assert _names(net) == [
        ("k8s-node-0001-alibabacloud", "k8s-node-0006"),
        ("k8s-node-0002-alibabacloud", "k8s-node-0007"),
        ("k8s-node-0003-alibabacloud", "k8s-node-0008"),
    ]


def test_empty_brackets_number_from_zero_with_six_digits(net):
    _run(net, amount=2, instance_name="web[]", host_name="web[,]")
    assert _names(net) == [("web000000", "web000000"), ("web000001", "web000001")]


def test_a_begin_longer_than_its_digits_gets_six_digits(net):
    _run(net, amount=1, instance_name="db[12345,3]x")
    assert _names(net)[0][0] == "db012345x"


def test_numbers_outgrow_their_digits(net):
    _run(net, amount=2, instance_name="n[9,1]")
    assert [n for n, _ in _names(net)] == ["n10", "n9"]


def test_unique_suffix_appends_an_increasing_suffix_to_plain_names(net):
    _run(net, amount=3, instance_name="web", host_name="host", unique_suffix=True)
    assert _names(net) == [("web001", "host001"), ("web002", "host002"), ("web003", "host003")]


def test_unique_suffix_follows_a_numbered_name_with_a_suffix(net):
    _run(net, amount=2, instance_name="a[1,2]-b", unique_suffix=True)
    assert [n for n, _ in _names(net)] == ["a01-b001", "a02-b002"]


def test_unique_suffix_leaves_a_numbered_name_without_suffix_alone(net):
    _run(net, amount=2, instance_name="node-[1,2]", unique_suffix=True)
    assert [n for n, _ in _names(net)] == ["node-01", "node-02"]


def test_unique_suffix_leaves_a_single_instance_alone(net):
    _run(net, instance_name="solo", unique_suffix=True)
    assert _names(net)[0][0] == "solo"


def test_without_unique_suffix_a_batch_shares_its_name(net):
    _run(net, amount=2, instance_name="same")
    assert [n for n, _ in _names(net)] == ["same", "same"]


def test_host_names_name_each_instance(net):
    _run(net, amount=2, host_names=["alpha", "beta.example"])
    assert sorted(h for _, h in _names(net)) == ["alpha", "beta.example"]


def test_the_instance_id_placeholder_is_filled_in(net):
    (iid,) = _run(net, host_name="k8s-${instance_id}").instance_id_sets.instance_id_set
    assert _names(net)[0][1] == f"k8s-{iid}"


@pytest.mark.parametrize(
    ("kw", "code", "status"),
    [
        ({"instance_name": "web[1,4"}, "InvalidInstanceName.CustomMalformed", 400),
        ({"instance_name": "web[1,4]x[2]"}, "InvalidInstanceName.CustomMalformed", 400),
        ({"instance_name": "web[a,4]"}, "InvalidInstanceName.CustomMalformed", 400),
        ({"instance_name": "web[1,7]"}, "InvalidInstanceName.CustomMalformed", 400),
        ({"instance_name": "web[1000000,6]"}, "InvalidInstanceName.CustomMalformed", 400),
        ({"host_name": "h[1,0]"}, "InvalidInstanceName.CustomMalformed", 400),
        ({"instance_name": "[1,4]web"}, "InvalidInstanceName.Malformed", 400),
        ({"instance_name": "web[1,4]!"}, "InvalidInstanceName.Malformed", 400),
        ({"host_name": "-h[1,4]"}, "InvalidHostName.Malformed", 400),
        (
            {"amount": 2, "instance_name": "x" * 126, "unique_suffix": True},
            "InvalidParams.InstanceNameExceed",
            403,
        ),
        (
            {"amount": 2, "host_name": "h" * 62, "unique_suffix": True},
            "InvalidParams.HostnameExceed",
            403,
        ),
        ({"amount": 2, "host_names": ["a1"]}, "InvalidHostname.SizeInvalid", 403),
        ({"amount": 1, "host_names": ["a1", "a2"]}, "InvalidHostname.SizeInvalid", 403),
        (
            {"host_name": "h1", "host_names": ["a1"]},
            "InvalidHostname.SingleAndMultiConflict",
            403,
        ),
        ({"host_names": ["-bad"]}, "InvalidHostName.Malformed", 400),
    ],
)
def test_a_malformed_name_answers_the_vendors_code_and_creates_nothing(net, kw, code, status):
    err = _refused(lambda: _run(net, **kw))
    assert (err.code, err.status_code) == (code, status)
    assert _instances(net) == [] and _free(net) == 252


def test_the_legacy_sdk_names_a_batch_with_host_names_and_unique_suffix(tenant, net):
    from aliyunsdkecs.request.v20140526.RunInstancesRequest import RunInstancesRequest

    request = RunInstancesRequest()
    request.set_ImageId(base.IMAGE)
    request.set_InstanceType(base.TYPE)
    request.set_VSwitchId(net["vsw"])
    request.set_SecurityGroupId(net["sg"])
    request.set_Amount(2)
    request.set_InstanceName("legacy")
    request.set_UniqueSuffix(True)
    request.set_HostNamess(["one", "two"])
    answer = json.loads(clients.legacy(tenant).do_action_with_exception(request))
    assert len(answer["InstanceIdSets"]["InstanceIdSet"]) == 2
    assert _names(net) == [("legacy001", "one"), ("legacy002", "two")]
