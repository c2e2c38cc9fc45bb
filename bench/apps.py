"""Per-request cost: the same view with and without a session, called the way a server would.

Each framework gets a plain app (no session installed, a view returning a constant)
and, for each session implementation, an app whose view reads the cart id from the
session and writes the user id into it, sent a valid cookie. Apps are called
directly: WSGI apps with an environ dict and start_response, ASGI apps with a scope
dict and receive/send callables (no test client, no server, no network).
"""

from __future__ import annotations

import asyncio
import io
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, cast
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from bench.codecs import SECRET, BenchError, Codec, generated
from bench.timing import Batch
from bench.views import CART_ID, USER_ID, generated_view

ASGIApp = Callable[..., Any]
KEYED_PLAIN = "plain, SECRET_KEY set"


@dataclass(frozen=True)
class Reply:
    """What an app answered: status, headers (names lower-cased) and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]


@dataclass(frozen=True)
class RequestCase:
    """One app and the request it is sent: call it once (to check) or in batches."""

    framework: str
    kind: str
    """"plain", "native" or "generated", or another plain view ("plain, ...")."""
    expected_body: str
    call: Callable[[], Reply]
    batch: Batch
    verify_cookie: Callable[[str], bool] | None = None
    """For session views: whether a Set-Cookie value holds the written user id."""
    baseline: str = "plain"
    """The kind of the plain view this session view's overhead is measured against."""


def cookie_value(set_cookie: str) -> str:
    """The value of a Set-Cookie header."""
    return set_cookie.split(";", 1)[0].split("=", 1)[1]


def check(case: RequestCase) -> Reply:
    """Call the app once and make sure it did the work the bench means to time."""
    reply = case.call()
    label = f"{case.framework} {case.kind}"
    if reply.status != 200:
        raise BenchError(f"{label}: status {reply.status}: {reply.body[:500]!r}")
    if reply.body.decode() != case.expected_body:
        raise BenchError(f"{label}: body {reply.body!r}, expected {case.expected_body!r}")
    cookies = reply.values("set-cookie")
    if case.verify_cookie is None:
        if cookies:
            raise BenchError(f"{label}: a plain view set a cookie: {cookies}")
    elif len(cookies) != 1 or not case.verify_cookie(cookie_value(cookies[0])):
        raise BenchError(f"{label}: Set-Cookie {cookies} does not hold the written session")
    return reply


def writes_user_id(codec: Codec, cart_id: str) -> Callable[[str], bool]:
    """Whether a cookie value decodes, with codec, to the cart id and the written user id."""

    def verify(value: str) -> bool:
        session = codec.decode(value)
        return isinstance(session, Mapping) and dict(session) == {
            "cart_id": cart_id,
            "user_id": USER_ID,
        }

    return verify


# WSGI


def environ_for(path: str, cookie: str | None) -> WSGIEnvironment:
    environ: WSGIEnvironment = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if cookie is not None:
        environ["HTTP_COOKIE"] = cookie
    return environ


def wsgi(app: WSGIApplication, path: str, cookie: str | None) -> tuple[Callable[[], Reply], Batch]:
    """Call a WSGI app as a server does: fresh environ, consume and close the body."""
    template = environ_for(path, cookie)
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: object = None
    ) -> Callable[[bytes], object]:
        started.append((status, headers))
        return _ignore

    def call() -> Reply:
        started.clear()
        body = _drain(app(dict(template), cast(StartResponse, start_response)))
        status, headers = started[-1]
        lowered = [(name.lower(), value) for name, value in headers]
        return Reply(int(status.split()[0]), lowered, body)

    def batch(n: int) -> tuple[int, int]:
        respond = cast(StartResponse, start_response)
        wall, cpu = time.perf_counter_ns, time.thread_time_ns
        wall_start, cpu_start = wall(), cpu()
        for _ in range(n):
            _drain(app(dict(template), respond))
        elapsed = wall() - wall_start, cpu() - cpu_start
        started.clear()
        return elapsed

    return call, batch


def _ignore(data: bytes) -> object:
    return None


def _drain(body: Iterable[bytes]) -> bytes:
    try:
        return b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


# ASGI


