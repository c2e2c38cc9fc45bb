"""Adopted into realistic host projects, the module just works beside the host's own code.

Four hosts, written here: a Flask app factory whose pytest turns warnings into errors
and whose conftest.py makes the app and its test client; a pytest-django project with
its own settings and MIDDLEWARE; a src-layout FastAPI project; and a monorepo whose
FastAPI backend imports as `app` from backend/, where `python -m pytest` runs. Each is
copied into as a user does it (`copier copy -d project_kind=existing ...`), must keep
every byte it had, then gets one view wired as the generated module's docstring says
and a test of the user's own, written the way the framework documents (set the session
in one request, read it in the next). The generated tests pass as the after-copy
message says to run them, and the host's own command, run from its root, passes the
host's tests, the generated tests and the user's test, each file with exactly its
count.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

import gates
from helpers import run, tool
from lifecycle import ANSWERS_FILE, copier, import_root, project_files, tool_env, write_files

COUNTER = Path(__file__).with_name("expected_tests.py")
OUTCOME = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) ([^:\s]+)::", re.MULTILINE)


@dataclass(frozen=True)
class Edit:
    """The user's change to a host file: text put in right after an anchor it holds once."""

    path: str
    anchor: str
    text: str


@dataclass(frozen=True)
class Host:
    """A host project, how it is copied into and wired, and the tests it runs.

    root is where the host runs its tests (its pyproject.toml), relative to the
    folder copier copies into, and pytest the command it runs them with; tests maps
    each test file of the host, the user's included, to its number of tests (the
    generated file is counted from its source). install is what the wiring takes from
    the docstring's Installation line (nothing, where there is nothing to install).
    """

    id: str
    files: dict[str, bytes]
    answers: dict[str, str]
    edits: list[Edit]
    added: dict[str, bytes]
    tests: dict[str, int]
    install: str = ""
    root: str = "."
    pytest: tuple[str, ...] = ("pytest",)

    @property
    def package_path(self) -> str:
        return self.answers["package_path"]

    @property
    def tests_path(self) -> str:
        return self.answers["tests_path"]


NOTES = Host(
    id="flask-app-factory",
    files={
        "pyproject.toml": b"""\
[project]
name = "notes"
version = "1.2.0"
requires-python = ">=3.10"
dependencies = ["flask>=3.1"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
filterwarnings = ["error"]
""",
        "notes/__init__.py": b'''\
"""Notes, a Flask app made by its factory."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(SECRET_KEY="dev")
    if test_config is not None:
        app.config.from_mapping(test_config)

    from notes import views

    app.register_blueprint(views.bp)
    return app
''',
        "notes/views.py": b'''\
"""The pages of the notes app."""

from flask import Blueprint

bp = Blueprint("notes", __name__)


@bp.get("/")
def index() -> str:
    return "Notes"
''',
        "tests/conftest.py": b'''\
"""The app and its test client, as Flask's tutorial makes them."""

import secrets

import pytest
from flask import Flask
from flask.testing import FlaskClient

from notes import create_app


@pytest.fixture
def app() -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": secrets.token_hex(32)})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
''',
        "tests/test_factory.py": b"""\
from flask.testing import FlaskClient

from notes import create_app


def test_config() -> None:
    assert not create_app().testing
    assert create_app({"TESTING": True}).testing


def test_index(client: FlaskClient) -> None:
    assert client.get("/").data == b"Notes"
""",
    },
    answers={"framework": "flask", "package_path": "notes", "tests_path": "tests"},
    edits=[
        Edit(
            "notes/views.py",
            "from flask import Blueprint\n",
            "from flask import request\n\n"
            "from notes.utilities.session import clear_session, get_session, set_session\n",
        ),
        Edit(
            "notes/views.py",
            '    return "Notes"\n',
            """

@bp.route("/cart", methods=["GET", "POST", "DELETE"])
def cart() -> dict[str, object]:
    if request.method == "POST":
        set_session({"cart_id": request.form["cart_id"]})
    elif request.method == "DELETE":
        clear_session()
    return dict(get_session())
""",
        ),
    ],
    added={
        "tests/test_cart.py": b"""\
from flask.testing import FlaskClient


def test_the_cart_stays_in_the_session(client: FlaskClient) -> None:
    client.post("/cart", data={"cart_id": "c-1"})
    assert client.get("/cart").get_json() == {"cart_id": "c-1"}
    client.delete("/cart")
    assert client.get("/cart").get_json() == {}
""",
    },
    tests={"tests/test_factory.py": 2, "tests/test_cart.py": 1},
)

