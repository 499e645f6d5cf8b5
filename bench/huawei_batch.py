"""A Huawei create-servers batch of 500: how long until its job answers SUCCESS.

Starts ``openecs serve`` (embedded SQLite, or ``--database-url``) on the real
clock (speed 1, the default boot time of 3 s) and drives it with the official
``huaweicloudsdkecs`` and ``huaweicloudsdkvpc`` clients over HTTP, signed
SDK-HMAC-SHA256 as the SDK signs: a VPC and a /16 subnet, then one
``POST /v1/{project_id}/cloudservers`` with ``count`` servers, then
``GET /v1/{project_id}/jobs/{job_id}`` every 50 ms until the job ends. The
target (issue 7): SUCCESS within the boot time plus 5 s of the request.

    python bench/huawei_batch.py [--count 500] [--database-url URL] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drivers import HOST, create_account, openecs_server  # noqa: E402

REGION = "cn-north-4"
IMAGE = "f4eaf719-7226-5c3a-abb5-b5e16ca86b3b"  # Ubuntu 22.04, x86
FLAVOR = "s6.small.1"
BOOT_SECONDS = 3.0  # openecs serve's default
TARGET_SLACK = 5.0


def clients(port: int, ak: str, sk: str, project_id: str):  # noqa: ANN201
    """The SDKs' ECS and VPC clients, pointed at the server (docs/wire-protocols.md, section 1)."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkecs.v2 import EcsClient
    from huaweicloudsdkvpc.v2 import VpcClient

    def build(cls):  # noqa: ANN001, ANN202
        return (
            cls.new_builder()
            .with_http_config(HttpConfig.get_default_config())
            .with_credentials(BasicCredentials(ak, sk, project_id))
            .with_endpoints([f"http://{HOST}:{port}"])
            .build()
        )

    return build(EcsClient), build(VpcClient)


def wait(what: str, ready, timeout: float = 30.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} not ready after {timeout} s")
        time.sleep(0.05)


def network(vpc) -> tuple[str, str]:  # noqa: ANN001
    """An ACTIVE VPC and an ACTIVE /16 subnet in it (room for the batch)."""
    from huaweicloudsdkvpc.v2 import (
        CreateSubnetOption,
        CreateSubnetRequest,
        CreateSubnetRequestBody,
        CreateVpcOption,
        CreateVpcRequest,
        CreateVpcRequestBody,
        ShowSubnetRequest,
        ShowVpcRequest,
    )

    body = CreateVpcRequestBody(vpc=CreateVpcOption(name="bench", cidr="10.0.0.0/8"))
    vpc_id = vpc.create_vpc(CreateVpcRequest(body=body)).vpc.id
    wait("the VPC", lambda: vpc.show_vpc(ShowVpcRequest(vpc_id=vpc_id)).vpc.status == "OK")
    option = CreateSubnetOption(
        name="bench", cidr="10.0.0.0/16", gateway_ip="10.0.0.1", vpc_id=vpc_id
    )
    subnet_id = vpc.create_subnet(
        CreateSubnetRequest(body=CreateSubnetRequestBody(subnet=option))
    ).subnet.id
    wait(
        "the subnet",
        lambda: vpc.show_subnet(ShowSubnetRequest(subnet_id=subnet_id)).subnet.status == "ACTIVE",
    )
    return vpc_id, subnet_id


def batch(ecs, vpc_id: str, subnet_id: str, count: int) -> dict[str, float | int | str]:  # noqa: ANN001
    """Create ``count`` servers in one request and time the job to its end."""
    from huaweicloudsdkecs.v2 import (
        CreateServersRequest,
        CreateServersRequestBody,
        PrePaidServer,
        PrePaidServerNic,
        PrePaidServerRootVolume,
        ShowJobRequest,
    )

    server = PrePaidServer(
        image_ref=IMAGE,
        flavor_ref=FLAVOR,
        name="bench",
        vpcid=vpc_id,
        nics=[PrePaidServerNic(subnet_id=subnet_id)],
        root_volume=PrePaidServerRootVolume(volumetype="SSD"),
        count=count,
    )
    t0 = time.monotonic()
    answer = ecs.create_servers(CreateServersRequest(body=CreateServersRequestBody(server=server)))
    accepted = time.monotonic() - t0
    assert len(answer.server_ids) == count, f"{len(answer.server_ids)} server ids answered"
    statuses: list[tuple[float, str]] = []
    while True:
        job = ecs.show_job(ShowJobRequest(job_id=answer.job_id))
        now = time.monotonic() - t0
        if not statuses or statuses[-1][1] != job.status:
            statuses.append((round(now, 3), job.status))
        if job.status in ("SUCCESS", "FAIL"):
            break
        if now > BOOT_SECONDS + 120:
            raise SystemExit(f"the job is still {job.status} after {now:.0f} s")
        time.sleep(0.05)
    subs = job.entities.sub_jobs or []
    done = sum(1 for s in subs if s.status == "SUCCESS")
    return {
        "count": count,
        "accepted_s": round(accepted, 3),
        "job_end_s": round(now, 3),
        "status": job.status,
        "sub_jobs_success": done,
        "statuses": statuses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=500, help="servers in the batch (at most 500)")
    parser.add_argument("--database-url", default=None, help="run OpenECS on PostgreSQL")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openecs-hwbatch-") as tmp:
        server = openecs_server(Path(tmp), args.database_url).start()
        try:
            ak, sk = create_account(Path(tmp), args.database_url)
            project = _project_id(Path(tmp), args.database_url, ak)
            ecs, vpc = clients(server.port, ak, sk, project)
            vpc_id, subnet_id = network(vpc)
            figures = batch(ecs, vpc_id, subnet_id, args.count)
            figures["rss_mb"] = round(server.rss_mb(), 1)
        finally:
            server.stop()
    limit = BOOT_SECONDS + TARGET_SLACK
    met = figures["status"] == "SUCCESS" and float(figures["job_end_s"]) <= limit
    print(
        f"create-servers batch of {figures['count']} (one request), embedded "
        f"{'PostgreSQL' if args.database_url else 'SQLite'} store, boot time {BOOT_SECONDS:g} s"
    )
    print(f"  request answered after   {figures['accepted_s']:7.3f} s")
    print(
        f"  job {figures['status']:<8} after      {figures['job_end_s']:7.3f} s "
        f"({figures['sub_jobs_success']} sub-jobs SUCCESS)"
    )
    print(f"  job statuses seen: {figures['statuses']}")
    print(
        f"  target: SUCCESS within {limit:g} s (boot + {TARGET_SLACK:g} s): "
        f"{'met' if met else 'NOT met'}"
    )
    if args.json:
        args.json.write_text(json.dumps({**figures, "target_s": limit, "met": met}, indent=2))
    return 0 if figures["status"] == "SUCCESS" else 1


def _project_id(data_dir: Path, database_url: str | None, ak: str) -> str:
    """The new account's Huawei project in REGION (``openecs accounts list --json``)."""
    import subprocess

    from drivers import REPO, child_env

    args = [
        sys.executable,
        "-m",
        "openecs",
        "accounts",
        "list",
        "--json",
        "--data-dir",
        str(data_dir),
    ]
    if database_url:
        args += ["--database-url", database_url]
    out = subprocess.run(args, cwd=REPO, env=child_env(), check=True, capture_output=True)
    (account,) = [a for a in json.loads(out.stdout) if a["access_key_id"] == ak]
    return account["huawei_project_ids"][REGION]


if __name__ == "__main__":
    sys.exit(main())