def asgi(
    runner: asyncio.Runner, app: ASGIApp, path: str, cookie: str | None
) -> tuple[Callable[[], Reply], Batch]:
    """Call an ASGI app as a server does: fresh scope, an empty body, collect what is sent."""
    headers = [(b"host", b"localhost")]
    if cookie is not None:
        headers.append((b"cookie", cookie.encode("latin-1")))
    template: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
        "state": {},
    }
    request = {"type": "http.request", "body": b"", "more_body": False}

    async def receive() -> dict[str, Any]:
        return request

    async def discard(message: Mapping[str, Any]) -> None:
        return None

    async def once() -> Reply:
        sent: list[Mapping[str, Any]] = []

        async def send(message: Mapping[str, Any]) -> None:
            sent.append(message)

        await app(dict(template), receive, send)
        start = next(message for message in sent if message["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        raw: list[tuple[bytes, bytes]] = start.get("headers", [])
        decoded = [(name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in raw]
        return Reply(int(start["status"]), decoded, body)

    async def many(n: int) -> tuple[int, int]:
        wall, cpu = time.perf_counter_ns, time.thread_time_ns
        wall_start, cpu_start = wall(), cpu()
        for _ in range(n):
            await app(dict(template), receive, discard)
        return wall() - wall_start, cpu() - cpu_start

    def call() -> Reply:
        return runner.run(once())

    def batch(n: int) -> tuple[int, int]:
        return runner.run(many(n))

    return call, batch


# Frameworks


def flask_cases(module: ModuleType | None, secret: str = SECRET) -> list[RequestCase]:
    """Flask: a bare app, Flask's own session, and the generated module."""
    from flask import Flask, session

    from bench.codecs import flask_codecs

    cases = []
    plain = Flask("bench_flask_plain")
    plain.add_url_rule("/", "plain", lambda: CART_ID)
    cases.append(_wsgi_case("Flask", "plain", plain, None, CART_ID))

    native_codec = flask_codecs(secret)[0]
    stored = _small()
    native = Flask("bench_flask_native")
    native.secret_key = secret

    def native_view() -> str:
        cart_id = str(session.get("cart_id", ""))
        session["user_id"] = USER_ID
        return cart_id

    native.add_url_rule("/", "native", native_view)
    cookie = f"session={native_codec.encode(stored)}"
    verify = writes_user_id(native_codec, str(stored["cart_id"]))
    cases.append(_wsgi_case("Flask", "native", native, cookie, str(stored["cart_id"]), verify))

    if module is not None:
        # SECRET_KEY makes Flask open its own session on every request, whatever the
        # view does; the plain view of the same app, sent the same cookie, pays that
        # too, so the difference is the generated module's own work.
        codec = generated("generated", module, secret)
        app = Flask("bench_flask_generated")
        app.config["SECRET_KEY"] = secret
        app.add_url_rule("/", "generated", generated_view(module))
        app.add_url_rule("/plain", "plain", lambda: CART_ID)
        cookie = f"{module.COOKIE_NAME}={codec.encode(stored)}"
        cart_id = str(stored["cart_id"])
        cases.append(_wsgi_case("Flask", KEYED_PLAIN, app, cookie, CART_ID, path="/plain"))
        verify = writes_user_id(codec, cart_id)
        cases.append(
            _wsgi_case("Flask", "generated", app, cookie, cart_id, verify, baseline=KEYED_PLAIN)
        )
    return cases


def starlette_cases(
    runner: asyncio.Runner, module: ModuleType | None, secret: str = SECRET
) -> list[RequestCase]:
    """Starlette: a bare app, SessionMiddleware, and the generated SessionCookieMiddleware."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from bench.codecs import starlette_codec

    async def plain_view(request: Request) -> PlainTextResponse:
        return PlainTextResponse(CART_ID)

    async def native_view(request: Request) -> PlainTextResponse:
        cart_id = str(request.session.get("cart_id", ""))
        request.session["user_id"] = USER_ID
        return PlainTextResponse(cart_id)

    stored = _small()
    cart_id = str(stored["cart_id"])
    cases = []
    plain = Starlette(routes=[Route("/", plain_view)])
    call, batch = asgi(runner, plain, "/", None)
    cases.append(RequestCase("Starlette", "plain", CART_ID, call, batch))

    native_codec = starlette_codec(secret)
    native = Starlette(
        routes=[Route("/", native_view)],
        middleware=[Middleware(SessionMiddleware, secret_key=secret)],
    )
    call, batch = asgi(runner, native, "/", f"session={native_codec.encode(stored)}")
    verify = writes_user_id(native_codec, cart_id)
    cases.append(RequestCase("Starlette", "native", cart_id, call, batch, verify))

    if module is not None:
        body = generated_view(module)

        async def generated_endpoint(request: Request) -> PlainTextResponse:
            return PlainTextResponse(body())

        codec = generated("generated", module, secret)
        app = Starlette(
            routes=[Route("/", generated_endpoint)],
            middleware=[Middleware(module.SessionCookieMiddleware, secret=secret)],
        )
        call, batch = asgi(runner, app, "/", f"{module.COOKIE_NAME}={codec.encode(stored)}")
        verify = writes_user_id(codec, cart_id)
        cases.append(RequestCase("Starlette", "generated", cart_id, call, batch, verify))
    return cases


def django_cases(module: ModuleType | None, secret: str = SECRET) -> list[RequestCase]:
    """Django: no middleware, the signed_cookies SessionMiddleware, the generated one."""
    from bench.codecs import configure_django, django_codec

    configure_django(secret)
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    from bench import django_urls

    def handler(middleware: list[str]) -> WSGIApplication:
        settings.MIDDLEWARE = middleware
        return cast(WSGIApplication, WSGIHandler())

    stored = _small()
    cart_id = str(stored["cart_id"])
    cases = [_wsgi_case("Django", "plain", handler([]), None, CART_ID, path="/plain")]

    native_codec = django_codec(secret)
    app = handler(["django.contrib.sessions.middleware.SessionMiddleware"])
    cookie = f"sessionid={native_codec.encode(stored)}"
    verify = writes_user_id(native_codec, cart_id)
    cases.append(_wsgi_case("Django", "native", app, cookie, cart_id, verify, path="/native"))

    if module is not None:
        django_urls.generated_views[:] = [generated_view(module)]
        codec = generated("generated", module, secret)
        app = handler([f"{module.__name__}.SessionCookieMiddleware"])
        cookie = f"{module.COOKIE_NAME}={codec.encode(stored)}"
        verify = writes_user_id(codec, cart_id)
        cases.append(
            _wsgi_case("Django", "generated", app, cookie, cart_id, verify, path="/generated")
        )
    return cases


def _small() -> dict[str, object]:
    """The session a request's cookie carries: the view then writes USER_ID over it."""
    from bench.codecs import small_session

    return {**small_session(), "user_id": 654321}


def _wsgi_case(
    framework: str,
    kind: str,
    app: WSGIApplication,
    cookie: str | None,
    expected_body: str,
    verify: Callable[[str], bool] | None = None,
    path: str = "/",
    baseline: str = "plain",
) -> RequestCase:
    call, batch = wsgi(app, path, cookie)
    return RequestCase(framework, kind, expected_body, call, batch, verify, baseline)
