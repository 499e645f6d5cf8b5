"""The Huawei catalog through the official SDKs: flavors, availability zones and public images."""

from __future__ import annotations

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import model as ecs_models
from huaweicloudsdkims.v2 import model as ims_models

from tests import clients


def flavors(tenant, region: str = "cn-north-4", **kw):  # noqa: ANN001, ANN003, ANN201
    return clients.hw_ecs(tenant, region).list_flavors(ecs_models.ListFlavorsRequest(**kw)).flavors


def images(tenant, **kw):  # noqa: ANN001, ANN003, ANN201
    return clients.hw_ims(tenant).list_images(ims_models.ListImagesRequest(**kw)).images


def refusal(call) -> ClientRequestException:  # noqa: ANN001
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


# -- ListFlavors


def test_flavors_parse_into_sdk_models_with_vendor_types(tenant):
    listed = {f.id: f for f in flavors(tenant)}
    assert len(listed) >= 20
    s6 = listed["s6.large.2"]
    assert (s6.name, s6.vcpus, s6.ram, s6.disk) == ("s6.large.2", "2", 4096, "0")
    assert s6.os_flv_disable_ddisabled is False and s6.os_flavor_accessis_public is True
    assert s6.os_extra_specs.ecsperformancetype == "normal"
    assert s6.os_extra_specs.ecsgeneration == "s6"
    assert s6.os_extra_specs.ecsvirtualization_env_types == "CloudCompute"
    assert s6.os_extra_specs.quotavif_max_num == "2"
    assert isinstance(s6.attachable_quantity.free_nic, int)
    assert [link.rel for link in s6.links] == ["self", "bookmark"]
    assert listed["kc1.large.2"].os_extra_specs.ecsinstance_architecture == "arm64"


def test_flavor_reports_its_status_in_each_zone(tenant):
    s6 = flavors(tenant, flavor_id="s6.small.1")[0]
    assert s6.os_extra_specs.condoperationstatus == "normal"
    assert "cn-north-4g(sellout)" in s6.os_extra_specs.condoperationaz.split(",")


def test_zone_filter_lists_only_flavors_orderable_there(tenant):
    in_g = {f.id for f in flavors(tenant, availability_zone="cn-north-4g")}
    in_b = {f.id for f in flavors(tenant, availability_zone="cn-north-4b")}
    assert "s6.small.1" not in in_g and "kc1.large.2" in in_g
    assert "s6.small.1" in in_b and "kc1.large.2" not in in_b


def test_flavor_id_filter_lists_that_flavor(tenant):
    assert [f.id for f in flavors(tenant, flavor_id="c7.xlarge.2")] == ["c7.xlarge.2"]


def test_each_region_lists_the_flavors_sold_there(tenant):
    hong_kong = {f.id for f in flavors(tenant, "ap-southeast-1")}
    assert "s6.small.1" in hong_kong and not any(i.startswith("kc1.") for i in hong_kong)


def test_flavors_page_by_limit_and_marker_until_an_empty_page(tenant):
    seen, marker = [], None
    while True:
        page = flavors(tenant, limit=7, marker=marker)
        if not page:
            break
        seen += [f.id for f in page]
        marker = page[-1].id
    assert seen == sorted(f.id for f in flavors(tenant))


def test_unknown_zone_answers_ecs_0005(tenant):
    err = refusal(lambda: flavors(tenant, availability_zone="cn-north-4z"))
    assert (err.status_code, err.error_code) == (400, "Ecs.0005")
    assert err.request_id


def test_out_of_range_limit_answers_ecs_0005(tenant):
    err = refusal(lambda: flavors(tenant, limit=0))
    assert (err.status_code, err.error_code) == (400, "Ecs.0005")


def test_unknown_flavor_marker_answers_ecs_0005(tenant):
    err = refusal(lambda: flavors(tenant, marker="no.such.flavor"))
    assert (err.status_code, err.error_code) == (400, "Ecs.0005")


# -- availability zones


@pytest.mark.filterwarnings("ignore:Method 'nova_list_availability_zones':DeprecationWarning")
def test_nova_lists_the_region_zones_as_available(tenant):
    body = clients.hw_ecs(tenant).nova_list_availability_zones(
        ecs_models.NovaListAvailabilityZonesRequest()
    )
    zones = {z.zone_name: z.zone_state.available for z in body.availability_zone_info}
    assert zones == {
        "cn-north-4a": True,
        "cn-north-4b": True,
        "cn-north-4c": True,
        "cn-north-4g": True,
    }


