"""CreateLaunchTemplateVersion (seed 000), DescribeLaunchTemplateVersions and
DeleteLaunchTemplateVersion through the official Tea SDK, on both stores.

Every field of a version comes back as given, in the vendor's shape; each
code of seed 000's error table is triggered by a test, and a refused request
leaves the template as it was (read back after the refusal).
"""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException

from openecs.core import templates as core_templates
from tests import clients

REGION = "cn-hangzhou"


@pytest.fixture
def ecs(tenant):  # noqa: ANN001, ANN201
    return clients.tea_ecs(tenant)


@pytest.fixture
def lt(ecs) -> str:  # noqa: ANN001
    """A template with version 1 (image and type only)."""
    return ecs.create_launch_template(
        m.CreateLaunchTemplateRequest(
            region_id=REGION,
            launch_template_name="web",
            image_id="aliyun_3_x64_20G_alibase_20240528.vhd",
            instance_type="ecs.g7.large",
        )
    ).body.launch_template_id


def _add(ecs, lt: str, **kw):  # noqa: ANN001, ANN202
    values = {"region_id": REGION, "launch_template_id": lt, **kw}
    request = m.CreateLaunchTemplateVersionRequest(**values)
    return ecs.create_launch_template_version(request).body


def _versions(ecs, lt: str, **kw) -> list:  # noqa: ANN001
    request = m.DescribeLaunchTemplateVersionsRequest(
        region_id=REGION, launch_template_id=lt, page_size=50, **kw
    )
    return ecs.describe_launch_template_versions(
        request
    ).body.launch_template_version_sets.launch_template_version_set  # noqa: E501


def _numbers(ecs, lt: str) -> list[int]:  # noqa: ANN001
    return [v.version_number for v in _versions(ecs, lt)]


def _refused(call) -> ClientException:  # noqa: ANN001
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def test_a_new_version_takes_the_next_number(ecs, lt):
    body = _add(ecs, lt, image_id="img-2", version_description="second")
    assert (body.launch_template_id, body.launch_template_version_number) == (lt, 2)
    assert _numbers(ecs, lt) == [1, 2]


def test_a_version_is_found_by_the_template_name_too(ecs, lt):
    request = m.CreateLaunchTemplateVersionRequest(region_id=REGION, launch_template_name="web")
    assert ecs.create_launch_template_version(request).body.launch_template_version_number == 2


