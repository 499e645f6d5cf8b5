"""The Alibaba catalog through the official SDKs: regions, zones, instance types and families,
public images and available resources, with the vendor's filters, paging and error codes."""

from __future__ import annotations

import json

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkecs.request.v20140526.DescribeAvailableResourceRequest import (
    DescribeAvailableResourceRequest,
)
from aliyunsdkecs.request.v20140526.DescribeImagesRequest import DescribeImagesRequest
from aliyunsdkecs.request.v20140526.DescribeInstanceTypesRequest import (
    DescribeInstanceTypesRequest,
)
from aliyunsdkecs.request.v20140526.DescribeRegionsRequest import DescribeRegionsRequest
from aliyunsdkecs.request.v20140526.DescribeZonesRequest import DescribeZonesRequest

from openecs.core import catalog
from openecs.faces.aliyun import paging
from openecs.faces.errors import VendorError
from tests import clients

HANGZHOU = "cn-hangzhou"


def refusal(call) -> ClientException:  # noqa: ANN001
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def legacy_json(tenant, request) -> dict:  # noqa: ANN001
    return json.loads(clients.legacy(tenant).do_action_with_exception(request))


def legacy_refusal(tenant, request) -> ServerException:  # noqa: ANN001
    with pytest.raises(ServerException) as info:
        clients.legacy(tenant).do_action_with_exception(request)
    return info.value


def zones(tenant, **kw) -> m.DescribeZonesResponseBody:  # noqa: ANN001, ANN003
    return clients.tea_ecs(tenant).describe_zones(m.DescribeZonesRequest(**kw)).body


def types(tenant, **kw) -> m.DescribeInstanceTypesResponseBody:  # noqa: ANN001, ANN003
    return (
        clients.tea_ecs(tenant).describe_instance_types(m.DescribeInstanceTypesRequest(**kw)).body
    )


def type_ids(tenant, **kw) -> list[str]:  # noqa: ANN001, ANN003
    return [t.instance_type_id for t in types(tenant, **kw).instance_types.instance_type]


def images(tenant, **kw) -> m.DescribeImagesResponseBody:  # noqa: ANN001, ANN003
    kw.setdefault("region_id", HANGZHOU)
    return clients.tea_ecs(tenant).describe_images(m.DescribeImagesRequest(**kw)).body


def image_ids(tenant, **kw) -> list[str]:  # noqa: ANN001, ANN003
    return [i.image_id for i in images(tenant, page_size=100, **kw).images.image]


def available(tenant, **kw) -> m.DescribeAvailableResourceResponseBody:  # noqa: ANN001, ANN003
    kw.setdefault("region_id", HANGZHOU)
    request = m.DescribeAvailableResourceRequest(**kw)
    return clients.tea_ecs(tenant).describe_available_resource(request).body


def supported(body: m.DescribeAvailableResourceResponseBody) -> dict[str, list]:
    """Zone id -> its SupportedResource models."""
    return {
        z.zone_id: [
            r
            for a in z.available_resources.available_resource
            for r in a.supported_resources.supported_resource
        ]
        for z in body.available_zones.available_zone
    }


# -- DescribeRegions


def test_regions_are_the_catalog_regions_named_in_english_on_request(tenant):
    body = (
        clients.tea_ecs(tenant)
        .describe_regions(m.DescribeRegionsRequest(accept_language="en-US"))
        .body
    )
    names = {r.region_id: r.local_name for r in body.regions.region}
    assert names["cn-hangzhou"] == "China (Hangzhou)" and names["ap-southeast-1"] == "Singapore"
    assert set(names) == set(catalog.aliyun().region_ids())


def test_legacy_sdk_describes_regions_in_chinese_by_default(tenant):
    body = legacy_json(tenant, DescribeRegionsRequest())
    assert {r["RegionId"]: r["LocalName"] for r in body["Regions"]["Region"]}[
        "cn-beijing"
    ] == "华北2（北京）"


# -- DescribeZones


def test_zones_list_what_each_zone_sells(tenant):
    body = zones(tenant, region_id=HANGZHOU)
    assert [z.zone_id for z in body.zones.zone] == [
        "cn-hangzhou-h",
        "cn-hangzhou-i",
        "cn-hangzhou-j",
        "cn-hangzhou-k",
    ]
    zone_i = body.zones.zone[1]
    assert "ecs.g8y.large" in zone_i.available_instance_types.instance_types
    assert "cloud_essd" in zone_i.available_disk_categories.disk_categories
    info = zone_i.available_resources.resources_info[0]
    assert info.io_optimized is True and info.network_types.supported_network_category == ["vpc"]
    assert "ecs.g8y" in info.instance_type_families.supported_instance_type_family