MYSITE = Host(
    id="pytest-django",
    files={
        "pyproject.toml": b"""\
[project]
name = "mysite"
version = "0.4.0"
requires-python = ">=3.10"
dependencies = ["django>=5.1"]

[dependency-groups]
dev = ["pytest>=8", "pytest-django>=4.9"]

[tool.pytest.ini_options]
DJANGO_SETTINGS_MODULE = "mysite.settings"
pythonpath = ["."]
python_files = ["tests.py", "test_*.py"]
""",
        "manage.py": b'''\
#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
''',
        "mysite/__init__.py": b"",
        "mysite/settings.py": b'''\
"""Settings of mysite."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "django-insecure-q8w2e4r6t8y0u2i4o6p8a0s2d4f6g8h0j2k4l6z8x0c2v4"
)
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "polls",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mysite.urls"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }
}

USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
''',
        "mysite/urls.py": b"""\
from django.urls import include, path

urlpatterns = [path("", include("polls.urls"))]
""",
        "polls/__init__.py": b"",
        "polls/apps.py": b"""\
from django.apps import AppConfig


class PollsConfig(AppConfig):
    name = "polls"
""",
        "polls/urls.py": b"""\
from django.urls import path

from polls import views

urlpatterns = [path("", views.index, name="index")]
""",
        "polls/views.py": b"""\
from django.http import HttpRequest, HttpResponse


def index(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Polls")
""",
        "polls/tests.py": b"""\
from django.test import TestCase


class IndexTests(TestCase):
    def test_index(self) -> None:
        response = self.client.get("/")
        self.assertContains(response, "Polls")

    def test_unknown_page(self) -> None:
        self.assertEqual(self.client.get("/nowhere/").status_code, 404)
""",
    },
    answers={"framework": "django", "package_path": "mysite", "tests_path": "tests"},
    install='"mysite.utilities.session.SessionCookieMiddleware"',
    edits=[
        Edit(
            "mysite/settings.py",
            '    "django.contrib.sessions.middleware.SessionMiddleware",\n',
            '    "mysite.utilities.session.SessionCookieMiddleware",\n',
        ),
        Edit(
            "polls/views.py",
            "from django.http import HttpRequest, HttpResponse\n",
            "from django.http import JsonResponse\n\n"
            "from mysite.utilities.session import clear_session, get_session, set_session\n",
        ),
        Edit(
            "polls/views.py",
            '    return HttpResponse("Polls")\n',
            """

def cart(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        set_session({"cart_id": request.POST["cart_id"]})
    elif request.method == "DELETE":
        clear_session()
    return JsonResponse(dict(get_session()))
""",
        ),
        Edit(
            "polls/urls.py",
            '[path("", views.index, name="index")',
            ', path("cart/", views.cart, name="cart")',
        ),
    ],
    added={
        "polls/test_cart.py": b"""\
from django.test import TestCase


class CartTests(TestCase):
    def test_the_cart_stays_in_the_session(self) -> None:
        self.client.post("/cart/", {"cart_id": "c-1"})
        self.assertEqual(self.client.get("/cart/").json(), {"cart_id": "c-1"})
        self.client.delete("/cart/")
        self.assertEqual(self.client.get("/cart/").json(), {})
""",
    },
    tests={"polls/tests.py": 2, "polls/test_cart.py": 1},
)


