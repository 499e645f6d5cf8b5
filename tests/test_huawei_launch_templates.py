"""Huawei v3 launch templates (seed 001) through the official huaweicloudsdkecs client, on
both stores; the two calls the SDK has no method for (adding and deleting a version) are
hand-signed requests over real HTTP.

Terraform's huaweicloud_compute_template flow first (create, read by id, read its
versions, delete, read again: gone), then the template data kept as given, dry runs,
listing filters and paging, versions, and refusals that change nothing.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import httpx
import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import (
    CreateLaunchTemplateRequest,
    CreateLaunchTemplateRequestBody,
    DeleteLaunchTemplatesRequest,
    LaunchTemplateOption,
    ListLaunchTemplateVersionsRequest,
    ListTemplatesRequest,
    TemplateBlockDeviceMappingAttachmentOption,
    TemplateBlockDeviceMappingOption,
    TemplateData,
    TemplateNetworkInterfaceAttachmentOption,
    TemplateNetworkInterfaceOption,
    TemplateOsProfile,
    TemplateTag,
    TemplateTagOptions,
)

from tests import clients, signers

SEED_EXAMPLE = {
    "flavor_id": "s3.small.1",
    "name": "ECS_Template",
    "description": "aaa",
    "availability_zone_id": "az1",
    "enterprise_project_id": "0",
    "auto_recovery": True,
    "os_profile": {
        "key_name": "string",
        "user_data": "string",
        "iam_agency_name": "",
        "enable_monitoring_service": False,
    },
    "security_group_ids": ["76b47fb1-166e-46b9-82e4-1e1c6ecf2af0"],
    "network_interfaces": [
        {"virsubnet_id": "1b223400-8aa1-444f-b3ad-d846fdbeff7e", "attachment": {"device_index": 0}}
    ],
    "block_device_mappings": [
        {
            "source_id": "8e52e33d-1f2f-4d65-bd1f-c42cc420edc1",
            "source_type": "image",
            "encrypted": False,
            "cmk_id": "",
            "volume_type": "SATA",
            "volume_size": 40,
            "attachment": {"boot_index": 0},
        }
    ],
    "market_options": {
        "market_type": "postpaid",
        "spot_options": {
            "spot_price": 0,
            "block_duration_minutes": 0,
            "instance_interruption_behavior": "",
        },
    },
    "internet_access": {
        "publicip": {
            "publicip_type": "5_union",
            "charging_mode": "postPaid",
            "bandwidth": {"share_type": "PER", "size": 0, "charge_mode": "bandwidth", "id": ""},
        }
    },
    "metadata": {"additionalProp1": "", "additionalProp2": "x"},
    "tag_options": [{"tags": [{"key": "aaa", "value": "bbb"}]}],
}


@pytest.fixture
def ecs(tenant):  # noqa: ANN001, ANN201
    return clients.hw_ecs(tenant)


def _create(ecs, name: str = "tpl", dry_run: bool | None = None, **data) -> str:  # noqa: ANN001
    option = LaunchTemplateOption(
        name=name, description="d", version_description="1.0", template_data=TemplateData(**data)
    )
    body = CreateLaunchTemplateRequestBody(launch_template=option, dry_run=dry_run)
    return ecs.create_launch_template(CreateLaunchTemplateRequest(body=body)).launch_template_id


def _templates(ecs, **kw) -> list:  # noqa: ANN001
    return ecs.list_templates(ListTemplatesRequest(**kw)).launch_templates or []


def _versions(ecs, **kw) -> list:  # noqa: ANN001
    return (
        ecs.list_launch_template_versions(
            ListLaunchTemplateVersionsRequest(**kw)
        ).launch_template_versions
        or []
    )  # noqa: E501


def _raw(tenant, method: str, path: str, body: dict | None = None) -> httpx.Response:  # noqa: ANN001
    """A hand-signed request, for the calls the SDK has no method for."""
    path, _, query = path.format(project_id=tenant.project_id()).partition("?")
    pairs = parse_qsl(query)
    content = json.dumps(body).encode() if body is not None else b""
    headers = signers.huawei_headers(
        tenant.ak,
        tenant.sk,
        host=tenant.endpoint,
        method=method,
        path=path,
        query=pairs,
        body=content,
    )
    return httpx.request(method, tenant.url + path, params=pairs, headers=headers, content=content)


def _add_version(tenant, lt: str, **body) -> httpx.Response:  # noqa: ANN001
    return _raw(
        tenant,
        "POST",
        "/v3/{project_id}/launch-template-versions",
        {"launch_template_id": lt, **body},
    )


def _refused(call) -> ClientRequestException:  # noqa: ANN001
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


def test_terraform_flow_creates_reads_and_deletes(ecs):
    lt = _create(ecs, flavor_id="s6.small.1")
    (t,) = _templates(ecs, launch_template_id=[lt])
    assert (t.id, t.name, t.default_version, t.latest_version) == (lt, "tpl", 1, 1)
    (v,) = _versions(ecs, launch_template_id=lt)
    assert (v.version_number, v.version_description, v.launch_template_id) == (1, "1.0", lt)
    assert v.template_data.flavor_id == "s6.small.1" and v.version_id
    ecs.delete_launch_templates(DeleteLaunchTemplatesRequest(launch_template_id=lt))
    assert _templates(ecs, launch_template_id=[lt]) == []
    assert _versions(ecs, launch_template_id=lt) == []
    err = _refused(
        lambda: ecs.delete_launch_templates(DeleteLaunchTemplatesRequest(launch_template_id=lt))
    )
    assert (err.status_code, err.error_code) == (404, "Ecs.0005")


def test_the_seeds_example_is_kept_and_answered_as_given(tenant, ecs):
    body = {"launch_template": {"name": "ECS_Template", "template_data": SEED_EXAMPLE}}
    created = _raw(tenant, "POST", "/v3/{project_id}/launch-templates", body)
    assert created.status_code == 200
    lt = created.json()["launch_template_id"]
    got = _raw(
        tenant, "GET", f"/v3/{{project_id}}/launch-template-versions?launch_template_id={lt}"
    )
    (version,) = got.json()["launch_template_versions"]
    assert version["template_data"] == SEED_EXAMPLE


def test_sdk_models_round_trip_through_a_template(ecs):
    lt = _create(
        ecs,
        os_profile=TemplateOsProfile(key_name="kp", user_data="aGk="),
        network_interfaces=[
            TemplateNetworkInterfaceOption(
                virsubnet_id="subnet-1",
                attachment=TemplateNetworkInterfaceAttachmentOption(device_index=0),
            )
        ],
        block_device_mappings=[
            TemplateBlockDeviceMappingOption(
                source_type="image",
                source_id="img-1",
                volume_type="SSD",
                volume_size=40,
                attachment=TemplateBlockDeviceMappingAttachmentOption(boot_index=0),
            )
        ],
        tag_options=[TemplateTagOptions(tags=[TemplateTag(key="k", value="v")])],
    )
    (v,) = _versions(ecs, launch_template_id=lt)
    d = v.template_data
    assert (d.os_profile.key_name, d.os_profile.user_data) == ("kp", "aGk=")
    assert d.network_interfaces[0].virsubnet_id == "subnet-1"
    assert d.block_device_mappings[0].attachment.boot_index == 0
    assert d.tag_options[0].tags[0].key == "k"


def test_references_are_not_checked_for_existence(ecs):
    lt = _create(ecs, flavor_id="no.such.flavor", security_group_ids=["no-such-group"])
    assert _versions(ecs, launch_template_id=lt)[0].template_data.flavor_id == "no.such.flavor"


def test_dry_run_answers_202_and_creates_nothing(tenant, ecs):
    body = {"launch_template": {"name": "dry"}, "dry_run": True}
    answer = _raw(tenant, "POST", "/v3/{project_id}/launch-templates", body)
    assert answer.status_code == 202
    assert _templates(ecs) == []


def test_dry_run_of_a_bad_request_answers_its_error(tenant, ecs):
    body = {"launch_template": {"description": "no name"}, "dry_run": True}
    answer = _raw(tenant, "POST", "/v3/{project_id}/launch-templates", body)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "Ecs.0005")
    assert _templates(ecs) == []


@pytest.mark.parametrize(
    "template",
    [
        {},
        {"name": 7},
        {"name": "x", "template_data": {"auto_recovery": "yes"}},
        {"name": "x", "template_data": {"network_interfaces": {"virsubnet_id": "s"}}},
        {"name": "x", "template_data": {"metadata": {"k": 1}}},
        {"name": "x", "template_data": {"block_device_mappings": [{"volume_size": "40"}]}},
    ],
)
def test_a_malformed_template_is_refused_and_creates_nothing(tenant, ecs, template):
    answer = _raw(
        tenant, "POST", "/v3/{project_id}/launch-templates", {"launch_template": template}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "Ecs.0005")
    assert _templates(ecs) == []


def test_a_name_is_unique_in_a_project(ecs):
    _create(ecs, "same")
    err = _refused(lambda: _create(ecs, "same"))
    assert (err.status_code, err.error_code) == (409, "Ecs.0005")
    assert len(_templates(ecs)) == 1


def test_templates_are_listed_by_ids_and_names_and_paged(ecs):
    a, b, c = (_create(ecs, n) for n in ("aa", "bb", "cc"))
    assert [t.id for t in _templates(ecs, launch_template_id=[a, c])] == [a, c]
    assert [t.name for t in _templates(ecs, name=["bb"])] == ["bb"]
    first = ecs.list_templates(ListTemplatesRequest(limit=2))
    assert [t.id for t in first.launch_templates] == [a, b]
    assert first.page_info.next_marker == b
    rest = ecs.list_templates(ListTemplatesRequest(limit=2, marker=b))
    assert [t.id for t in rest.launch_templates] == [c]
    assert rest.page_info.next_marker is None


def test_a_new_version_takes_the_next_number_and_is_listed(tenant, ecs):
    lt = _create(ecs, flavor_id="s6.small.1")
    answer = _add_version(
        tenant, lt, version_description="2.0", template_data={"flavor_id": "s6.large.2"}
    )
    assert answer.status_code == 200
    assert answer.json()["version_number"] == 2
    (t,) = _templates(ecs, launch_template_id=[lt])
    assert (t.default_version, t.latest_version) == (1, 2)
    assert [v.version_number for v in _versions(ecs, launch_template_id=lt)] == [1, 2]
    (v,) = _versions(ecs, launch_template_id=lt, version=[2])
    assert (v.template_data.flavor_id, v.version_description) == ("s6.large.2", "2.0")
    assert [v.version_number for v in _versions(ecs, flavor_id="s6.small.1")] == [1]


def test_versions_are_filtered_by_image_and_paged_by_version_id(tenant, ecs):
    disk = {"source_type": "image", "source_id": "img-9", "attachment": {"boot_index": 0}}
    lt = _create(ecs)
    _add_version(tenant, lt, template_data={"block_device_mappings": [disk]})
    _add_version(tenant, lt)
    assert [v.version_number for v in _versions(ecs, image_id="img-9")] == [2]
    first = ecs.list_launch_template_versions(
        ListLaunchTemplateVersionsRequest(launch_template_id=lt, limit=2)
    )
    assert [v.version_number for v in first.launch_template_versions] == [1, 2]
    rest = _versions(ecs, launch_template_id=lt, limit=2, marker=first.page_info.next_marker)
    assert [v.version_number for v in rest] == [3]


def test_a_version_of_an_unknown_template_is_not_found(tenant, ecs):
    answer = _add_version(tenant, "00000000-0000-0000-0000-000000000000")
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "Ecs.0005")


def test_a_version_dry_run_answers_202_and_adds_nothing(tenant, ecs):
    lt = _create(ecs)
    assert _add_version(tenant, lt, dry_run=True).status_code == 202
    assert [v.version_number for v in _versions(ecs, launch_template_id=lt)] == [1]


def test_a_version_is_deleted_by_its_id_but_never_the_default(tenant, ecs):
    lt = _create(ecs)
    second = _add_version(tenant, lt).json()["version_id"]
    first = _versions(ecs, launch_template_id=lt, version=[1])[0].version_id
    refused = _raw(tenant, "DELETE", f"/v3/{{project_id}}/launch-template-versions/{first}")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "Ecs.0005")
    done = _raw(tenant, "DELETE", f"/v3/{{project_id}}/launch-template-versions/{second}")
    assert done.status_code == 204
    assert [v.version_number for v in _versions(ecs, launch_template_id=lt)] == [1]
    again = _raw(tenant, "DELETE", f"/v3/{{project_id}}/launch-template-versions/{second}")
    assert again.status_code == 404


def test_templates_of_another_account_are_not_seen(server, ecs):
    lt = _create(ecs)
    other = clients.hw_ecs(server.new_tenant())
    assert _templates(other) == [] and _versions(other, launch_template_id=lt) == []