def test_zone_without_arm_families_sells_no_arm_type(tenant):
    zone_h = zones(tenant, region_id=HANGZHOU).zones.zone[0]
    assert not [
        t for t in zone_h.available_instance_types.instance_types if t.startswith("ecs.g8y")
    ]


def test_zones_are_named_in_english_on_request(tenant):
    body = zones(tenant, region_id=HANGZHOU, accept_language="en-US")
    assert body.zones.zone[0].local_name == "Hangzhou Zone H"


def test_zones_without_verbose_leave_out_the_instance_types(tenant):
    zone = zones(tenant, region_id=HANGZHOU, verbose=False).zones.zone[0]
    assert zone.available_instance_types is None and zone.available_resources is None
    assert zone.available_disk_categories.disk_categories


def test_zones_of_an_unknown_region_answer_region_not_found(tenant):
    err = refusal(lambda: zones(tenant, region_id="cn-atlantis"))
    assert (err.status_code, err.code) == (404, "InvalidRegionId.NotFound")


def test_zones_without_a_region_answer_missing_parameter(tenant):
    err = refusal(lambda: zones(tenant))
    assert (err.status_code, err.code) == (400, "MissingParameter")


def test_zones_refuse_a_language_they_do_not_speak(tenant):
    err = refusal(lambda: zones(tenant, region_id=HANGZHOU, accept_language="fr"))
    assert (err.status_code, err.code) == (404, "InvalidAcceptLanguage.NotFound")


def test_zones_refuse_an_unknown_charge_type(tenant):
    err = refusal(lambda: zones(tenant, region_id=HANGZHOU, instance_charge_type="Monthly"))
    assert (err.status_code, err.code) == (404, "InvalidInstanceChargeType.NotFound")


def test_zones_refuse_an_unknown_spot_strategy(tenant):
    err = refusal(lambda: zones(tenant, region_id=HANGZHOU, spot_strategy="Cheap"))
    assert (err.status_code, err.code) == (400, "InvalidSpotStrategy")


def test_legacy_sdk_describes_zones_of_its_region(tenant):
    body = legacy_json(tenant, DescribeZonesRequest())
    assert body["Zones"]["Zone"][0]["ZoneId"] == "cn-hangzhou-h"


# -- DescribeInstanceTypes


def test_instance_types_carry_eni_ip_and_queue_limits(tenant):
    (g7,) = types(tenant, instance_types=["ecs.g7.large"]).instance_types.instance_type
    assert (g7.cpu_core_count, g7.memory_size, g7.instance_type_family) == (2, 8.0, "ecs.g7")
    assert (g7.eni_quantity, g7.eni_private_ip_address_quantity, g7.eni_ipv_6address_quantity) == (
        3,
        6,
        6,
    )
    assert (g7.maximum_queue_number_per_eni, g7.primary_eni_queue_number) == (2, 2)
    assert g7.instance_bandwidth_rx == 2048000 and g7.cpu_architecture == "X86"


def test_instance_types_filter_by_architecture(tenant):
    ids = type_ids(tenant, cpu_architecture="ARM")
    assert ids and all(i.startswith("ecs.g8y.") for i in ids)


def test_instance_types_filter_by_family_list(tenant):
    ids = type_ids(tenant, instance_type_families=["ecs.c7", "ecs.r7"])
    assert {i.rsplit(".", 1)[0] for i in ids} == {"ecs.c7", "ecs.r7"}


def test_instance_types_filter_by_cpu_and_memory_bounds(tenant):
    found = types(
        tenant, minimum_cpu_core_count=4, maximum_cpu_core_count=4, minimum_memory_size=32
    )
    assert {
        (t.cpu_core_count, t.memory_size >= 32) for t in found.instance_types.instance_type
    } == {(4, True)}


def test_instance_types_filter_by_gpu_spec_fuzzily(tenant):
    assert {i.split("-")[0] for i in type_ids(tenant, gpuspec="a10")} == {"ecs.gn7i"}