def test_every_field_of_a_version_comes_back_as_given(ecs, lt):
    data = base64.b64encode(b"#!/bin/sh\necho hi\n").decode()
    _add(
        ecs,
        lt,
        version_description="full",
        image_id="img-x",
        instance_type="ecs.g7.xlarge",
        security_group_ids=["sg-1", "sg-2"],
        v_switch_id="vsw-1",
        vpc_id="vpc-1",
        zone_id="cn-hangzhou-h",
        instance_name="node-[1,4]",
        host_name="node.example",
        description="a description",
        internet_max_bandwidth_out=20,
        internet_max_bandwidth_in=15,
        internet_charge_type="PayByTraffic",
        user_data=data,
        key_pair_name="kp",
        ram_role_name="role",
        spot_strategy="SpotWithPriceLimit",
        spot_price_limit=0.125,
        spot_duration=1,
        instance_charge_type="PostPaid",
        deletion_protection=True,
        http_endpoint="enabled",
        http_tokens="required",
        system_disk=m.CreateLaunchTemplateVersionRequestSystemDisk(
            category="cloud_essd", size=60, performance_level="PL1", disk_name="root"
        ),
        data_disk=[
            m.CreateLaunchTemplateVersionRequestDataDisk(
                category="cloud_essd", size=100, performance_level="PL1", delete_with_instance=False
            )
        ],
        network_interface=[
            m.CreateLaunchTemplateVersionRequestNetworkInterface(
                v_switch_id="vsw-2", security_group_ids=["sg-3"], instance_type="Secondary"
            )
        ],
        tag=[m.CreateLaunchTemplateVersionRequestTag(key="env", value="prod")],
        image_options=m.CreateLaunchTemplateVersionRequestImageOptions(login_as_non_root=True),
        security_options=m.CreateLaunchTemplateVersionRequestSecurityOptions(
            trusted_system_mode="vTPM"
        ),
    )
    (v,) = _versions(ecs, lt, launch_template_version=[2])
    d = v.launch_template_data
    assert (v.version_description, v.default_version) == ("full", False)
    assert (d.image_id, d.instance_type, d.instance_name, d.host_name) == (
        "img-x",
        "ecs.g7.xlarge",
        "node-[1,4]",
        "node.example",
    )
    assert d.security_group_ids.security_group_id == ["sg-1", "sg-2"]
    assert (d.v_switch_id, d.vpc_id, d.zone_id, d.user_data) == (
        "vsw-1",
        "vpc-1",
        "cn-hangzhou-h",
        data,
    )
    assert (d.internet_max_bandwidth_out, d.internet_max_bandwidth_in) == (20, 15)
    assert (d.spot_strategy, d.spot_price_limit, d.spot_duration) == (
        "SpotWithPriceLimit",
        0.125,
        1,
    )
    assert (d.deletion_protection, d.http_tokens) == (True, "required")
    assert (d.system_disk.category, d.system_disk.size, d.system_disk.disk_name) == (
        "cloud_essd",
        60,
        "root",
    )
    (disk,) = d.data_disks.data_disk
    assert (disk.category, disk.size, disk.delete_with_instance) == ("cloud_essd", 100, False)
    (nic,) = d.network_interfaces.network_interface
    assert (nic.v_switch_id, nic.security_group_ids.security_group_id) == ("vsw-2", ["sg-3"])
    assert [(t.key, t.value) for t in d.tags.instance_tag] == [("env", "prod")]
    assert (d.image_options.login_as_non_root, d.security_options.trusted_system_mode) == (
        True,
        "vTPM",
    )


def test_the_system_disk_is_also_answered_with_flat_keys(tenant, ecs, lt):
    from aliyunsdkecs.request.v20140526.DescribeLaunchTemplateVersionsRequest import (
        DescribeLaunchTemplateVersionsRequest,
    )

    _add(ecs, lt, system_disk=m.CreateLaunchTemplateVersionRequestSystemDisk(size=50))
    request = DescribeLaunchTemplateVersionsRequest()
    request.set_LaunchTemplateId(lt)
    request.set_LaunchTemplateVersions([2])
    body = json.loads(clients.legacy(tenant).do_action_with_exception(request))
    data = body["LaunchTemplateVersionSets"]["LaunchTemplateVersionSet"][0]["LaunchTemplateData"]
    assert data["SystemDisk.Size"] == 50 and data["SystemDisk"] == {"Size": 50}


def test_versions_are_selected_by_number_range_and_default(ecs, lt):
    for _ in range(3):
        _add(ecs, lt)
    assert [v.version_number for v in _versions(ecs, lt, launch_template_version=[2, 4])] == [2, 4]
    assert [v.version_number for v in _versions(ecs, lt, min_version=2, max_version=3)] == [2, 3]
    assert [v.version_number for v in _versions(ecs, lt, default_version=True)] == [1]


def test_detail_flag_false_leaves_out_the_data(ecs, lt):
    (v,) = _versions(ecs, lt, detail_flag=False)
    assert v.launch_template_data is None and v.version_number == 1


def test_versions_page_by_page_number(ecs, lt):
    for _ in range(4):
        _add(ecs, lt)
    request = m.DescribeLaunchTemplateVersionsRequest(
        region_id=REGION, launch_template_id=lt, page_size=2, page_number=3
    )
    body = ecs.describe_launch_template_versions(request).body
    assert body.total_count == 5 and (body.page_number, body.page_size) == (3, 2)
    assert [
        v.version_number for v in body.launch_template_version_sets.launch_template_version_set
    ] == [5]  # noqa: E501


