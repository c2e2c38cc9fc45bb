"""Calling an app the way a server does, without a server: once to check it, or in batches.

WSGI apps get an environ dict and start_response, ASGI apps a scope dict and
receive/send callables, aiohttp apps a request made the way its server makes one and
a writer that keeps nothing (no test client, no server, no network).
"""

from __future__ import annotations

import asyncio
import io
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from bench.timing import Batch

if TYPE_CHECKING:
    from aiohttp import web

ASGIApp = Callable[..., Any]


@dataclass(frozen=True)
class Reply:
    """What an app answered: status, headers (names lower-cased) and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]


Driven = tuple[Callable[[], Reply], Batch]
"""An app sent one request: call it once, or time a batch of n."""
Serve = Callable[[str, str | None], Driven]
"""An app, given the path and the Cookie header of the request to send it."""


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


def wsgi(app: WSGIApplication, path: str, cookie: str | None) -> Driven:
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

    def receiver() -> Callable[[], Awaitable[Mapping[str, Any]]]:
        """The request's body once, then nothing until the app stops listening."""
        messages = iter([request])

        async def receive() -> Mapping[str, Any]:
            for message in messages:
                return message
            await asyncio.Event().wait()  # the client never disconnects
            raise AssertionError("unreachable")

        return receive

    async def discard(message: Mapping[str, Any]) -> None:
        return None

    async def once() -> Reply:
        sent: list[Mapping[str, Any]] = []

        async def send(message: Mapping[str, Any]) -> None:
            sent.append(message)

        await app(dict(template), receiver(), send)
        start = next(message for message in sent if message["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        raw: list[tuple[bytes, bytes]] = start.get("headers", [])
        decoded = [(name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in raw]
        return Reply(int(start["status"]), decoded, body)

    return _run_in(runner, once, lambda: app(dict(template), receiver(), discard))


def _run_in(
    runner: asyncio.Runner,
    once: Callable[[], Coroutine[Any, Any, Reply]],
    respond: Callable[[], Awaitable[object]],
) -> Driven:
    """An async app's request in the runner's loop: once, answered, or n times, timed."""

    async def many(n: int) -> tuple[int, int]:
        wall, cpu = time.perf_counter_ns, time.thread_time_ns
        wall_start, cpu_start = wall(), cpu()
        for _ in range(n):
            await respond()
        return wall() - wall_start, cpu() - cpu_start

    def call() -> Reply:
        return runner.run(once())

    def batch(n: int) -> tuple[int, int]:
        return runner.run(many(n))

    return call, batch


def lifespan(runner: asyncio.Runner, app: ASGIApp) -> None:
    """Start an ASGI app's lifespan in the runner's loop, left running for its requests."""
    started: asyncio.Future[None] = runner.get_loop().create_future()
    stop = asyncio.Event()
    events = iter([{"type": "lifespan.startup"}])

    async def receive() -> Mapping[str, Any]:
        for event in events:
            return event
        await stop.wait()
        return {"type": "lifespan.shutdown"}

    async def send(message: Mapping[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set_result(None)
        elif message["type"] == "lifespan.startup.failed":
            started.set_exception(RuntimeError(message.get("message", "start-up failed")))

    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.3"}, "state": {}}
    task = runner.get_loop().create_task(app(scope, receive, send))
    runner.run(asyncio.wait_for(asyncio.shield(started), 10))
    _LIFESPANS.append(task)


_LIFESPANS: list[asyncio.Task[Any]] = []
"""Lifespans left running: the runner cancels them when it closes."""


class _Writer:
    """The part of aiohttp's payload writer a response uses, keeping the last response."""

    buffer_size = output_size = 0
    length: int | None = None
    status_line = ""

    def __init__(self) -> None:
        self.headers: Mapping[str, str] = {}
        self.body = b""

    def enable_chunking(self) -> None: ...

    def enable_compression(
        self, encoding: str = "deflate", strategy: int | None = None
    ) -> None: ...

    async def write_headers(self, status_line: str, headers: Mapping[str, str]) -> None:
        self.status_line, self.headers, self.body = status_line, headers, b""

    def send_headers(self) -> None: ...

    async def write(self, chunk: bytes, *args: object, **kwargs: object) -> None:
        self.body += bytes(chunk)

    async def write_eof(self, chunk: bytes = b"") -> None:
        self.body += bytes(chunk)

    async def drain(self) -> None: ...


def aiohttp(runner: asyncio.Runner, app: web.Application, path: str, cookie: str | None) -> Driven:
    """Call a started aiohttp app as its server does: a new request, handler, prepare, write.

    The request is made as aiohttp's server makes it, from the parsed message, with
    stand-ins made once for the connection (its protocol and transport).
    """
    from unittest import mock

    from aiohttp import web
    from aiohttp.http import HttpVersion11, RawRequestMessage
    from aiohttp.streams import EMPTY_PAYLOAD
    from multidict import CIMultiDict, CIMultiDictProxy
    from yarl import URL

    pairs = [("Host", "localhost")] + ([] if cookie is None else [("Cookie", cookie)])
    headers = CIMultiDictProxy(CIMultiDict(pairs))
    raw = tuple((name.encode(), value.encode()) for name, value in pairs)
    message = RawRequestMessage(
        "GET", path, HttpVersion11, headers, raw, False, None, False, False, URL(path)
    )
    protocol = mock.Mock()
    loop = runner.get_loop()
    writer = _Writer()
    handle = cast(Callable[[web.Request], Awaitable[web.StreamResponse]], app._handle)

    async def respond() -> None:
        task = cast("asyncio.Task[None]", asyncio.current_task())
        request = web.Request(message, EMPTY_PAYLOAD, protocol, cast(Any, writer), task, loop)
        response = await handle(request)
        await response.prepare(request)
        await response.write_eof()

    async def once() -> Reply:
        await respond()
        status = int(writer.status_line.split()[1])
        pairs = [(name.lower(), value) for name, value in writer.headers.items()]
        return Reply(status, pairs, writer.body)

    return _run_in(runner, once, respond)
