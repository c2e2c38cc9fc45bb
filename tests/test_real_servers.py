"""Every framework's demo under its real production server, driven over loopback.

The server is started as the rendered README says (2 worker processes, one secret in
the environment) on a free port; a client that keeps cookies as a browser does makes
its requests on fresh connections, so that both workers read the cookie.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from helpers import FRAMEWORKS, MIGRATING
from servers import DemoServer, cookie_client, start_demo, stored

REQUESTS = 100
IN_FLIGHT = 4

RecordProperty = Callable[[str, object], None]
ServeDemo = Callable[[str], DemoServer]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def frameworks() -> list[Any]:
    return [
        pytest.param(framework, marks=pytest.mark.xdist_group(f"demo-{framework}"))
        for framework in FRAMEWORKS
    ]


def cart(reply: httpx.Response) -> tuple[str, int]:
    """The cart id and worker pid of a GET / reply."""
    assert reply.status_code == 200, (reply.status_code, reply.text)
    body = reply.json()
    return str(body["cart_id"]), int(body["worker"])


def record(
    record_property: RecordProperty, server: DemoServer, requests: int, pids: Iterable[int]
) -> None:
    """Leave the counts in the report (and on stdout with -s)."""
    seen = sorted(set(pids))
    record_property("demo_framework", server.framework)
    record_property("demo_requests", requests)
    record_property("demo_worker_pids", seen)
    print(f"\n{server.framework}: {requests} requests, worker pids {seen}")


@pytest.mark.parametrize("framework", frameworks())
def test_cart_id_survives_requests_spread_over_workers(
    framework: str, demo_server: ServeDemo, record_property: RecordProperty
) -> None:
    server = demo_server(framework)
    client, jar = cookie_client()
    with client:
        first, first_pid = cart(client.get(server.url()))
        cookie = stored(jar, server.cookie_name)
        assert cookie is not None, "the first GET / set no session cookie"

        def visit(_: int) -> tuple[str, int]:
            return cart(client.get(server.url()))

        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            replies = list(pool.map(visit, range(REQUESTS - 1)))
    assert {cart_id for cart_id, _ in replies} == {first}
    pids = Counter([first_pid, *(pid for _, pid in replies)])
    record(record_property, server, REQUESTS, pids)
    assert len(pids) >= 2, f"every request went to one worker: {pids}"


@pytest.mark.parametrize("framework", frameworks())
def test_every_worker_reads_a_cookie_minted_with_the_served_secret(
    framework: str, demo_server: ServeDemo, record_property: RecordProperty
) -> None:
    server = demo_server(framework)
    minted = server.mint({"cart_id": f"minted-{framework}"}, server.secret)
    headers = {"Cookie": f"{server.cookie_name}={minted}"}
    client = httpx.Client(timeout=10, limits=httpx.Limits(max_keepalive_connections=0))
    with client, ThreadPoolExecutor(IN_FLIGHT) as pool:
        sent = range(REQUESTS)
        replies = list(pool.map(lambda _: client.get(server.url(), headers=headers), sent))
    carts = [cart(reply) for reply in replies]
    assert {cart_id for cart_id, _ in carts} == {f"minted-{framework}"}
    assert all("set-cookie" not in reply.headers for reply in replies)
    pids = {pid for _, pid in carts}
    record(record_property, server, len(replies), pids)
    assert len(pids) >= 2, f"every request went to one worker: {pids}"


@pytest.mark.parametrize("framework", frameworks())
def test_clear_then_get_gives_a_new_cart(
    framework: str, demo_server: ServeDemo, record_property: RecordProperty
) -> None:
    server = demo_server(framework)
    client, jar = cookie_client()
    with client:
        before, pid_before = cart(client.get(server.url()))
        assert cart(client.get(server.url()))[0] == before
        session = client.get(server.url("/session"))
        assert session.status_code == 200
        assert session.json() == {"cart_id": before}
        cleared = client.post(server.url("/clear"))
        assert cleared.status_code == 200, cleared.text
        assert cleared.json() == {"cleared": True}
        assert stored(jar, server.cookie_name) is None, "POST /clear left the cookie"
        assert client.get(server.url("/session")).json() == {}
        after, pid_after = cart(client.get(server.url()))
        assert after != before
        assert cart(client.get(server.url()))[0] == after
    record(record_property, server, 7, {pid_before, pid_after})


def bad_cookies(server: DemoServer, valid: str) -> dict[str, str]:
    """Cookie values that must each read as an empty session."""
    middle = len(valid) // 2
    flipped = "A" if valid[middle] != "A" else "B"
    stale = time.time() - 10 * int(server.answers["max_age"])
    return {
        "tampered": valid[:middle] + flipped + valid[middle + 1 :],
        "truncated": valid[:-1],
        "extended": valid + "A",
        "other key": server.mint({"cart_id": "forged"}, "another secret " * 4),
        "expired": server.mint({"cart_id": "stale"}, server.secret, now=stale),
        "empty": "",
        "not base64": "!!not*base64!!",
        "oversized": "A" * 4000,
    }


@pytest.mark.parametrize("framework", frameworks())
def test_bad_cookies_give_a_new_cart_never_an_error(
    framework: str, demo_server: ServeDemo, record_property: RecordProperty
) -> None:
    server = demo_server(framework)
    client, jar = cookie_client()
    with client:
        original, _ = cart(client.get(server.url()))
        valid = stored(jar, server.cookie_name)
        assert valid is not None and valid.value is not None
    pids: set[int] = set()
    with httpx.Client(timeout=10, limits=httpx.Limits(max_keepalive_connections=0)) as fresh:
        cases = bad_cookies(server, valid.value)
        for kind, value in cases.items():
            reply = fresh.get(server.url(), headers={"Cookie": f"{server.cookie_name}={value}"})
            assert reply.status_code == 200, (kind, reply.status_code, reply.text)
            cart_id, pid = cart(reply)
            pids.add(pid)
            assert cart_id not in (original, "forged", "stale"), kind
            assert f"{server.cookie_name}=" in reply.headers.get("set-cookie", ""), kind
    record(record_property, server, 1 + len(cases), pids)


@pytest.mark.parametrize("framework", frameworks())
def test_repeated_and_odd_cookie_headers_never_give_a_server_error(
    framework: str, demo_server: ServeDemo, record_property: RecordProperty
) -> None:
    server = demo_server(framework)
    name = server.cookie_name
    client, jar = cookie_client()
    with client:
        cart(client.get(server.url()))
        valid = stored(jar, name)
        assert valid is not None and valid.value is not None
    tampered = bad_cookies(server, valid.value)["tampered"]
    repeated: list[list[tuple[str, str]]] = [
        [("Cookie", f"{name}={tampered}; {name}={valid.value}")],
        [("Cookie", f"{name}={valid.value}; {name}={tampered}")],
        [("Cookie", f"{name}={tampered}"), ("Cookie", f"{name}={valid.value}")],
        [("Cookie", f"{name}={valid.value}"), ("Cookie", f"{name}={tampered}")],
        [("Cookie", f"theme=dark; {name}={valid.value}; {name}={valid.value}")],
    ]
    pids: set[int] = set()
    with httpx.Client(timeout=10, limits=httpx.Limits(max_keepalive_connections=0)) as fresh:
        for headers in repeated:
            pids.add(cart(fresh.get(server.url(), headers=headers))[1])  # a 200, any cart
        latin1 = {b"Cookie": name.encode() + b"=\xe9\xff" + valid.value.encode()}
        odd = fresh.get(server.url(), headers=latin1)
        assert odd.status_code < 500, (odd.status_code, odd.text)
    record(record_property, server, 2 + len(repeated), pids)


LEGACY_VIEWS = {
    "flask": """
