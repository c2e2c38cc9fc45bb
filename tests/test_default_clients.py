"""A host project's own test, written the way its framework's documentation shows with the
framework's default test client, keeps the session; warnings are errors throughout.

For each framework a host project written here (its own pyproject.toml and conftest.py, one
view wired as the session module's docstring says) gets the module added with
`project_kind=existing`, then runs its own test beside the generated tests under
`filterwarnings = ["error"]`, as a strict host does. Its only other settings are the ones
the after-copy message tells an existing project to add (those of a new project's
pyproject.toml): the deprecation warnings that no version of the listed test packages
avoids, and the framework's test plugin's. Each host runs in its own pytest process,
because its own settings are what is tested.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import textwrap
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from copier import run_copy

from helpers import FRAMEWORKS, PYTEST_PLUGINS, pytest_settings, run_rendered_tests
from lifecycle import write_files

CART = {"cart_id": "c-1"}
SETTINGS_HEADING = "Add to your pytest settings ([tool.pytest.ini_options]), as in a new project:"
ASYNCIO_PLUGIN = "pytest_asyncio.plugin"
USER_STYLE_TEST = "test_default_client_keeps_the_session"
"""The generated tests' own user-style test, the same name for every framework."""
ENV_SECRET = """\
import os
import secrets

os.environ.setdefault("SESSION_SECRET", secrets.token_urlsafe(32))
"""
"""conftest.py's opening for the frameworks that read the secret from the environment."""


@dataclass(frozen=True)
class Host:
    """The host's own files (besides pyproject.toml) and the pytest plugins its tests use."""

    files: dict[str, str]
    plugins: tuple[str, ...] = ()
    """The pytest plugins (modules) the host's tests use; no other plugin is loaded."""

    @property
    def asyncio(self) -> bool:
        return ASYNCIO_PLUGIN in self.plugins


def starlette_like(app: str) -> Host:
    """Starlette and FastAPI: TestClient(app, base_url=TEST_BASE_URL), as their docs write."""
    module = "fastapi" if app == "FastAPI" else "starlette"
    if app == "FastAPI":
        views = """\
from fastapi import FastAPI

from shop.utilities.session import SessionCookieMiddleware, get_session, set_session

app = FastAPI()
app.add_middleware(SessionCookieMiddleware)


@app.post("/cart")
def add_to_cart():
    set_session({"cart_id": "c-1"})
    return {"ok": True}


@app.get("/cart")
def cart():
    return dict(get_session())
"""
    else:
        views = """\
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from shop.utilities.session import SessionCookieMiddleware, get_session, set_session


async def add_to_cart(request):
    set_session({"cart_id": "c-1"})
    return JSONResponse({"ok": True})


async def cart(request):
    return JSONResponse(get_session())


app = Starlette(
    routes=[Route("/cart", add_to_cart, methods=["POST"]), Route("/cart", cart)]
)
app.add_middleware(SessionCookieMiddleware)
"""
    return Host(
        {
            "shop/app.py": views,
            "tests/conftest.py": ENV_SECRET,
            "tests/test_cart.py": f"""\
from {module}.testclient import TestClient

from shop.app import app
from shop.utilities.session_testing import TEST_BASE_URL


def test_cart_is_kept():
    client = TestClient(app, base_url=TEST_BASE_URL)
    client.post("/cart")
    assert client.get("/cart").json() == {CART}
""",
        }
    )


