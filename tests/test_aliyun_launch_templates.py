"""ECS 2014-05-26 launch templates through the official Tea SDK, on both stores.

The flow Terraform's alicloud_ecs_launch_template follows (create, read the
template and its latest version, add versions, switch the default, delete),
template tags and resource groups, names unique per region, the limit of 30
per region, and RunInstances from a template: the version's values fill
what the request leaves out, request values win, and a value OpenECS cannot
honour is refused by RunInstances as if the request had carried it.
"""

from __future__ import annotations

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException

from openecs.core import instances as inst
from tests import clients
from tests.test_aliyun_instances import IMAGE, REGION, TYPE, ZONE
from tests.test_aliyun_instances import net as net  # noqa: F401 - the fixture


def _create(ecs, name: str = "web", **kw) -> str:  # noqa: ANN001
    values = {"region_id": REGION, "launch_template_name": name, **kw}
    return ecs.create_launch_template(
        m.CreateLaunchTemplateRequest(**values)
    ).body.launch_template_id


def _templates(ecs, **kw) -> list:  # noqa: ANN001
    body = ecs.describe_launch_templates(
        m.DescribeLaunchTemplatesRequest(region_id=REGION, page_size=50, **kw)
    ).body
    return body.launch_template_sets.launch_template_set


def _version(ecs, lt: str, number: int):  # noqa: ANN001, ANN202
    (v,) = ecs.describe_launch_template_versions(
        m.DescribeLaunchTemplateVersionsRequest(
            region_id=REGION, launch_template_id=lt, launch_template_version=[number]
        )
    ).body.launch_template_version_sets.launch_template_version_set
    return v


def _refused(call) -> ClientException:  # noqa: ANN001
    with pytest.raises(ClientException) as info:
        call()
    return info.value


@pytest.fixture
def ecs(tenant):  # noqa: ANN001, ANN201
    return clients.tea_ecs(tenant)


def test_terraform_flow_creates_reads_versions_switches_the_default_and_deletes(ecs):
    body = ecs.create_launch_template(
        m.CreateLaunchTemplateRequest(
            region_id=REGION,
            launch_template_name="tf-web",
            image_id=IMAGE,
            instance_type=TYPE,
            version_description="v1",
            template_tag=[m.CreateLaunchTemplateRequestTemplateTag(key="team", value="a")],
        )
    ).body
    lt = body.launch_template_id
    assert lt.startswith("lt-bp") and body.launch_template_version_number == 1
    (t,) = _templates(ecs, launch_template_id=[lt])
    assert (t.launch_template_name, t.default_version_number, t.latest_version_number) == (
        "tf-web",
        1,
        1,
    )
    assert [(g.tag_key, g.tag_value) for g in t.tags.tag] == [("team", "a")]
    latest = _version(ecs, lt, t.latest_version_number)
    assert (latest.launch_template_data.image_id, latest.version_description) == (IMAGE, "v1")
    ecs.create_launch_template_version(
        m.CreateLaunchTemplateVersionRequest(
            region_id=REGION, launch_template_id=lt, instance_type="ecs.g7.xlarge"
        )
    )
    ecs.modify_launch_template_default_version(
        m.ModifyLaunchTemplateDefaultVersionRequest(
            region_id=REGION, launch_template_id=lt, default_version_number=2
        )
    )
    (t,) = _templates(ecs, launch_template_name=["tf-web"])
    assert (t.default_version_number, t.latest_version_number) == (2, 2)
    assert _version(ecs, lt, 2).default_version is True
    gone = ecs.delete_launch_template(
        m.DeleteLaunchTemplateRequest(region_id=REGION, launch_template_id=lt)
    ).body
    assert gone.launch_template_id == lt
    assert gone.launch_template_version_numbers.version_numbers == [1, 2]
    assert _templates(ecs) == []
    err = _refused(
        lambda: ecs.delete_launch_template(
            m.DeleteLaunchTemplateRequest(region_id=REGION, launch_template_id=lt)
        )
    )
    assert (err.code, err.status_code) == ("InvalidLaunchTemplate.NotFound", 404)
    assert "NotFound" in err.message or err.code.endswith("NotFound")


