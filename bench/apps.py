"""Per-request cost: the same views with no session, the framework's own, and the module.

Each framework gets a plain app (no session installed, a view returning a constant)
and, for its own cookie session where it has one and for the generated module, one app
per measured view (untouched, read, read and write: see bench.views), each sent a valid
cookie that the app itself wrote through its SEED view. The apps are called the way a
server calls them (bench.drivers).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, cast
from wsgiref.types import WSGIApplication

from bench import drivers
from bench.codecs import SECRET, BenchError
from bench.drivers import Reply, Serve
from bench.timing import Batch
from bench.views import (
    CART_ID,
    DUMP,
    MEASURED,
    PLAIN,
    SEED,
    SESSION_VIEWS,
    STORED_SESSION,
    WRITTEN_SESSION,
    NativeSession,
    View,
    generated_views,
    native_views,
)

NONE, KEYED, NATIVE, GENERATED = "none", "none, SECRET_KEY set", "native", "generated"
"""The sessions an app has: none, none with the secret the module needs, its own, the module."""
HOOKS = "no-op hooks"
"""No session, but hooks of the kind the module installs (an ASGI middleware that wraps
send, a Django middleware, a Pyramid tween, ...) that do nothing: what any session
installed that way costs a request before it does any work."""
PLAIN_VIEW = "plain"
KEY_32 = hashlib.sha256(SECRET.encode()).digest()
"""A 32-byte key for the native sessions that take raw key bytes."""


@dataclass(frozen=True)
class Context:
    """What the app builders need: the event loop for async apps, the generated module."""

    runner: asyncio.Runner
    module: ModuleType | None
    touchup: bool = False
    """Whether Sanic runs TouchUp, as deployed. It rewrites Sanic's classes for the whole
    process, so only the bench's own process turns it on, never one that serves other
    Sanic apps after (a test process)."""


Build = Callable[[Context, str, Mapping[str, View]], Serve]
"""Makes a framework's app with one of the sessions above and the given routes."""


@dataclass(frozen=True)
class Framework:
    label: str
    name: str
    """The template's framework answer."""
    build: Build
    native: bool
    """Whether the framework has a cookie session of its own to measure."""
    keyed: bool = False
    """Whether the secret the module reads turns on the framework's own session."""
    hooks: bool = True
    """Whether the module installs hooks that run on every request (measured as HOOKS);
    Flask's, Quart's and Bottle's hook in only where a session is used."""


@dataclass(frozen=True)
class RequestCase:
    """One app and the request it is sent: call it once (to check) or in batches."""

    framework: str
    session: str
    view: str
    call: Callable[[], Reply]
    batch: Batch
    cookie: str | None = None
    dump: Callable[[str | None], Reply] | None = None
    """For session apps: their DUMP view, sent a Cookie header."""

    @property
    def kind(self) -> str:
        return f"{self.session} {self.view}"


def cookie_header(set_cookies: list[str]) -> str:
    """The Cookie header a browser sends back after these Set-Cookie headers."""
    pairs = [line.split(";", 1)[0].strip() for line in set_cookies]
    return "; ".join(pair for pair in pairs if not pair.endswith("="))


def _dumped(case: RequestCase, cookie: str | None) -> object:
    assert case.dump is not None
    reply = case.dump(cookie)
    if reply.status != 200:
        raise BenchError(f"{case.framework} {case.kind}: dump status {reply.status}")
    return json.loads(reply.body)


def check(case: RequestCase) -> Reply:
    """Call the app once and make sure it did the work the bench means to time."""
    label = f"{case.framework} {case.kind}"
    reply = case.call()
    if reply.status != 200:
        raise BenchError(f"{label}: status {reply.status}: {reply.body[:500]!r}")
    reads = case.view in ("read", "write")
    expected = str(STORED_SESSION["cart_id"]) if reads else CART_ID
    if reply.body.decode() != expected:
        raise BenchError(f"{label}: body {reply.body!r}, expected {expected!r}")
    cookies = reply.values("set-cookie")
    if case.dump is not None and _dumped(case, case.cookie) != STORED_SESSION:
        raise BenchError(f"{label}: the seeded cookie {case.cookie!r} does not read back")
    if case.view == "write":
        if not cookies or _dumped(case, cookie_header(cookies)) != WRITTEN_SESSION:
            raise BenchError(f"{label}: Set-Cookie {cookies} does not hold the written session")
    elif cookies and case.session != NATIVE:  # some native sessions re-send theirs
        raise BenchError(f"{label}: a view that wrote nothing set a cookie: {cookies}")
    return reply