def test_instance_types_page_with_next_token(tenant):
    every = type_ids(tenant)
    seen, token = [], None
    while True:
        body = types(tenant, max_results=10, next_token=token)
        seen += [t.instance_type_id for t in body.instance_types.instance_type]
        token = body.next_token
        if not token:
            break
    assert seen == every and len(every) >= 30


def test_instance_types_refuse_a_garbled_next_token(tenant):
    err = refusal(lambda: types(tenant, next_token="not-a-token!"))
    assert (err.status_code, err.code) == (400, "InvalidParameter.NextToken")


def test_instance_types_refuse_max_results_beyond_1600(tenant):
    err = refusal(lambda: types(tenant, max_results=1601))
    assert (err.status_code, err.code) == (400, "InvalidParameter.MaxResults")


def test_instance_types_refuse_an_unknown_architecture(tenant):
    err = refusal(lambda: types(tenant, cpu_architecture="RISCV"))
    assert (err.status_code, err.code) == (400, "InvalidParameter")


def test_instance_types_refuse_more_than_ten_types(tenant):
    err = refusal(lambda: types(tenant, instance_types=[f"ecs.g7.t{i}" for i in range(11)]))
    assert (err.status_code, err.code) == (400, "InvalidParameter")


def test_legacy_sdk_filters_instance_types_by_repeat_list(tenant):
    request = DescribeInstanceTypesRequest()
    request.set_InstanceTypess(["ecs.g8i.xlarge", "ecs.t6-c1m1.large"])
    body = legacy_json(tenant, request)
    found = {t["InstanceTypeId"]: t for t in body["InstanceTypes"]["InstanceType"]}
    assert set(found) == {"ecs.g8i.xlarge", "ecs.t6-c1m1.large"}
    assert found["ecs.t6-c1m1.large"]["InstanceFamilyLevel"] == "CreditEntryLevel"


# -- DescribeInstanceTypeFamilies


def test_families_of_a_region_filter_by_generation(tenant):
    request = m.DescribeInstanceTypeFamiliesRequest(region_id=HANGZHOU, generation="ecs-5")
    body = clients.tea_ecs(tenant).describe_instance_type_families(request).body
    found = body.instance_type_families.instance_type_family
    assert {f.instance_type_family_id for f in found} == {"ecs.g6", "ecs.c6", "ecs.r6", "ecs.t6"}
    assert {f.generation for f in found} == {"ecs-5"}


def test_families_of_an_unknown_region_answer_region_not_found(tenant):
    request = m.DescribeInstanceTypeFamiliesRequest(region_id="xx-nowhere-1")
    err = refusal(lambda: clients.tea_ecs(tenant).describe_instance_type_families(request))
    assert (err.status_code, err.code) == (404, "InvalidRegionId.NotFound")


# -- DescribeImages


def test_images_page_by_number_with_totals(tenant):
    body = images(tenant, page_size=5, page_number=2)
    assert (body.page_number, body.page_size, body.total_count) == (
        2,
        5,
        len(catalog.aliyun_images()),
    )
    assert len(body.images.image) == 5 and body.region_id == HANGZHOU


def test_images_are_public_system_images_in_vendor_shape(tenant):
    (image,) = images(tenant, image_id="aliyun_3_x64_20G_alibase_20240528.vhd").images.image
    assert (image.ostype, image.architecture, image.image_owner_alias, image.status) == (
        "linux",
        "x86_64",
        "system",
        "Available",
    )
    assert (
        image.size == 20
        and image.platform == "Aliyun"
        and image.osname_en.startswith("Alibaba Cloud Linux")
    )


def test_images_filter_by_comma_separated_ids(tenant):
    wanted = (
        "ubuntu_22_04_x64_20G_alibase_20240508.vhd,debian_12_6_x64_20G_alibase_20240717.vhd,m-none"
    )
    assert sorted(image_ids(tenant, image_id=wanted)) == sorted(wanted.split(",")[:2])


def test_images_filter_by_os_type(tenant):
    found = images(tenant, ostype="windows", page_size=100).images.image
    assert found and {i.platform.split(" 20")[0] for i in found} == {"Windows Server"}


def test_images_filter_by_name_fuzzily(tenant):
    assert image_ids(tenant, image_name="UBUNTU_22") == [
        "ubuntu_22_04_x64_20G_alibase_20240508.vhd",
        "ubuntu_22_04_arm64_20G_alibase_20240508.vhd",
    ]