def test_ecs_lists_zone_details_of_the_project_region(tenant):
    body = clients.hw_ecs(tenant, "cn-east-3").list_server_az_info(
        ecs_models.ListServerAzInfoRequest()
    )
    first = body.availability_zones[0]
    assert [z.availability_zone_id for z in body.availability_zones][:2] == [
        "cn-east-3a",
        "cn-east-3b",
    ]
    assert (first.type, first.mode, first.category) == ("Center", "shared", 0)
    assert first.az_group_ids == []


# -- IMS ListImages


def test_images_parse_into_sdk_models_as_public_gold_images(tenant):
    listed = images(tenant)
    assert len(listed) >= 10
    for image in listed:
        assert (image.status, image.visibility, image.imagetype) == ("active", "public", "gold")
        assert image.disk_format == "zvhd2" and image.support_kvm == "true"
        assert isinstance(image.min_disk, int) and isinstance(image.size, int)
        assert image.os_type in ("Linux", "Windows") and image.os_bit == "64"


def test_images_filter_by_platform_and_os_type(tenant):
    ubuntu = images(tenant, platform="Ubuntu", os_type="Linux")
    assert ubuntu and {i.platform for i in ubuntu} == {"Ubuntu"}
    assert {i.os_type for i in images(tenant, platform="Windows")} == {"Windows"}


def test_images_filter_by_exact_name(tenant):
    found = images(tenant, name="CentOS 7.9 64bit")
    assert [i.name for i in found] == ["CentOS 7.9 64bit"]
    assert images(tenant, id=found[0].id)[0].id == found[0].id


def test_images_for_a_kunpeng_flavor_are_arm_images(tenant):
    arm = images(tenant, flavor_id="kc1.large.2")
    assert arm and all(i.support_arm == "true" for i in arm)
    assert {i.id for i in arm} == {i.id for i in images(tenant, architecture="arm")}


def test_images_for_a_1gb_flavor_exclude_windows(tenant):
    small = images(tenant, flavor_id="s6.small.1")
    assert small and all(i.os_type == "Linux" and i.support_arm is None for i in small)


def test_images_sort_by_name_ascending(tenant):
    names = [i.name for i in images(tenant, sort_key="name", sort_dir="asc")]
    assert names == sorted(names)


def test_images_filter_by_creation_time(tenant):
    recent = images(tenant, created_at="gte:2023-01-01T00:00:00Z")
    assert recent and all(i.created_at >= "2023-01-01" for i in recent)
    assert len(recent) < len(images(tenant))


def test_images_page_by_limit_and_marker_until_an_empty_page(tenant):
    seen, marker = [], None
    while True:
        page = images(tenant, limit=4, marker=marker)
        if not page:
            break
        seen += [i.id for i in page]
        marker = page[-1].id
    assert seen == [i.id for i in images(tenant)]


def test_unknown_imagetype_answers_img_0024(tenant):
    err = refusal(lambda: images(tenant, imagetype="golden"))
    assert (err.status_code, err.error_code) == (400, "IMG.0024")


def test_unknown_platform_answers_img_0001(tenant):
    err = refusal(lambda: images(tenant, platform="BeOS"))
    assert (err.status_code, err.error_code) == (400, "IMG.0001")


def test_negative_image_limit_answers_img_0001(tenant):
    err = refusal(lambda: images(tenant, limit=-1))
    assert (err.status_code, err.error_code) == (400, "IMG.0001")


# -- projects per region


def test_region_configured_sdk_discovers_its_project_and_lists_flavors(tenant, monkeypatch):
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkcore.region.region import Region
    from huaweicloudsdkecs.v2 import EcsClient

    monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", tenant.url)
    client = (
        EcsClient.new_builder()
        .with_http_config(HttpConfig.get_default_config())
        .with_credentials(BasicCredentials(tenant.ak, tenant.sk))
        .with_region(Region("cn-north-4", tenant.url))
        .build()
    )
    listed = client.list_flavors(ecs_models.ListFlavorsRequest(flavor_id="t6.small.1")).flavors
    assert [f.id for f in listed] == ["t6.small.1"]
    assert (
        listed[0].links[0].href.endswith(f"/{tenant.project_id('cn-north-4')}/flavors/t6.small.1")
    )


def test_every_account_has_a_project_in_every_region(tenant):
    assert {"cn-north-4", "cn-east-3", "cn-south-1", "ap-southeast-1"} <= set(
        tenant.account.huawei_project_ids
    )
    assert flavors(tenant, "cn-south-1", availability_zone="cn-south-1a")
