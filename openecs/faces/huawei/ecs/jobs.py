"""ShowJob: the status of an asynchronous ECS job, as huaweicloudsdkecs' ShowJobResponse.

Clients (the Terraform provider among them) poll this until ``status`` is
SUCCESS or FAIL and read the servers of a creation from
``entities.sub_jobs[].entities.server_id``. Times are UTC with milliseconds.
"""

from __future__ import annotations

import time
from typing import Any

from openecs.core import jobs
from openecs.faces.call import Call
from openecs.faces.huawei.common import region_of
from openecs.faces.huawei.operations import ECS, HuaweiArgs, operation


def job_time(seconds: float | None) -> str:
    """``2017-04-25T20:04:34.604Z``; "" while the job has not ended."""
    if seconds is None:
        return ""
    millis = int(round(seconds * 1000)) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def _common(job: jobs.Job) -> dict[str, Any]:
    return {
        "status": job.status,
        "job_id": job.id,
        "job_type": job.job_type,
        "begin_time": job_time(job.begin_time),
        "end_time": job_time(job.end_time),
        "error_code": job.error_code,
        "fail_reason": job.fail_reason,
    }


def _sub_entities(entities: dict[str, Any]) -> dict[str, Any]:
    """A sub-job's entities: its server, and its NIC for a NIC job."""
    out = {"server_id": entities.get("server_id", "")}
    if "nic_id" in entities:
        out["nic_id"] = entities["nic_id"]
    return out


def render(job: jobs.Job) -> dict[str, Any]:
    subs = [{**_common(s), "entities": _sub_entities(s.entities)} for s in job.sub_jobs]
    return {**_common(job), "entities": {"sub_jobs_total": len(subs), "sub_jobs": subs}}


@operation(ECS, "ShowJob", "GET", "/v1/{project_id}/jobs/{job_id}")
def show_job(call: Call, req: HuaweiArgs) -> dict[str, Any]:
    """Query the execution status of a job."""
    with call.db.read() as conn:
        job = jobs.get_job(conn, call.account.id, region_of(call), req.path["job_id"])
        return render(job)