def flask_like(framework: str) -> Host:
    """Flask and Quart: an app factory and the test_client fixture of their tutorials."""
    name = framework.capitalize()
    async_ = "async " if framework == "quart" else ""
    test = (
        f"""\
import pytest


@pytest.mark.asyncio
async def test_cart_is_kept(client):
    await client.post("/cart")
    assert await (await client.get("/cart")).get_json() == {CART}
"""
        if framework == "quart"
        else f"""\
def test_cart_is_kept(client):
    client.post("/cart")
    assert client.get("/cart").get_json() == {CART}
"""
    )
    return Host(
        {
            "shop/__init__.py": f"""\
from {framework} import {name}


def create_app(test_config=None):
    app = {name}(__name__)
    app.config.from_mapping(test_config or {{}})
    from shop import views

    app.register_blueprint(views.bp)
    return app
""",
            "shop/views.py": f"""\
from {framework} import Blueprint

from shop.utilities.session import get_session, set_session

bp = Blueprint("cart", __name__)


@bp.post("/cart")
{async_}def add_to_cart():
    set_session({{"cart_id": "c-1"}})
    return {{"ok": True}}


@bp.get("/cart")
{async_}def cart():
    return dict(get_session())
""",
            "tests/conftest.py": """\
import secrets

import pytest

from shop import create_app


@pytest.fixture
def app():
    return create_app({"TESTING": True, "SECRET_KEY": secrets.token_urlsafe(32)})


@pytest.fixture
def client(app):
    return app.test_client()
""",
            "tests/test_cart.py": test,
        },
        plugins=(ASYNCIO_PLUGIN,) if framework == "quart" else (),
    )


def falcon_like(asgi: bool) -> Host:
    """Falcon: testing.TestClient passes on each reply's cookies, as its docs write."""
    async_ = "async " if asgi else ""
    return Host(
        {
            "shop/app.py": f"""\
import falcon{".asgi" if asgi else ""}

from shop.utilities.session import SessionCookieMiddleware, get_session, set_session


class Cart:
    {async_}def on_post(self, req, resp):
        set_session({{"cart_id": "c-1"}})
        resp.media = {{"ok": True}}

    {async_}def on_get(self, req, resp):
        resp.media = dict(get_session())


def create_app():
    app = {"falcon.asgi.App" if asgi else "falcon.App"}(middleware=[SessionCookieMiddleware()])
    app.add_route("/cart", Cart())
    return app
""",
            "tests/conftest.py": ENV_SECRET
            + """
import pytest
from falcon import testing

from shop.app import create_app


@pytest.fixture
def client():
    return testing.TestClient(create_app())
""",
            "tests/test_cart.py": f"""\
def test_cart_is_kept(client):
    result = client.simulate_post("/cart")
    assert client.simulate_get("/cart", cookies=result.cookies).json == {CART}
""",
        }
    )


