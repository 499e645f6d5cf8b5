"""The baseline of the benchmarks: a raw ASGI callable that answers a small JSON body.

No framework, no routing, no thread pool: what uvicorn itself costs per call.
Run as a script it starts uvicorn exactly as ``openecs serve`` does
(``uvicorn.run(app, host, port, log_level, access_log=False)``: one worker,
the same automatic loop and HTTP implementation), so that the only difference
between the two servers the benchmark drives is the application.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

BODY = b'{"message":"hello"}'
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
]

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Answer every HTTP request, on any path and method, with ``BODY``."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    # Drain the request body so the connection can be reused.
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    # The same call as openecs.cli.serve.
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)


if __name__ == "__main__":
    main()