import flask

from app.main import app


@app.post("/native")
def native() -> str:
    flask.session.update(flask.request.get_json())
    return "written"
""",
    "quart": """
import quart

from app.main import app


@app.post("/native")
async def native() -> str:
    quart.session.update(await quart.request.get_json())
    return "written"
""",
    "litestar": """
import hashlib
import os
from typing import Any

from litestar import Litestar, Request, post
from litestar.middleware.session.client_side import CookieBackendConfig

from app.main import SessionCookieMiddleware, cart_handler, clear_handler, session_handler

# Litestar's cookie session takes a key of 16, 24 or 32 bytes: one made from the secret
KEY = hashlib.sha256(os.environ["SESSION_SECRET"].encode()).digest()
NATIVE = CookieBackendConfig(secret=KEY)


@post("/native", status_code=200)
async def native(request: Request[Any, Any, Any]) -> str:
    request.session.update(await request.json())
    return "written"


app = Litestar(
    [cart_handler, session_handler, clear_handler, native],
    middleware=[NATIVE.middleware, SessionCookieMiddleware],
)
""",
    "django": """
import json

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

from app import main

settings.MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    *settings.MIDDLEWARE,
]
settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"


def native(request: HttpRequest) -> HttpResponse:
    request.session.update(json.loads(request.body))
    return HttpResponse("written")


main.urlpatterns.append(path("native", native))
application = get_wsgi_application()
""",
    "pyramid": """
import os

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.session import SignedCookieSessionFactory

from app.main import cart_view


def native(request: Request) -> str:
    request.session.update(request.json_body)
    return "written"


with Configurator() as config:
    config.set_session_factory(SignedCookieSessionFactory(os.environ["SESSION_SECRET"]))
    config.include("app.utilities.session")
    config.add_route("cart", "/", request_method="GET")
    config.add_route("native", "/native", request_method="POST")
    config.add_view(cart_view, route_name="cart", renderer="json")
    config.add_view(native, route_name="native", renderer="json")
    app = config.make_wsgi_app()
""",
    "aiohttp": """