def framework_cases(framework: Framework, context: Context) -> list[RequestCase]:
    """The plain app, then the native session's and the module's, one per measured view."""

    def case(session: str, view: str, routes: Mapping[str, View]) -> RequestCase:
        serve = framework.build(context, session, routes)
        if view == PLAIN_VIEW:
            return RequestCase(framework.label, session, view, *serve(MEASURED, None))
        seeded = serve(SEED, None)[0]()
        cookie = cookie_header(seeded.values("set-cookie"))
        call, batch = serve(MEASURED, cookie)
        return RequestCase(
            framework.label,
            session,
            view,
            call,
            batch,
            cookie,
            lambda sent: serve(DUMP, sent)[0](),
        )

    cases = [case(NONE, PLAIN_VIEW, PLAIN)]
    if framework.keyed:
        cases.append(case(KEYED, PLAIN_VIEW, PLAIN))
    if framework.hooks:
        cases.append(case(HOOKS, PLAIN_VIEW, PLAIN))
    if framework.native:
        cases += [case(NATIVE, view, native_views(view)) for view in SESSION_VIEWS]
    if context.module is not None:
        module = context.module
        cases += [case(GENERATED, view, generated_views(module, view)) for view in SESSION_VIEWS]
    return cases


def _module(context: Context) -> ModuleType:
    if context.module is None:
        raise BenchError("no generated module for this framework")
    return context.module


# WSGI frameworks


def flask_app(context: Context, session: str, routes: Mapping[str, View]) -> Serve:
    from flask import Flask
    from flask import session as native

    app = Flask(f"bench_flask_{session}")
    _flask_routes(app, session, routes, lambda body: lambda: body(lambda: native))
    return _without_module_receivers(session, lambda path, cookie: drivers.wsgi(app, path, cookie))


def _without_module_receivers(session: str, serve: Serve) -> Serve:
    """For an app without the generated module, serve with the module's signals muted.

    Once imported, the Flask and Quart modules connect receivers to their framework's
    signals (request_finished, and appcontext_pushed in Quart) for every app in the
    process; an app deployed without the module has none.
    """
    if session == GENERATED:
        return serve
    import flask
    import quart

    signals = (flask.request_finished, quart.request_finished, quart.appcontext_pushed)

    @contextlib.contextmanager
    def quiet() -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for signal in signals:
                stack.enter_context(signal.muted())
            yield

    def muted(path: str, cookie: str | None) -> drivers.Driven:
        call, batch = serve(path, cookie)

        def call_muted() -> Reply:
            with quiet():
                return call()

        def batch_muted(n: int) -> tuple[int, int]:
            with quiet():
                return batch(n)

        return call_muted, batch_muted

    return muted


def _flask_routes(
    app: Any,
    session: str,
    routes: Mapping[str, View],
    endpoint: Callable[[Callable[[NativeSession], str]], Callable[[], Any]],
) -> None:
    """A Flask or Quart app's secret (unless it has no session) and routes."""
    if session != NONE:
        app.config["SECRET_KEY"] = SECRET
    for path, view in routes.items():
        app.add_url_rule(path, path, endpoint(view.body))


class _URLConf:
    """One Django app's URLconf: its routes alone, so no app pays for another's."""

    def __init__(self, urlpatterns: list[Any]) -> None:
        self.urlpatterns = urlpatterns