def fastapi_host(
    host_id: str,
    files: dict[str, bytes],
    answers: dict[str, str],
    module: str,
    root: str,
    pytest: tuple[str, ...],
) -> Host:
    """A FastAPI host whose package imports as module: main.py makes the app, its tests
    check a health endpoint through the client their conftest.py makes.

    The user adds a router of cart endpoints, the middleware and, in conftest.py, the
    secret the middleware reads from the environment.
    """
    package, tests = answers["package_path"], answers["tests_path"]
    return Host(
        id=host_id,
        files={
            **files,
            f"{package}/__init__.py": b'"""The shop\'s web API."""\n',
            f"{package}/main.py": b"""\
from fastapi import FastAPI

app = FastAPI(title="Shop")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
""",
            f"{tests}/conftest.py": f'''\
"""The API's test client."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from {module}.main import app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
'''.encode(),
            f"{tests}/test_health.py": b"""\
from fastapi.testclient import TestClient


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_unknown_path(client: TestClient) -> None:
    assert client.get("/nowhere").status_code == 404
""",
        },
        answers={"framework": "fastapi", **answers},
        install="app.add_middleware(SessionCookieMiddleware)",
        edits=[
            Edit(
                f"{package}/main.py",
                "from fastapi import FastAPI\n",
                f"\nfrom {module}.cart import router\n"
                f"from {module}.utilities.session import SessionCookieMiddleware\n",
            ),
            Edit(
                f"{package}/main.py",
                'app = FastAPI(title="Shop")\n',
                "app.add_middleware(SessionCookieMiddleware)\napp.include_router(router)\n",
            ),
            Edit(
                f"{tests}/conftest.py",
                '"""The API\'s test client."""\n',
                "\nimport os\nimport secrets\n",
            ),
            Edit(
                f"{tests}/conftest.py",
                f"from {module}.main import app\n",
                '\nos.environ.setdefault("SESSION_SECRET", secrets.token_urlsafe(32))\n',
            ),
        ],
        added={
            f"{package}/cart.py": f"""\
from fastapi import APIRouter

from {module}.utilities.session import clear_session, get_session, set_session

router = APIRouter(prefix="/cart")


@router.get("")
def read_cart() -> dict[str, object]:
    return dict(get_session())


@router.post("")
def fill_cart(cart_id: str) -> dict[str, object]:
    set_session({{"cart_id": cart_id}})
    return dict(get_session())


@router.delete("")
def empty_cart() -> dict[str, object]:
    clear_session()
    return dict(get_session())
""".encode(),
            f"{tests}/test_cart.py": f"""\
from fastapi.testclient import TestClient

from {module}.main import app

TEST_BASE_URL = "https://testserver"


def test_the_cart_stays_in_the_session() -> None:
    client = TestClient(app, base_url=TEST_BASE_URL)
    client.post("/cart", params={{"cart_id": "c-1"}})
    assert client.get("/cart").json() == {{"cart_id": "c-1"}}
    client.delete("/cart")
    assert client.get("/cart").json() == {{}}
""".encode(),
        },
        tests={f"{tests}/test_health.py": 2, f"{tests}/test_cart.py": 1},
        root=root,
        pytest=pytest,
    )


SHOP_SRC = fastapi_host(
    "fastapi-src-layout",
    {
        "pyproject.toml": b"""\
[project]
name = "shop"
version = "2.0.0"
requires-python = ">=3.10"
dependencies = ["fastapi>=0.115"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["src"]
""",
        "README.md": b"# Shop\n\nThe shop's web API.\n",
    },
    {"package_path": "src/shop", "tests_path": "tests"},
    module="shop",
    root=".",
    pytest=("pytest",),
)
MONOREPO = fastapi_host(
    "fastapi-monorepo-backend",
    {
        "README.md": b"# Shop\n\n- `backend/`: the API (FastAPI)\n- `frontend/`: the web app\n",
        ".gitignore": b"node_modules/\n__pycache__/\n.venv/\n",
        "frontend/package.json": b'{\n  "name": "shop-frontend",\n  "private": true\n}\n',
        "frontend/src/main.js": b'fetch("/api/health").then((r) => r.json());\n',
        "backend/pyproject.toml": b"""\
[project]
name = "shop-backend"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["fastapi>=0.115"]

[tool.pytest.ini_options]
testpaths = ["tests"]
""",
    },
    {
        "package_path": "backend/app",
        "import_path": "app",
        "tests_path": "backend/tests",
        "encrypt": "true",
    },
    module="app",
    root="backend",
    pytest=("python", "-m", "pytest"),
)
HOSTS = [NOTES, MYSITE, SHOP_SRC, MONOREPO]


def host_param(host: Host) -> object:
    return pytest.param(host, id=host.id, marks=pytest.mark.xdist_group(f"host-{host.id}"))