def test_deleting_versions_answers_them_and_keeps_the_rest(ecs, lt):
    _add(ecs, lt)
    _add(ecs, lt)
    body = ecs.delete_launch_template_version(
        m.DeleteLaunchTemplateVersionRequest(
            region_id=REGION, launch_template_id=lt, delete_version=[2, 3]
        )
    ).body
    got = body.launch_template_versions.launch_template_version
    assert [(v.launch_template_id, v.launch_template_version_number) for v in got] == [
        (lt, 2),
        (lt, 3),
    ]
    assert _numbers(ecs, lt) == [1]


def test_the_default_version_is_not_deleted(ecs, lt):
    _add(ecs, lt)
    request = m.DeleteLaunchTemplateVersionRequest(
        region_id=REGION, launch_template_id=lt, delete_version=[1, 2]
    )
    err = _refused(lambda: ecs.delete_launch_template_version(request))
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert _numbers(ecs, lt) == [1, 2]


def test_deleting_a_missing_version_is_not_found(ecs, lt):
    request = m.DeleteLaunchTemplateVersionRequest(
        region_id=REGION, launch_template_id=lt, delete_version=[9]
    )
    err = _refused(lambda: ecs.delete_launch_template_version(request))
    assert (err.code, err.status_code) == ("InvalidLaunchTemplateVersion.NotFound", 404)


def test_terraform_deletes_the_oldest_version_at_thirty_and_adds_the_next(ecs, lt):
    for _ in range(29):
        _add(ecs, lt)
    err = _refused(lambda: _add(ecs, lt))
    assert (err.code, err.status_code) == ("LaunchTemplateVersionLimitExceed", 403)
    assert len(_numbers(ecs, lt)) == 30
    ecs.delete_launch_template_version(
        m.DeleteLaunchTemplateVersionRequest(
            region_id=REGION, launch_template_id=lt, delete_version=[2]
        )
    )
    assert _add(ecs, lt).launch_template_version_number == 31
    assert _numbers(ecs, lt) == [1, *range(3, 32)]


# -- seed 000's error table, one test per code; each refusal leaves the template as it was


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"description": "http://x"}, "InvalidDescription.Malformed"),
        ({"version_description": "x"}, "InvalidDescription.Malformed"),
        ({"user_data": "not base64!"}, "InvalidUserData.Base64FormatInvalid"),
        (
            {"user_data": base64.b64encode(b"x" * (32 * 1024 + 1)).decode()},
            "InvalidUserData.SizeExceeded",
        ),
        ({"host_name": "-bad-"}, "InvalidHostName.Malformed"),
        (
            {
                "tag": [
                    m.CreateLaunchTemplateVersionRequestTag(key="a", value="1"),
                    m.CreateLaunchTemplateVersionRequestTag(key="a", value="2"),
                ]
            },
            "Duplicate.TagKey",
        ),
        (
            {
                "network_interface": [
                    m.CreateLaunchTemplateVersionRequestNetworkInterface(instance_type="Secondary"),
                    m.CreateLaunchTemplateVersionRequestNetworkInterface(instance_type="Secondary"),
                ]
            },
            "InvalidParams.CreateEniParams",
        ),
        (
            {
                "network_interface": [
                    m.CreateLaunchTemplateVersionRequestNetworkInterface(
                        security_group_id="sg-1", security_group_ids=["sg-2"]
                    )
                ]
            },
            "InvalidParams.CreateEniParams",
        ),
        ({"internet_max_bandwidth_out": 101}, "InvalidParameter"),
        ({"internet_max_bandwidth_out": 5, "internet_max_bandwidth_in": 11}, "InvalidParameter"),
        ({"period": 10, "instance_charge_type": "PrePaid"}, "InvalidParameter"),
        ({"spot_strategy": "Cheap"}, "InvalidParameter"),
        ({"spot_price_limit": 0.1234}, "InvalidParameter"),
        ({"security_group_id": "sg-1", "security_group_ids": ["sg-2"]}, "InvalidParameter"),
        (
            {"system_disk": m.CreateLaunchTemplateVersionRequestSystemDisk(category="nope")},
            "InvalidParameter",
        ),
        (
            {
                "system_disk": m.CreateLaunchTemplateVersionRequestSystemDisk(
                    category="cloud", size=600
                )
            },
            "InvalidParameter",
        ),
        (
            {
                "data_disk": [
                    m.CreateLaunchTemplateVersionRequestDataDisk(
                        category="cloud_essd", performance_level="PL2", size=100
                    )
                ]
            },
            "InvalidParameter",
        ),
        ({"instance_charge_type": "PrePaid"}, "MissingParameter"),
        ({"region_id": "cn-nowhere"}, "InvalidRegion.NotExist"),
    ],
)
def test_a_bad_version_answers_the_seeds_code_and_changes_nothing(ecs, lt, kw, code):
    err = _refused(lambda: _add(ecs, lt, **kw))
    assert (err.code, err.status_code) == (code, 400)
    assert _numbers(ecs, lt) == [1]