def django_app(context: Context, session: str, routes: Mapping[str, View]) -> Serve:
    from bench.codecs import configure_django

    configure_django()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
    from django.http import HttpRequest, HttpResponse
    from django.urls import path

    def endpoint(view: View) -> Callable[[HttpRequest], HttpResponse]:
        def respond(request: HttpRequest) -> HttpResponse:
            body = view.body(lambda: cast(Any, request.session))
            return HttpResponse(body, content_type="text/plain")

        return respond

    urlconf = _URLConf([path(route[1:], endpoint(view)) for route, view in routes.items()])
    middleware = {
        NONE: [],
        HOOKS: [f"{__name__}.django_no_op_middleware"],
        NATIVE: ["django.contrib.sessions.middleware.SessionMiddleware"],
    }
    settings.MIDDLEWARE = (
        [f"{_module(context).__name__}.SessionCookieMiddleware"]
        if session == GENERATED
        else middleware[session]
    )
    app = WSGIHandler()
    # Django resolves a request's path with request.urlconf when it has one
    app.request_class = type("BenchRequest", (WSGIRequest,), {"urlconf": urlconf})
    return lambda route, cookie: drivers.wsgi(cast(WSGIApplication, app), route, cookie)


def django_no_op_middleware(get_response: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A Django middleware that passes every request and response on unchanged."""

    def middleware(request: Any) -> Any:
        return get_response(request)

    return middleware


def falcon_app(context: Context, session: str, routes: Mapping[str, View]) -> Serve:
    import falcon

    app = falcon.App(middleware=_falcon_middleware(context, session, _FalconNoOp()))
    for path, view in routes.items():
        app.add_route(path, _FalconResource(view))
    return lambda path, cookie: drivers.wsgi(app, path, cookie)


def _falcon_middleware(context: Context, session: str, no_op: object) -> list[Any]:
    """A Falcon app's middleware list: none, no_op, or the module's."""
    if session == HOOKS:
        return [no_op]
    if session == GENERATED:
        return [_module(context).SessionCookieMiddleware(secret=SECRET)]
    return []


class _FalconNoOp:
    """Falcon middleware with the methods the module's has, doing nothing."""

    def process_request(self, req: Any, resp: Any) -> None:
        pass

    def process_response(self, req: Any, resp: Any, resource: object, succeeded: bool) -> None:
        pass


class _FalconAsgiNoOp:
    async def process_request(self, req: Any, resp: Any) -> None:
        pass

    async def process_response(
        self, req: Any, resp: Any, resource: object, succeeded: bool
    ) -> None:
        pass


class _FalconResource:
    def __init__(self, view: View) -> None:
        self.body = view.body

    def on_get(self, req: Any, resp: Any) -> None:
        resp.content_type = "text/plain"
        resp.text = self.body(untouchable)


def untouchable() -> Any:
    raise BenchError("this framework has no session of its own")


def bottle_app(context: Context, session: str, routes: Mapping[str, View]) -> Serve:
    import bottle  # type: ignore[import-untyped]

    app = bottle.Bottle()
    if session != NONE:
        app.config["session.secret"] = SECRET
    for path, view in routes.items():
        body = view.body
        app.route(path)(lambda body=body: body(untouchable))
    return lambda path, cookie: drivers.wsgi(cast(WSGIApplication, app), path, cookie)


def pyramid_app(context: Context, session: str, routes: Mapping[str, View]) -> Serve:
    from pyramid.config import Configurator  # type: ignore[import-untyped]
    from pyramid.request import Request  # type: ignore[import-untyped]
    from pyramid.response import Response  # type: ignore[import-untyped]
    from pyramid.session import SignedCookieSessionFactory  # type: ignore[import-untyped]

    with Configurator(settings={"session.secret": SECRET}) as config:
        if session == NATIVE:
            config.set_session_factory(SignedCookieSessionFactory(SECRET))
        elif session == HOOKS:
            config.add_tween(f"{__name__}.pyramid_no_op_tween_factory")
        elif session == GENERATED:
            config.include(_module(context).__name__)
        for path, view in routes.items():
            body = view.body

            def respond(request: Request, body: Callable[..., str] = body) -> Response:
                text = body(lambda: request.session)
                return Response(text, content_type="text/plain")

            config.add_route(path, path)
            config.add_view(respond, route_name=path)
        app = config.make_wsgi_app()
    return lambda path, cookie: drivers.wsgi(app, path, cookie)


def pyramid_no_op_tween_factory(
    handler: Callable[[Any], Any], registry: object
) -> Callable[[Any], Any]:
    """A Pyramid tween that passes every request and response on unchanged."""

    def tween(request: Any) -> Any:
        return handler(request)

    return tween


# ASGI frameworks


class NoOpASGIMiddleware:
    """An ASGI middleware that wraps send and changes nothing, as a session middleware
    that writes response headers must wrap it."""

    def __init__(self, app: drivers.ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def send_on(message: Any) -> None:
            await send(message)

        await self.app(scope, receive, send_on)


def quart_app(context: Context, session: str, routes: Mapping[str, View]) -> Serve:
    from quart import Quart
    from quart import session as native

    def endpoint(body: Callable[[NativeSession], str]) -> Callable[[], Any]:
        async def respond() -> str:
            return body(lambda: native)

        return respond

    app = Quart(f"bench_quart_{session}")
    _flask_routes(app, session, routes, endpoint)
    drivers.lifespan(context.runner, app)
    return _without_module_receivers(
        session, lambda path, cookie: drivers.asgi(context.runner, app, path, cookie)
    )


def starlette_app(context: Context, session: str, routes: Mapping[str, View]) -> Serve:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    def endpoint(view: View) -> Callable[[Request], Any]:
        async def respond(request: Request) -> PlainTextResponse:
            return PlainTextResponse(view.body(lambda: request.session))

        return respond

    app = Starlette(
        routes=[Route(path, endpoint(view)) for path, view in routes.items()],
        middleware=_starlette_middleware(context, session),
    )
    return lambda path, cookie: drivers.asgi(context.runner, app, path, cookie)


def fastapi_app(context: Context, session: str, routes: Mapping[str, View]) -> Serve:
    from fastapi import FastAPI, Request
    from fastapi.responses import PlainTextResponse

    app = FastAPI(middleware=_starlette_middleware(context, session))
    for path, view in routes.items():
        body = view.body

        async def respond(request: Request, body: Callable[..., str] = body) -> str:
            return body(lambda: request.session)

        respond.__annotations__["request"] = Request  # FastAPI reads it at run time
        app.get(path, response_class=PlainTextResponse)(respond)
    return lambda path, cookie: drivers.asgi(context.runner, app, path, cookie)


def _starlette_middleware(context: Context, session: str) -> list[Any]:
    """The middleware list of a Starlette or FastAPI app with that session."""
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware

    if session == NATIVE:
        return [Middleware(SessionMiddleware, secret_key=SECRET)]
    if session == HOOKS:
        return [Middleware(NoOpASGIMiddleware)]
    if session == GENERATED:
        return [Middleware(_module(context).SessionCookieMiddleware, secret=SECRET)]
    return []


def litestar_app(context: Context, session: str, routes: Mapping[str, View]) -> Serve:
    from litestar import Litestar, MediaType, Request, get
    from litestar.middleware import DefineMiddleware
    from litestar.middleware.session.client_side import CookieBackendConfig

    def endpoint(path: str, view: View) -> Any:
        async def respond(request: Request[Any, Any, Any]) -> str:
            return view.body(lambda: request.session)

        respond.__annotations__ = {"request": Request, "return": str}  # read at run time
        return get(path, media_type=MediaType.TEXT)(respond)

    middleware: list[Any] = []
    if session == NATIVE:
        middleware = [CookieBackendConfig(secret=KEY_32).middleware]
    elif session == HOOKS:
        middleware = [DefineMiddleware(NoOpASGIMiddleware)]
    elif session == GENERATED:
        middleware = [DefineMiddleware(_module(context).SessionCookieMiddleware, secret=SECRET)]
    app = Litestar(
        route_handlers=[endpoint(path, view) for path, view in routes.items()],
        middleware=middleware,
    )
    return lambda path, cookie: drivers.asgi(context.runner, app, path, cookie)


def falcon_asgi_app(context: Context, session: str, routes: Mapping[str, View]) -> Serve:
    import falcon.asgi

    app = falcon.asgi.App(middleware=_falcon_middleware(context, session, _FalconAsgiNoOp()))
    for path, view in routes.items():
        app.add_route(path, _FalconAsgiResource(view))
    drivers.lifespan(context.runner, app)
    return lambda path, cookie: drivers.asgi(context.runner, app, path, cookie)


class _FalconAsgiResource(_FalconResource):
    async def on_get(self, req: Any, resp: Any) -> None:  # type: ignore[override]
        super().on_get(req, resp)


_sanic_apps = 0


def sanic_app(context: Context, session: str, routes: Mapping[str, View]) -> Serve:
    from sanic import Request, Sanic
    from sanic.response import BaseHTTPResponse, HTTPResponse, text

    global _sanic_apps
    _sanic_apps += 1
    app: Sanic[Any, Any] = Sanic(f"bench_sanic_{_sanic_apps}", configure_logging=False)
    # TouchUp, on by default, rewrites Sanic's own classes at start-up to drop the
    # dispatch of every signal the app has no handler for. It rewrites them for the whole
    # process, and fails when run again: only the first app runs it, which does for all
    # (none of them handles a signal, middleware are not signals).
    app.config.TOUCHUP = context.touchup and _sanic_apps == 1
    if session == HOOKS:

        async def on_request(request: Request) -> None:
            pass

        async def on_response(request: Request, response: BaseHTTPResponse) -> None:
            pass

        app.register_middleware(on_request, "request")
        app.register_middleware(on_response, "response")
    elif session == GENERATED:
        _module(context).SessionCookieMiddleware(app, secret=SECRET)
    for path, view in routes.items():
        body = view.body

        async def respond(request: Request, body: Callable[..., str] = body) -> HTTPResponse:
            return text(body(untouchable))

        app.add_route(respond, path, name=path.strip("/") or "measured")
    drivers.lifespan(context.runner, app)
    return lambda path, cookie: drivers.asgi(context.runner, app, path, cookie)


def aiohttp_app(context: Context, session: str, routes: Mapping[str, View]) -> Serve:
    from aiohttp import web

    app = web.Application()
    get_native: Callable[[web.Request], Any] | None = None
    if session == NATIVE:
        import aiohttp_session
        from aiohttp_session.cookie_storage import EncryptedCookieStorage

        aiohttp_session.setup(app, EncryptedCookieStorage(KEY_32))
        get_native = aiohttp_session.get_session
    elif session == HOOKS:

        @web.middleware
        async def passing(request: web.Request, handler: Any) -> web.StreamResponse:
            return cast(web.StreamResponse, await handler(request))

        async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
            pass

        app.middlewares.append(passing)
        app.on_response_prepare.append(on_prepare)
    elif session == GENERATED:
        _module(context).SessionCookieMiddleware(app, secret=SECRET)
    for path, view in routes.items():

        async def respond(request: web.Request, view: View = view) -> web.Response:
            opened = await get_native(request) if get_native and view.touches else {}
            return web.Response(text=view.body(lambda: cast(MutableMapping[str, object], opened)))

        app.router.add_get(path, respond)
    app.freeze()
    context.runner.run(app.startup())
    return lambda path, cookie: drivers.aiohttp(context.runner, app, path, cookie)


FRAMEWORKS = (
    Framework("Flask", "flask", flask_app, native=True, keyed=True, hooks=False),
    Framework("Quart", "quart", quart_app, native=True, keyed=True, hooks=False),
    Framework("Starlette", "starlette", starlette_app, native=True),
    Framework("FastAPI", "fastapi", fastapi_app, native=True),
    Framework("Django", "django", django_app, native=True),
    Framework("Litestar", "litestar", litestar_app, native=True),
    Framework("Pyramid", "pyramid", pyramid_app, native=True),
    Framework("aiohttp", "aiohttp", aiohttp_app, native=True),
    Framework("Falcon", "falcon", falcon_app, native=False),
    Framework("Falcon ASGI", "falcon_asgi", falcon_asgi_app, native=False),
    Framework("Sanic", "sanic", sanic_app, native=False),
    Framework("Bottle", "bottle", bottle_app, native=False, hooks=False),
)
"""Every framework the template writes for; native: it has a cookie session of its own."""