HOSTS: dict[str, Host] = {
    "flask": flask_like("flask"),
    "quart": flask_like("quart"),
    "starlette": starlette_like("Starlette"),
    "fastapi": starlette_like("FastAPI"),
    "falcon": falcon_like(asgi=False),
    "falcon_asgi": falcon_like(asgi=True),
    "django": Host(
        {
            "shop/settings.py": """\
import secrets

SECRET_KEY = secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
ROOT_URLCONF = "shop.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "shop.utilities.session.SessionCookieMiddleware",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
""",
            "shop/urls.py": """\
from django.http import JsonResponse
from django.urls import path

from shop.utilities.session import get_session, set_session


def cart(request):
    if request.method == "POST":
        set_session({"cart_id": "c-1"})
    return JsonResponse(dict(get_session()))


urlpatterns = [path("cart", cart)]
""",
            "tests/conftest.py": """\
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
django.setup()
""",
            "tests/test_cart.py": f"""\
from django.test import TestCase


class CartTests(TestCase):
    def test_cart_is_kept(self):
        self.client.post("/cart")
        self.assertEqual(self.client.get("/cart").json(), {CART})
""",
        }
    ),
    "litestar": Host(
        {
            "shop/app.py": """\
from litestar import Litestar, get, post

from shop.utilities.session import SessionCookieMiddleware, get_session, set_session


@post("/cart")
async def add_to_cart() -> dict[str, bool]:
    set_session({"cart_id": "c-1"})
    return {"ok": True}


@get("/cart")
async def cart() -> dict[str, str]:
    return dict(get_session())


app = Litestar([add_to_cart, cart], middleware=[SessionCookieMiddleware])
""",
            "tests/conftest.py": ENV_SECRET,
            "tests/test_cart.py": f"""\
from litestar.testing import TestClient

from shop.app import app
from shop.utilities.session_testing import TEST_BASE_URL


def test_cart_is_kept():
    with TestClient(app, base_url=TEST_BASE_URL) as client:
        client.post("/cart")
        assert client.get("/cart").json() == {CART}
""",
        }
    ),
    "aiohttp": Host(
        {
            "shop/app.py": """\
from aiohttp import web

from shop.utilities.session import SessionCookieMiddleware, get_session, set_session


async def add_to_cart(request):
    set_session({"cart_id": "c-1"})
    return web.json_response({"ok": True})


async def cart(request):
    return web.json_response(dict(get_session()))


def create_app():
    app = web.Application()
    SessionCookieMiddleware(app)
    app.router.add_post("/cart", add_to_cart)
    app.router.add_get("/cart", cart)
    return app
""",
            "tests/conftest.py": ENV_SECRET,
            "tests/test_cart.py": f"""\
from shop.app import create_app
from shop.utilities.session_testing import secure_cookie_jar


async def test_cart_is_kept(aiohttp_server, aiohttp_client):
    server = await aiohttp_server(create_app())
    client = await aiohttp_client(server, cookie_jar=secure_cookie_jar(server))
    await client.post("/cart")
    assert await (await client.get("/cart")).json() == {CART}
""",
        },
        plugins=PYTEST_PLUGINS["aiohttp"],
    ),
    "sanic": Host(
        {
            "shop/app.py": """\
from sanic import Sanic
from sanic.response import json

from shop.utilities.session import SessionCookieMiddleware, get_session, set_session

app = Sanic("shop")
SessionCookieMiddleware(app)


@app.post("/cart")
async def add_to_cart(request):
    set_session({"cart_id": "c-1"})
    return json({"ok": True})


@app.get("/cart")
async def cart(request):
    return json(dict(get_session()))
""",
            "tests/conftest.py": ENV_SECRET,
            "tests/test_cart.py": f"""\
import pytest

from shop.app import app
from shop.utilities.session_testing import TEST_BASE_URL


@pytest.mark.asyncio
async def test_cart_is_kept():
    await app.asgi_client.post(f"{{TEST_BASE_URL}}/cart")
    _, response = await app.asgi_client.get(f"{{TEST_BASE_URL}}/cart")
    assert response.json == {CART}
""",
        },
        plugins=(ASYNCIO_PLUGIN,),
    ),
    "bottle": Host(
        {
            "shop/app.py": """\
import bottle

from shop.utilities.session import get_session, set_session

app = bottle.Bottle()


@app.post("/cart")
def add_to_cart():
    set_session({"cart_id": "c-1"})
    return {"ok": True}


@app.get("/cart")
def cart():
    return dict(get_session())
""",
            "tests/conftest.py": ENV_SECRET,
            "tests/test_cart.py": f"""\
from webtest import TestApp

from shop.app import app
from shop.utilities.session_testing import TEST_ENVIRON


def test_cart_is_kept():
    client = TestApp(app, extra_environ=TEST_ENVIRON)
    client.post("/cart")
    assert client.get("/cart").json == {CART}
""",
        }
    ),
    "pyramid": Host(
        {
            "shop/__init__.py": """\
from pyramid.config import Configurator

from shop.utilities.session import get_session, set_session


def add_to_cart(request):
    set_session({"cart_id": "c-1"})
    return {"ok": True}


def cart(request):
    return dict(get_session())


def main(global_config=None, **settings):
    with Configurator(settings=settings) as config:
        config.include("shop.utilities.session")
        config.add_route("cart", "/cart")
        config.add_view(add_to_cart, route_name="cart", request_method="POST", renderer="json")
        config.add_view(cart, route_name="cart", request_method="GET", renderer="json")
        return config.make_wsgi_app()
""",
            "tests/conftest.py": """\
import secrets

import pytest
from webtest import TestApp

from shop import main
from shop.utilities.session_testing import TEST_ENVIRON


@pytest.fixture
def testapp():
    app = main(**{"session.secret": secrets.token_urlsafe(32)})
    return TestApp(app, extra_environ=TEST_ENVIRON)
""",
            "tests/test_cart.py": f"""\
def test_cart_is_kept(testapp):
    testapp.post("/cart")
    assert testapp.get("/cart").json == {CART}
""",
        }
    ),
}