def test_a_name_is_unique_in_a_region(ecs):
    _create(ecs, "same")
    err = _refused(lambda: _create(ecs, "same"))
    assert (err.code, err.status_code) == ("LaunchTemplateName.Duplicated", 403)
    assert len(_templates(ecs)) == 1


def test_a_malformed_name_is_refused(ecs):
    err = _refused(lambda: _create(ecs, "1-starts-with-a-digit"))
    assert (err.code, err.status_code) == ("InvalidLaunchTemplateName.Malformed", 400)
    assert _templates(ecs) == []


def test_a_region_holds_at_most_thirty_templates(ecs):
    for i in range(30):
        _create(ecs, f"t{i:02d}")
    err = _refused(lambda: _create(ecs, "one-more"))
    assert (err.code, err.status_code) == ("LaunchTemplateLimitExceed", 403)
    assert len(_templates(ecs)) == 30


def test_templates_are_filtered_by_tag_and_resource_group_and_paged(ecs):
    _create(ecs, "aa", template_tag=[m.CreateLaunchTemplateRequestTemplateTag(key="k", value="1")])
    _create(ecs, "bb", template_resource_group_id="rg-other")
    _create(ecs, "cc")
    tag = [m.DescribeLaunchTemplatesRequestTemplateTag(key="k", value="1")]
    assert [t.launch_template_name for t in _templates(ecs, template_tag=tag)] == ["aa"]
    by_group = _templates(ecs, template_resource_group_id="rg-other")
    assert [t.launch_template_name for t in by_group] == ["bb"]
    body = ecs.describe_launch_templates(
        m.DescribeLaunchTemplatesRequest(region_id=REGION, page_size=2, page_number=2)
    ).body
    assert body.total_count == 3
    assert [t.launch_template_name for t in body.launch_template_sets.launch_template_set] == ["cc"]


def test_the_default_cannot_move_to_a_missing_version(ecs):
    lt = _create(ecs)
    err = _refused(
        lambda: ecs.modify_launch_template_default_version(
            m.ModifyLaunchTemplateDefaultVersionRequest(
                region_id=REGION, launch_template_id=lt, default_version_number=5
            )
        )
    )
    assert (err.code, err.status_code) == ("InvalidLaunchTemplateVersion.NotFound", 404)
    assert _templates(ecs)[0].default_version_number == 1


def test_templates_of_another_account_are_not_seen(server, ecs):
    lt = _create(ecs)
    other = clients.tea_ecs(server.new_tenant())
    assert _templates(other) == []
    err = _refused(
        lambda: other.delete_launch_template(
            m.DeleteLaunchTemplateRequest(region_id=REGION, launch_template_id=lt)
        )
    )
    assert err.code == "InvalidLaunchTemplate.NotFound"
    assert len(_templates(ecs)) == 1


# -- RunInstances from a template


def _full_template(ecs, net, **kw) -> str:  # noqa: ANN001
    return _create(
        ecs,
        "run",
        image_id=IMAGE,
        instance_type=TYPE,
        v_switch_id=net["vsw"],
        security_group_id=net["sg"],
        zone_id=ZONE,
        instance_name="from-template",
        description="templated",
        system_disk=m.CreateLaunchTemplateRequestSystemDisk(category="cloud_essd", size=60),
        **kw,
    )


def _instances(ecs) -> list:  # noqa: ANN001
    return ecs.describe_instances(
        m.DescribeInstancesRequest(region_id=REGION)
    ).body.instances.instance


def _disks(server, instance_id: str) -> list[tuple[str, int]]:  # noqa: ANN001
    with server.runtime.db.read() as conn:
        return [(d["category"], d["size"]) for d in inst.disks_of(conn, [instance_id])[instance_id]]


def test_run_instances_takes_everything_from_the_default_version(server, net):
    ecs = net["ecs"]
    lt = _full_template(ecs, net)
    ecs.run_instances(m.RunInstancesRequest(region_id=REGION, launch_template_id=lt))
    (vm,) = _instances(ecs)
    assert (vm.instance_name, vm.description, vm.instance_type, vm.image_id) == (
        "from-template",
        "templated",
        TYPE,
        IMAGE,
    )
    assert vm.vpc_attributes.v_switch_id == net["vsw"]
    assert _disks(server, vm.instance_id) == [("cloud_essd", 60)]