def module_files(host: Host) -> set[str]:
    """What the copy adds to a host: the module, its tests and a missing __init__.py."""
    package = host.package_path
    return {
        ANSWERS_FILE,
        f"{package}/utilities/__init__.py",
        f"{package}/utilities/session.py",
        f"{package}/utilities/session_testing.py",
        f"{host.tests_path}/test_session.py",
    }


def wire(project: Path, host: Host) -> str:
    """Make the user's edits and add the user's files; the text of all they touched."""
    for edit in host.edits:
        path = project / edit.path
        text = path.read_text()
        assert text.count(edit.anchor) == 1, (edit.path, edit.anchor)
        path.write_text(text.replace(edit.anchor, edit.anchor + edit.text))
    write_files(project, host.added)
    touched = {edit.path for edit in host.edits} | set(host.added)
    return "".join((project / name).read_text() for name in sorted(touched))


def unpassed(done: subprocess.CompletedProcess[str]) -> str:
    """What pytest printed, less its list of passed tests."""
    lines = (done.stdout + done.stderr).splitlines()
    return "\n".join(line for line in lines if not line.startswith("PASSED "))[-6000:]


def outcomes(output: str) -> dict[str, dict[str, int]]:
    """Each test file's outcomes, counted from the short summary `pytest -rA` prints."""
    found: dict[str, dict[str, int]] = {}
    for result, name in OUTCOME.findall(output):
        counts = found.setdefault(name, {})
        counts[result] = counts.get(result, 0) + 1
    return found


@pytest.mark.parametrize("host", [host_param(host) for host in HOSTS])
def test_host_keeps_its_bytes_and_passes_its_tests_the_generated_ones_and_the_users(
    host: Host, template_snapshot: Path, tmp_path: Path
) -> None:
    project = tmp_path / "host"
    write_files(project, host.files)
    before = project_files(project)
    data = [arg for key, value in host.answers.items() for arg in ("-d", f"{key}={value}")]

    done = copier(
        "copy",
        "--defaults",
        "-d",
        "project_kind=existing",
        *data,
        str(template_snapshot),
        str(project),
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    after = project_files(project)
    assert {name: after.get(name) for name in before} == before
    assert set(after) - set(before) == module_files(host)
    root = import_root(project)
    generated = f"{host.tests_path}/test_session.py"

    module = (project / host.package_path / "utilities/session.py").read_text()
    docstring = module.split('"""', 2)[1]
    usage = re.search(
        r"^    (from \S+ import clear_session, get_session, set_session)$", docstring, re.M
    )
    assert usage is not None, docstring
    installation = " ".join(docstring.split("\nInstallation: ", 1)[1].split("\n\n", 1)[0].split())
    wired = wire(project, host)
    assert usage[1] in wired
    if host.install:
        assert host.install in installation and host.install in wired, installation
    else:
        assert installation.startswith("nothing to install"), installation

    counted = run(
        [tool("python"), str(COUNTER), generated], cwd=project, env={"PYTHONPATH": str(root)}
    )
    assert counted.returncode == 0, counted.stderr
    expected_generated = sum(json.loads(counted.stdout)[generated].values())

    typed = gates.mypy_strict(
        project, root, [f"{host.package_path}/utilities", generated], gates.mypy_cache(host.id)
    )
    assert typed.returncode == 0, gates.output(typed)

    printed = next(line for line in done.stderr.splitlines() if line.startswith("Run the tests: "))
    words = shlex.split(printed.removeprefix("Run the tests: "))
    variables = dict(word.split("=", 1) for word in words if "=" in word)
    assert words[len(variables)] == "pytest", printed
    arguments = words[len(variables) + 1 :]
    alone = run(
        [tool("pytest"), "-q", "-rA", "-p", "no:cacheprovider", *arguments],
        cwd=project,
        env=tool_env(**variables),
    )
    assert outcomes(alone.stdout) == {generated: {"PASSED": expected_generated}}, unpassed(alone)

    base = project / host.root
    command, *options = host.pytest
    tested = run(
        [tool(command), *options, "-q", "-rA", "-p", "no:cacheprovider"], cwd=base, env=tool_env()
    )
    in_base = {
        (project / name).relative_to(base).as_posix(): {"PASSED": count}
        for name, count in {**host.tests, generated: expected_generated}.items()
    }
    assert outcomes(tested.stdout) == in_base, unpassed(tested)