def host_pyproject(framework: str, added: Mapping[str, Any], asyncio: bool) -> str:
    """The host's pyproject.toml: warnings are errors but for the filters added (and
    pytest-asyncio's settings where the host uses it), with the other settings added."""
    settings: dict[str, Any] = {"testpaths": ["tests"], "pythonpath": ["."]}
    if asyncio:
        settings |= {"asyncio_mode": "auto", "asyncio_default_fixture_loop_scope": "function"}
    settings |= dict(added)
    settings["filterwarnings"] = ["error", *added.get("filterwarnings", [])]
    lines = [f"{name} = {json.dumps(value)}" for name, value in settings.items()]
    return (
        f"""\
[project]
name = "shop"
version = "2.0.0"
requires-python = ">=3.11"
dependencies = ["{framework}"]

[tool.pytest.ini_options]
"""
        + "\n".join(lines)
        + "\n"
    )


def printed_settings(message: str) -> dict[str, Any]:
    """The pytest settings the after-copy message says to add, read as the TOML it shows."""
    lines = message.splitlines()
    if SETTINGS_HEADING not in lines:
        return {}
    after = lines.index(SETTINGS_HEADING)
    fragment = list(itertools.takewhile(lambda line: line.startswith("  "), lines[after + 1 :]))
    return tomllib.loads(textwrap.dedent("\n".join(fragment)))


def test_every_framework_has_a_host() -> None:
    assert sorted(HOSTS) == sorted(FRAMEWORKS)


@pytest.mark.parametrize(
    "framework",
    [
        pytest.param(framework, marks=pytest.mark.xdist_group(f"default-client-{framework}"))
        for framework in FRAMEWORKS
    ],
)
def test_host_test_with_the_default_client_keeps_the_session(
    framework: str,
    render: Callable[..., Path],
    template_snapshot: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    new = render(framework=framework, project_kind="new")
    host = HOSTS[framework]
    project = tmp_path / "shop"
    pyproject = host_pyproject(framework, {}, host.asyncio)
    files = {"pyproject.toml": pyproject, "shop/__init__.py": "", **host.files}
    write_files(project, {name: text.encode() for name, text in files.items()})
    capsys.readouterr()

    run_copy(
        str(template_snapshot),
        str(project),
        data={"framework": framework, "project_kind": "existing", "package_path": "shop"},
        defaults=True,
    )

    added = printed_settings(capsys.readouterr().err)
    assert added == pytest_settings(new), "the message and a new project's pyproject.toml differ"
    (project / "pyproject.toml").write_text(host_pyproject(framework, added, host.asyncio))
    ignored: list[str] = added.get("filterwarnings", [])

    tests = project / "tests"
    done, outcomes = run_rendered_tests([tests], project, str(project), "-rA", plugins=host.plugins)
    report = done.stdout[-6000:] + done.stderr[-3000:]
    assert done.returncode == 0, report
    assert outcomes, report
    assert {outcome.result for outcome in outcomes} == {"passed"}, report
    assert f"PASSED {tests.name}/test_cart.py::" in done.stdout, report
    generated = rf"PASSED {tests.name}/test_session\.py::(\w+::)?{USER_STYLE_TEST}\b"
    assert re.search(generated, done.stdout), report

    # each filter the new project lists is needed: without it the host's own test fails
    for dropped in ignored:
        if "'cgi'" in dropped and sys.version_info >= (3, 13):
            continue  # Python 3.13 has no cgi module: WebOb imports legacy-cgi, silent
        others = {**added, "filterwarnings": [kept for kept in ignored if kept != dropped]}
        (project / "pyproject.toml").write_text(host_pyproject(framework, others, host.asyncio))
        strict, _ = run_rendered_tests(
            [tests / "test_cart.py"], project, str(project), plugins=host.plugins
        )
        warning = dropped.split(":")[1]
        assert strict.returncode != 0, f"{dropped!r} is not needed"
        assert warning in strict.stdout + strict.stderr, strict.stdout[-3000:]
