"""Where a request is answered: on the event loop on SQLite, in the thread pool on PostgreSQL.

On SQLite a worker thread buys no parallelism (one writer, the GIL) and the hop
costs more than a short call; on PostgreSQL a request waits on the network, and
the loop serves others meanwhile (Runtime.answers_inline). Both faces follow it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from openecs.app import build_app
from openecs.config import Settings
from openecs.faces.aliyun.protocol import AliyunFace
from openecs.faces.huawei.protocol import HuaweiFace


def _where_answered(face: type, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    handle = face.handle

    def recording(self, *args):  # noqa: ANN001, ANN002, ANN202
        try:
            asyncio.get_running_loop()
            seen.append("event loop")
        except RuntimeError:
            seen.append("thread pool")
        return handle(self, *args)

    monkeypatch.setattr(face, "handle", recording)
    return seen


def _get(app: object, path: str, query: bytes = b"") -> int:
    """One GET through the ASGI app, as the server would hand it over; the status answered."""
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
        "root_path": "", "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))  # type: ignore[operator]
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_each_face_answers_where_the_store_says(
    store: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = request.getfixturevalue("postgres_url") if store == "postgres" else None
    aliyun = _where_answered(AliyunFace, monkeypatch)
    huawei = _where_answered(HuaweiFace, monkeypatch)
    app = build_app(Settings(data_dir=tmp_path, database_url=url, warm_up=False))
    try:  # unsigned: each answers its refusal, from its handler
        assert _get(app, "/", b"Action=DescribeRegions") == 400
        assert _get(app, "/v1/p/cloudservers/detail") == 401
    finally:
        app.state.runtime.close()
    expected = "event loop" if store == "sqlite" else "thread pool"
    assert aliyun == huawei == [expected]