def test_images_for_an_arm_type_are_arm64(tenant):
    found = images(tenant, instance_type="ecs.g8y.large", page_size=100).images.image
    assert found and {i.architecture for i in found} == {"arm64"}


def test_images_for_an_nvme_type_leave_out_images_without_nvme(tenant):
    assert "centos_7_9_x64_20G_alibase_20240628.vhd" not in image_ids(
        tenant, instance_type="ecs.g8i.large"
    )


def test_images_of_the_callers_own_are_none_yet(tenant):
    assert images(tenant, image_owner_alias="self").total_count == 0


def test_images_refuse_a_page_size_over_100(tenant):
    err = refusal(lambda: images(tenant, page_size=101))
    assert (err.status_code, err.code) == (400, "InvalidParam.PageSize")


def test_images_refuse_page_number_zero(tenant):
    err = refusal(lambda: images(tenant, page_number=0))
    assert (err.status_code, err.code) == (400, "InvalidParam.PageNumber")


def test_images_refuse_an_unknown_owner_alias(tenant):
    err = refusal(lambda: images(tenant, image_owner_alias="friends"))
    assert (err.status_code, err.code) == (400, "InvalidImageOwnerAlias.ValueNotSupported")


def test_images_refuse_an_unknown_os_type(tenant):
    err = refusal(lambda: images(tenant, ostype="beos"))
    assert (err.status_code, err.code) == (404, "InvalidOSType")


def test_images_refuse_an_unknown_instance_type(tenant):
    err = refusal(lambda: images(tenant, instance_type="ecs.z9.huge"))
    assert (err.status_code, err.code) == (400, "InvalidInstanceType.ValueNotSupported")


def test_images_refuse_an_unknown_filter_key(tenant):
    bad = [m.DescribeImagesRequestFilter(key="Colour", value="blue")]
    err = refusal(lambda: images(tenant, filter=bad))
    assert (err.status_code, err.code) == (404, "InvalidFilterKey.NotFound")


def test_images_refuse_duplicate_tag_keys(tenant):
    tags = [
        m.DescribeImagesRequestTag(key="env", value="a"),
        m.DescribeImagesRequestTag(key="env", value="b"),
    ]
    err = refusal(lambda: images(tenant, tag=tags))
    assert (err.status_code, err.code) == (400, "Duplicate.TagKey")


def test_images_refuse_a_tag_key_starting_with_aliyun(tenant):
    err = refusal(
        lambda: images(tenant, tag=[m.DescribeImagesRequestTag(key="aliyun-x", value="v")])
    )
    assert (err.status_code, err.code) == (400, "InvalidTagKey.Malformed")


def test_images_public_community_needs_owner_alias_others(tenant):
    err = refusal(lambda: images(tenant, is_public=True))
    assert (err.status_code, err.code) == (400, "InvalidImageOwnerAlias.PublicImageUnsupported")


def test_images_dry_run_answers_dry_run_operation(tenant):
    err = refusal(lambda: images(tenant, dry_run=True))
    assert (err.status_code, err.code) == (400, "DryRunOperation")


def test_legacy_sdk_filters_images_by_architecture(tenant):
    request = DescribeImagesRequest()
    request.set_Architecture("arm64")
    body = legacy_json(tenant, request)
    assert body["TotalCount"] == 2 and {i["Architecture"] for i in body["Images"]["Image"]} == {
        "arm64"
    }


def test_legacy_sdk_images_refuse_an_unknown_architecture(tenant):
    request = DescribeImagesRequest()
    request.set_Architecture("sparc")
    err = legacy_refusal(tenant, request)
    assert (err.get_http_status(), err.get_error_code()) == (404, "InvalidArchitecture")


# -- DescribeAvailableResource


def test_available_zones_of_an_instance_type(tenant):
    body = available(
        tenant, destination_resource="Zone", instance_type="ecs.g8y.large", io_optimized="optimized"
    )
    assert sorted(supported(body)) == ["cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"]
    assert {v.value for vs in supported(body).values() for v in vs} == set(supported(body))
    zone = body.available_zones.available_zone[0]
    assert (zone.status, zone.status_category, zone.region_id) == (
        "Available",
        "WithStock",
        HANGZHOU,
    )


def test_available_instance_types_of_a_zone(tenant):
    body = available(tenant, destination_resource="InstanceType", zone_id="cn-hangzhou-k")
    (values,) = supported(body).values()
    assert "ecs.g8i.large" in [v.value for v in values] and "ecs.g6.large" not in [
        v.value for v in values
    ]


