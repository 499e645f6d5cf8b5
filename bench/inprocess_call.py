"""What a signed DescribeRegions costs inside the server process, without the network.

Drives the Alibaba face's ASGI callable and its ``handle`` directly, on a
temporary embedded store, with requests signed as the Tea SDK signs them (the
signer of ``describe_regions.py``). The difference between these figures and
the server CPU per call that ``describe_regions.py`` reports is what the HTTP
server, the event loop and the engine thread cost.

    python bench/inprocess_call.py [--calls N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from describe_regions import signed_describe_regions  # noqa: E402

from openecs.config import Settings  # noqa: E402
from openecs.faces.aliyun.protocol import AliyunFace, WireRequest  # noqa: E402
from openecs.runtime import Runtime  # noqa: E402


def scopes(ak: str, sk: str, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        _, path, headers, _ = signed_describe_regions(ak, sk, 8080)
        out.append(
            {
                "type": "http",
                "method": "POST",
                "path": "/",
                "query_string": path.split("?", 1)[1].encode(),
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            }
        )
    return out


async def drive_asgi(face: AliyunFace, items: list[dict]) -> float:
    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise SystemExit(f"answered {message['status']}")

    start = time.perf_counter()
    for scope in items:
        await face(scope, receive, send)
    return (time.perf_counter() - start) / len(items) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()
    rt = Runtime(Settings(data_dir=Path(tempfile.mkdtemp())), start_engine=False)
    try:
        face = AliyunFace(rt)
        ak, sk = rt.bootstrap.access_key_id, rt.bootstrap.access_key_secret
        warm = scopes(ak, sk, 200)
        asyncio.run(drive_asgi(face, warm))
        asgi_us = asyncio.run(drive_asgi(face, scopes(ak, sk, args.calls)))
        wires = []
        for scope in scopes(ak, sk, args.calls):
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            query = [tuple(p.split("=", 1)) for p in scope["query_string"].decode().split("&")]
            wires.append(WireRequest("POST", "/", query, [], headers, b""))
        start = time.perf_counter()
        for wire in wires:
            status, _ = face.handle(wire)
            if status != 200:
                raise SystemExit(f"answered {status}")
        handle_us = (time.perf_counter() - start) / len(wires) * 1e6
    finally:
        rt.close()
    print(f"{args.calls} signed DescribeRegions in-process, embedded SQLite store")
    print(f"  through the ASGI callable: {asgi_us:6.1f} us/call")
    print(f"  AliyunFace.handle alone:   {handle_us:6.1f} us/call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