def test_a_version_of_no_template_names_one(ecs, lt):
    err = _refused(
        lambda: ecs.create_launch_template_version(
            m.CreateLaunchTemplateVersionRequest(region_id=REGION, image_id="img")
        )
    )
    assert (err.code, err.status_code) == ("MissingParameter", 400)
    assert _numbers(ecs, lt) == [1]


def test_a_version_of_an_unknown_template_is_not_found(ecs, lt):
    err = _refused(lambda: _add(ecs, "lt-bp1nothere"))
    assert (err.code, err.status_code) == ("InvalidLaunchTemplate.NotFound", 404)
    err = _refused(
        lambda: ecs.create_launch_template_version(
            m.CreateLaunchTemplateVersionRequest(region_id=REGION, launch_template_name="nope")
        )
    )
    assert (err.code, err.status_code) == ("InvalidLaunchTemplate.NotFound", 404)


def test_an_unknown_resource_group_is_not_found(ecs, lt):
    err = _refused(lambda: _add(ecs, lt, resource_group_id="not-a-group"))
    assert (err.code, err.status_code) == ("InvalidResourceGroup.NotFound", 404)
    assert _numbers(ecs, lt) == [1]


def test_an_internal_failure_answers_internal_error_and_adds_nothing(ecs, lt, monkeypatch):
    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(core_templates, "_insert_version", broken)
    with pytest.raises(ServerException) as info:
        _add(ecs, lt)
    assert (info.value.code, info.value.status_code) == ("InternalError", 500)
    monkeypatch.undo()
    assert _numbers(ecs, lt) == [1]
    assert _add(ecs, lt).launch_template_version_number == 2


def test_eight_clients_adding_versions_at_once_get_distinct_numbers_up_to_thirty(tenant, lt):
    def writer(_: int) -> list[object]:
        ecs = clients.tea_ecs(tenant)
        out: list[object] = []
        for _ in range(5):
            try:
                out.append(_add(ecs, lt).launch_template_version_number)
            except ClientException as err:
                out.append(err.code)
        return out

    with ThreadPoolExecutor(8) as pool:
        results = [r for rs in pool.map(writer, range(8)) for r in rs]
    numbers = [r for r in results if isinstance(r, int)]
    assert sorted(numbers) == list(range(2, 31))
    assert [r for r in results if not isinstance(r, int)] == [
        "LaunchTemplateVersionLimitExceed"
    ] * 11
    assert _numbers(clients.tea_ecs(tenant), lt) == list(range(1, 31))
