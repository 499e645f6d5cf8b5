"""Builds the ASGI application: both vendor faces and OpenECS's own admin API on one port."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from openecs.config import Settings
from openecs.core import lifetimes
from openecs.core.errors import Conflict, NotFound
from openecs.faces.aliyun.protocol import AliyunFace
from openecs.faces.aliyun.protocol import not_found_response as aliyun_not_found
from openecs.faces.huawei.protocol import HuaweiFace
from openecs.faces.huawei.protocol import not_found_response as huawei_not_found
from openecs.runtime import Runtime, save_clock_offset
from openecs.warmup import rehearse

# Huawei's REST paths are versioned (/v1, /v1.1, /v2.1, /v3...): any other path is the RPC wire's.
HUAWEI_PATH = re.compile(r"^/v\d+(\.\d+)?(/|$)")


def build_app(settings: Settings, runtime: Runtime | None = None) -> OpenEcsApp:
    """The whole server. ``runtime`` is created from ``settings`` unless given (tests)."""
    rt = runtime or Runtime(settings)
    aliyun = AliyunFace(rt)
    huawei = HuaweiFace(rt)
    if settings.warm_up:
        rehearse(rt, aliyun)

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "store": rt.db.dialect})

    async def clock(request: Request) -> JSONResponse:
        """Read the engine clock, or step it / change its speed (for tests and demos)."""
        if request.method == "POST":
            body = await request.json() if await request.body() else {}
            try:
                if "speed" in body:
                    rt.clock.set_speed(float(body["speed"]))
                if "advance" in body:
                    rt.clock.advance(float(body["advance"]))
            except (TypeError, ValueError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            with rt.db.write() as conn:
                save_clock_offset(conn, rt.clock.offset())
        return JSONResponse({"now": rt.clock.now(), "speed": rt.clock.speed})

    async def spot_interruptions(request: Request) -> JSONResponse:
        """Announce that a spot instance will be reclaimed (released or stopped) in 5 minutes."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        iid = body.get("instance_id") if isinstance(body, dict) else None
        if not isinstance(iid, str) or not iid:
            return JSONResponse({"error": "instance_id (a string) is required"}, status_code=400)
        try:
            with rt.db.write() as conn:
                vm = lifetimes.announce_interruption(conn, iid, now=rt.clock.now())
        except NotFound as err:
            return JSONResponse({"error": err.message, "reason": err.reason}, status_code=404)
        except Conflict as err:
            return JSONResponse({"error": err.message, "reason": err.reason}, status_code=409)
        spot = lifetimes.spot_of(vm)
        assert spot is not None
        return JSONResponse(
            {
                "instance_id": vm.id,
                "behavior": spot.behavior,
                "interruption_at": vm.extra["spot_interruption_at"],
            },
            status_code=202,
        )

    @asynccontextmanager
    async def lifespan(_: Starlette):  # noqa: ANN202
        yield
        if runtime is None:
            rt.close()

    routes = [
        Route("/_openecs/health", health, methods=["GET"]),
        Route("/_openecs/clock", clock, methods=["GET", "POST"]),
        Route("/_openecs/spot-interruptions", spot_interruptions, methods=["POST"]),
        *huawei.routes(),
    ]

    async def no_route(request: Request, exc: HTTPException):  # noqa: ANN202
        """A path or method no operation serves, answered in the wire's own words."""
        if HUAWEI_PATH.match(request.url.path):
            return huawei_not_found()
        return aliyun_not_found()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: no_route, 405: no_route},
    )
    # A path with a trailing slash is another path, as on the vendors' gateways: no redirects.
    app.router.redirect_slashes = False
    app.state.runtime = rt
    return OpenEcsApp(app, aliyun, rt)


class OpenEcsApp:
    """The outermost ASGI app: the Alibaba wire on ``/`` bare, everything else through Starlette.

    Every Alibaba call is ``GET`` or ``POST /``; serving it without the
    framework's routing, middleware and request objects keeps the per-call
    cost close to the bare server's (see docs/performance.md).
    """

    def __init__(self, starlette: Starlette, aliyun: AliyunFace, runtime: Runtime) -> None:
        self.starlette = starlette
        self.aliyun = aliyun
        self.state = starlette.state
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] in ("GET", "POST"):
            await self.aliyun(scope, receive, send)
        else:
            await self.starlette(scope, receive, send)