def test_request_values_win_over_the_templates(server, net):
    ecs = net["ecs"]
    lt = _full_template(ecs, net)
    ecs.run_instances(
        m.RunInstancesRequest(
            region_id=REGION,
            launch_template_name="run",
            instance_name="mine",
            system_disk=m.RunInstancesRequestSystemDisk(size="80"),
        )
    )
    (vm,) = _instances(ecs)
    assert (vm.instance_name, vm.description) == ("mine", "templated")
    assert _disks(server, vm.instance_id) == [("cloud_essd", 80)]
    assert lt


def test_a_named_version_is_used_instead_of_the_default(net):
    ecs = net["ecs"]
    lt = _full_template(ecs, net)
    ecs.create_launch_template_version(
        m.CreateLaunchTemplateVersionRequest(
            region_id=REGION,
            launch_template_id=lt,
            image_id=IMAGE,
            instance_type=TYPE,
            v_switch_id=net["vsw"],
            security_group_id=net["sg"],
            instance_name="second",
        )
    )
    ecs.run_instances(
        m.RunInstancesRequest(region_id=REGION, launch_template_id=lt, launch_template_version=2)
    )
    assert [vm.instance_name for vm in _instances(ecs)] == ["second"]


def test_an_unknown_template_or_version_launches_nothing(net):
    ecs = net["ecs"]
    lt = _full_template(ecs, net)
    err = _refused(
        lambda: ecs.run_instances(
            m.RunInstancesRequest(region_id=REGION, launch_template_id="lt-bp1nothere")
        )
    )
    assert (err.code, err.status_code) == ("InvalidLaunchTemplate.NotFound", 404)
    err = _refused(
        lambda: ecs.run_instances(
            m.RunInstancesRequest(
                region_id=REGION, launch_template_id=lt, launch_template_version=7
            )
        )
    )
    assert (err.code, err.status_code) == ("InvalidLaunchTemplateVersion.NotFound", 404)
    assert _instances(ecs) == []


def test_a_template_value_run_instances_refuses_is_refused_at_launch(net):
    ecs = net["ecs"]
    lt = _full_template(ecs, net, internet_max_bandwidth_out=10)
    err = _refused(
        lambda: ecs.run_instances(m.RunInstancesRequest(region_id=REGION, launch_template_id=lt))
    )
    assert (err.code, err.status_code) == ("UnsupportedParameter", 400)
    assert "InternetMaxBandwidthOut" in err.message
    assert _instances(ecs) == []


def test_a_template_value_is_checked_as_a_request_value_at_launch(net):
    ecs = net["ecs"]
    lt = _create(ecs, "nothing-to-run", image_id="no_such_image.vhd")
    err = _refused(
        lambda: ecs.run_instances(
            m.RunInstancesRequest(
                region_id=REGION,
                launch_template_id=lt,
                instance_type=TYPE,
                v_switch_id=net["vsw"],
                security_group_id=net["sg"],
            )
        )
    )
    assert (err.code, err.status_code) == ("InvalidImageId.NotFound", 404)
    assert _instances(ecs) == []


def test_a_version_without_a_template_is_refused(net):
    ecs = net["ecs"]
    err = _refused(
        lambda: ecs.run_instances(
            m.RunInstancesRequest(
                region_id=REGION,
                launch_template_version=1,
                image_id=IMAGE,
                instance_type=TYPE,
                v_switch_id=net["vsw"],
                security_group_id=net["sg"],
            )
        )
    )
    assert (err.code, err.status_code) == ("MissingParameter", 400)
    assert _instances(ecs) == []


def test_a_template_spot_strategy_launches_a_spot_instance(net):
    ecs = net["ecs"]
    lt = _full_template(ecs, net, spot_strategy="SpotAsPriceGo")
    ecs.run_instances(m.RunInstancesRequest(region_id=REGION, launch_template_id=lt))
    (vm_,) = _instances(ecs)
    assert vm_.spot_strategy == "SpotAsPriceGo"
