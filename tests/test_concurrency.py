"""Many clients at once against one app in-process: no session ever shows up in another.

Each framework's demo is rendered, imported as its serve command names it and driven
by 50 clients, each with its own cookie jar: 50 threads for a WSGI app, 50 tasks for
an ASGI app (or an aiohttp app). Every round starts together; each client checks that
it sees its own cart id and nothing else, clears it, gets a new one, checks again.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import re
import secrets
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestServer
from django.conf import settings as django_settings
from django.utils.functional import empty

from helpers import FRAMEWORKS
from servers import run_block

CLIENTS = 50
ROUNDS = 4
BARRIER_SECONDS = 60.0
BASE_URL = "https://localhost"

Json = dict[str, Any]


def frameworks() -> list[Any]:
    return [
        pytest.param(framework, marks=pytest.mark.xdist_group(f"concurrency-{framework}"))
        for framework in FRAMEWORKS
    ]


def app_reference(command: list[str]) -> tuple[str, str]:
    """The module and attribute a serve command serves ("pkg.main:app")."""
    found = [arg for arg in command if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", arg)]
    assert len(found) == 1, f"no single module:attribute in {command}"
    module, attribute = found[0].split(":")
    return module, attribute


def is_asgi(app: object) -> bool:
    """Whether app is an ASGI application: an async callable."""
    return inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(type(app).__call__)


# One client's visits, written once for threads and once for tasks.


def visits(
    get: Callable[[str], Json], post: Callable[[str], Json], wait: Callable[[], Any]
) -> list[str]:
    carts = []
    for _ in range(2):
        wait()
        cart_id = str(get("/")["cart_id"])
        carts.append(cart_id)
        for _ in range(ROUNDS):
            wait()
            assert get("/")["cart_id"] == cart_id
            assert get("/session") == {"cart_id": cart_id}
        wait()
        assert post("/clear") == {"cleared": True}
        assert get("/session") == {}
    return carts


async def async_visits(
    get: Callable[[str], Awaitable[Json]],
    post: Callable[[str], Awaitable[Json]],
    wait: Callable[[], Awaitable[Any]],
) -> list[str]:
    carts = []
    for _ in range(2):
        await wait()
        cart_id = str((await get("/"))["cart_id"])
        carts.append(cart_id)
        for _ in range(ROUNDS):
            await wait()
            assert (await get("/"))["cart_id"] == cart_id
            assert await get("/session") == {"cart_id": cart_id}
        await wait()
        assert await post("/clear") == {"cleared": True}
        assert await get("/session") == {}
    return carts


def json_of(reply: httpx.Response) -> Json:
    assert reply.status_code == 200, (reply.status_code, reply.text)
    body: Json = reply.json()
    return body


def wsgi_clients(app: Any) -> list[str]:
    """50 threads, each with its own httpx client, against one WSGI app."""
    barrier = threading.Barrier(CLIENTS, timeout=BARRIER_SECONDS)

    def one_client(_: int) -> list[str]:
        transport = httpx.WSGITransport(app=app)
        with httpx.Client(transport=transport, base_url=BASE_URL) as client:
            try:
                return visits(
                    lambda path: json_of(client.get(path)),
                    lambda path: json_of(client.post(path)),
                    barrier.wait,
                )
            except BaseException:
                barrier.abort()
                raise

    with ThreadPoolExecutor(CLIENTS) as pool:
        return [cart for carts in pool.map(one_client, range(CLIENTS)) for cart in carts]


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Run the ASGI lifespan protocol around the block, when the app speaks it."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    task = asyncio.ensure_future(app(scope, inbox.get, outbox.put))

    async def step(event: str) -> bool:
        await inbox.put({"type": f"lifespan.{event}"})
        answer = asyncio.ensure_future(outbox.get())
        await asyncio.wait([task, answer], return_when=asyncio.FIRST_COMPLETED)
        if not answer.done():  # the app ended instead: it does not speak lifespan
            answer.cancel()
            return False
        message = answer.result()
        assert message["type"] == f"lifespan.{event}.complete", message
        return True

    spoken = await step("startup")
    try:
        yield
    finally:
        if spoken:
            await step("shutdown")
        if not task.done():
            task.cancel()


async def asgi_clients(app: Any) -> list[str]:
    """50 tasks, each with its own httpx client, against one ASGI app."""
    barrier = asyncio.Barrier(CLIENTS)

    async def one_client() -> list[str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:

            async def get(path: str) -> Json:
                return json_of(await client.get(path))

            async def post(path: str) -> Json:
                return json_of(await client.post(path))

            try:
                return await async_visits(get, post, barrier.wait)
            except BaseException:
                await barrier.abort()
                raise

    async with lifespan(app):
        results = await asyncio.wait_for(
            asyncio.gather(*(one_client() for _ in range(CLIENTS))), BARRIER_SECONDS
        )
    return [cart for carts in results for cart in carts]


async def aiohttp_clients(app: web.Application) -> list[str]:
    """50 tasks, each with its own aiohttp session, against one aiohttp app on loopback."""
    barrier = asyncio.Barrier(CLIENTS)
    async with TestServer(app, host="127.0.0.1") as server:
        origin = server.make_url("/")

        async def one_client() -> list[str]:
            jar = CookieJar(unsafe=True, treat_as_secure_origin=origin)
            async with ClientSession(cookie_jar=jar) as client:

                async def get(path: str) -> Json:
                    async with client.get(server.make_url(path)) as reply:
                        assert reply.status == 200, (reply.status, await reply.text())
                        body: Json = await reply.json()
                        return body

                async def post(path: str) -> Json:
                    async with client.post(server.make_url(path)) as reply:
                        assert reply.status == 200, (reply.status, await reply.text())
                        body: Json = await reply.json()
                        return body

                try:
                    return await async_visits(get, post, barrier.wait)
                except BaseException:
                    await barrier.abort()
                    raise

        results = await asyncio.wait_for(
            asyncio.gather(*(one_client() for _ in range(CLIENTS))), BARRIER_SECONDS
        )
    return [cart for carts in results for cart in carts]


@pytest.fixture
def fresh_django_settings() -> Iterator[None]:
    """Unconfigured Django settings, as in the demo's own server process.

    The Django demo configures the process-wide settings when imported; other tests in
    this process (the bench's) may have configured them already.
    """
    previous = django_settings._wrapped
    django_settings._wrapped = empty
    try:
        yield
    finally:
        django_settings._wrapped = previous


@pytest.mark.usefixtures("fresh_django_settings")
@pytest.mark.parametrize("framework", frameworks())
def test_concurrent_clients_never_see_each_others_session(
    framework: str,
    render: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    record_property: Callable[[str, object], None],
) -> None:
    package = f"concurrent_{framework}"
    project = render(framework=framework, project_kind="new", package_path=package)
    block = run_block(project / "README.md")
    module_name, attribute = app_reference(block.command)
    monkeypatch.setenv(block.secret_env, secrets.token_urlsafe(48))
    monkeypatch.syspath_prepend(str(project))
    app = getattr(importlib.import_module(module_name), attribute)

    if isinstance(app, web.Application):
        kind, carts = "aiohttp tasks", asyncio.run(aiohttp_clients(app))
    elif is_asgi(app):
        kind, carts = "ASGI tasks", asyncio.run(asgi_clients(app))
    else:
        kind, carts = "WSGI threads", wsgi_clients(app)

    assert len(carts) == 2 * CLIENTS
    assert len(set(carts)) == 2 * CLIENTS, "two clients were given the same cart"
    record_property("concurrency", f"{CLIENTS} {kind} x {2 * (2 * ROUNDS + 3)} requests")
    print(f"\n{framework}: {CLIENTS} {kind}, {2 * (2 * ROUNDS + 3)} requests each")