def test_available_instance_types_by_cores_and_memory(tenant):
    body = available(
        tenant, destination_resource="InstanceType", zone_id="cn-hangzhou-i", cores=2, memory=16.0
    )
    assert {v.value for v in supported(body)["cn-hangzhou-i"]} == {"ecs.r7.large", "ecs.r6.large"}


def test_available_system_disks_of_an_essd_only_type(tenant):
    body = available(
        tenant,
        destination_resource="SystemDisk",
        zone_id="cn-hangzhou-i",
        instance_type="ecs.g8i.large",
    )
    disks = {v.value: (v.min, v.max, v.unit) for v in supported(body)["cn-hangzhou-i"]}
    assert set(disks) == {"cloud_essd", "cloud_auto", "cloud_essd_entry"}
    assert disks["cloud_essd"] == (20, 2048, "GiB")


def test_available_data_disks_bought_alone(tenant):
    body = available(
        tenant, destination_resource="DataDisk", resource_type="disk", zone_id="cn-hangzhou-h"
    )
    assert {v.value for v in supported(body)["cn-hangzhou-h"]} == {
        "cloud_efficiency",
        "cloud_ssd",
        "cloud_essd",
        "cloud_auto",
    }


def test_available_resource_of_classic_network_is_nothing(tenant):
    body = available(tenant, destination_resource="Zone", network_category="classic")
    assert body.available_zones.available_zone == []


def test_available_resource_without_destination_answers_invalid_param(tenant):
    err = refusal(lambda: available(tenant))
    assert (err.status_code, err.code) == (400, "Invalid.Param")


def test_available_resource_refuses_an_unknown_destination(tenant):
    err = refusal(lambda: available(tenant, destination_resource="Galaxy"))
    assert (err.status_code, err.code) == (404, "Invalid.DestinationResource")


def test_available_resource_refuses_cores_next_to_an_instance_type(tenant):
    err = refusal(
        lambda: available(
            tenant, destination_resource="InstanceType", instance_type="ecs.g7.large", cores=2
        )
    )
    assert (err.status_code, err.code) == (403, "InvalidParam.TypeAndCpuMem.Conflict")


def test_available_resource_refuses_cores_for_a_zone_query(tenant):
    err = refusal(lambda: available(tenant, destination_resource="Zone", cores=2))
    assert (err.status_code, err.code) == (403, "InvalidParam.Cores")


def test_available_resource_knows_no_dedicated_host(tenant):
    err = refusal(
        lambda: available(tenant, destination_resource="Zone", dedicated_host_id="dh-bp1x")
    )
    assert (err.status_code, err.code) == (403, "InvalidDedicatedHostId.NotFound")


def test_available_system_disks_need_an_instance_type(tenant):
    err = refusal(lambda: available(tenant, destination_resource="SystemDisk"))
    assert (err.status_code, err.code) == (400, "MissingParameter")


def test_legacy_sdk_describes_available_instance_types(tenant):
    request = DescribeAvailableResourceRequest()
    request.set_DestinationResource("InstanceType")
    request.set_IoOptimized("optimized")
    request.set_InstanceType("ecs.g7.large")
    body = legacy_json(tenant, request)
    zones_found = {z["ZoneId"] for z in body["AvailableZones"]["AvailableZone"]}
    assert zones_found == {"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"}


def test_legacy_sdk_available_resource_refuses_an_unknown_resource_type(tenant):
    request = DescribeAvailableResourceRequest()
    request.set_DestinationResource("Zone")
    request.set_ResourceType("spaceship")
    err = legacy_refusal(tenant, request)
    assert (err.get_http_status(), err.get_error_code()) == (404, "Invalid.ResourceType")


# -- the paging helpers themselves


def test_token_paging_resumes_after_the_last_key_even_when_an_item_went_away():
    first = paging.by_token(list(range(10)), None, 4, key=lambda i: i)
    rest = paging.by_token([i for i in range(10) if i != 4], first.next_token, 4, key=lambda i: i)
    assert (first.items, rest.items) == ([0, 1, 2, 3], [5, 6, 7, 8])


def test_token_of_the_wrong_kind_is_refused():
    with pytest.raises(VendorError) as info:
        paging.by_token([1, 2], paging.encode_token("abc"), 1, key=lambda i: i)
    assert info.value.code == "InvalidParameter.NextToken"
