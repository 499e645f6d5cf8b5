"""Each official SDK reaches the server, signed, and gets a vendor-shaped answer."""

from alibabacloud_ecs20140526 import models as ecs_models

from tests import clients


def test_tea_sdk_describes_regions_with_acs3_signature(tenant):
    body = clients.tea_ecs(tenant).describe_regions(ecs_models.DescribeRegionsRequest()).body
    assert "cn-hangzhou" in [r.region_id for r in body.regions.region]
    assert body.request_id