import aiohttp_session
from aiohttp import web
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from app.main import cart_handler, clear_handler, session_handler
from app.utilities.session import SessionCookieMiddleware


async def native(request: web.Request) -> web.Response:
    session = await aiohttp_session.get_session(request)
    session.update(await request.json())
    return web.Response(text="written")


app = web.Application()
aiohttp_session.setup(app, EncryptedCookieStorage("{native_key}"))
SessionCookieMiddleware(app)
app.add_routes(
    [
        web.get("/", cart_handler),
        web.get("/session", session_handler),
        web.post("/clear", clear_handler),
        web.post("/native", native),
    ]
)
""",
}
"""The demo app as it was before the switch: a view that writes the framework's own
session, with the secret the demo's own session module reads (Litestar's and Django's
own session middleware stay installed outside this module's, Litestar's with a key made
from that secret, Django's with an engine every worker reads; Pyramid's demo has no
session factory, so its legacy app is the demo's with one, kept as a migrating app keeps
it; aiohttp-session has a secret of its own, the Fernet key {native_key} stands for, and
stays installed outside this module's middleware)."""
DELETED_NATIVE = {"litestar": "session=null"}
"""How the framework deletes its session cookie, where it is not an empty value."""
NATIVE_COOKIES = {"django": "sessionid", "aiohttp": "AIOHTTP_SESSION"}
"""The framework's own session cookie where it is not named session."""


async def write_native(request: Request) -> PlainTextResponse:
    request.session.update(await request.json())
    return PlainTextResponse("written")


def session_middleware_cookie(secret: str, session: dict[str, str]) -> str:
    """The cookie Starlette's own SessionMiddleware gave this session, with the secret
    the demo now gives this module: the app as it was, before the switch."""
    app = Starlette(routes=[Route("/native", write_native, methods=["POST"])])
    app.add_middleware(SessionMiddleware, secret_key=secret)
    reply = TestClient(app).post("/native", json=session)
    return cookie_pairs(reply.headers.get_list("set-cookie"))["session"]


MOVED_READS = 200
"""The most reads of a moved session the test sends, waiting for the second worker."""


def set_cookies(reply: httpx.Response) -> dict[str, str]:
    """The name=value pair of each cookie a reply sets, by name."""
    return cookie_pairs(reply.headers.get_list("set-cookie"))


def cookie_pairs(set_cookies: Iterable[str]) -> dict[str, str]:
    """The name=value pair of each cookie these Set-Cookie lines set, by name."""
    pairs = (line.split(";", 1)[0] for line in set_cookies)
    return {pair.split("=", 1)[0]: pair for pair in pairs}


@pytest.mark.parametrize(
    "framework",
    [pytest.param(f, marks=pytest.mark.xdist_group(f"demo-{f}")) for f in MIGRATING],
)
def test_a_session_of_the_frameworks_own_moves_over_under_the_real_server(
    framework: str,
    render: Callable[..., Path],
    tmp_path: Path,
    record_property: RecordProperty,
) -> None:
    project = render(framework=framework, project_kind="new", migrate_from_native=True)
    legacy_views = LEGACY_VIEWS.get(framework)
    if legacy_views is not None:
        native_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        legacy_views = legacy_views.replace("{native_key}", native_key)
        (project / "app/legacy.py").write_text(legacy_views)
    module = "main" if legacy_views is None else "legacy"
    server = start_demo(framework, project, tmp_path, app_module=module)
    try:
        client = httpx.Client(timeout=10, limits=httpx.Limits(max_keepalive_connections=0))
        with client:
            legacy = {"cart_id": f"legacy-{framework}"}
            name = NATIVE_COOKIES.get(framework, "session")
            if legacy_views is None:
                native = session_middleware_cookie(server.secret, legacy)
            else:
                written = client.post(server.url("/native"), json=legacy)
                assert written.status_code == 200, (written.text, server.log_tail())
                native = set_cookies(written)[name]
            moved = client.get(server.url(), headers={"Cookie": native})
            cart_id, first_pid = cart(moved)
            assert cart_id == legacy["cart_id"]
            after = set_cookies(moved)
            deleted = DELETED_NATIVE.get(framework)
            emptied = (f"{name}=", f'{name}=""') if deleted is None else (deleted,)
            assert after[name] in emptied  # deleted: nothing else was in it
            pids = {first_pid}
            sent = 0
            # at least 8 reads, and on until both workers read it: the kernel picks
            while sent < 8 or (len(pids) < 2 and sent < MOVED_READS):
                reply = client.get(server.url(), headers={"Cookie": after[server.cookie_name]})
                assert cart(reply)[0] == legacy["cart_id"]
                assert "set-cookie" not in reply.headers
                pids.add(cart(reply)[1])
                sent += 1
    finally:
        server.stop()
    record(record_property, server, 2 + sent, pids)
    assert len(pids) >= 2, f"{sent} requests all went to one worker: {pids}"
