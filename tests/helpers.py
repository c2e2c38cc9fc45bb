"""What the template's tests share: the answer matrix read from copier.yml, running tools,
and reading rendered projects."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

ROOT = Path(__file__).resolve().parent.parent
COPIER_YML: dict[str, Any] = yaml.safe_load((ROOT / "copier.yml").read_text())
JINJA = jinja2.Environment(
    loader=jinja2.FileSystemLoader(ROOT),
    undefined=jinja2.StrictUndefined,
    extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],  # as in Copier
)
"""Jinja as Copier sets it up for copier.yml's templated text: partials load from the
template's root."""
BIN = Path(sys.executable).parent
COUNTER = Path(__file__).with_name("expected_tests.py")
RESIDUE = ("{{", "{%", "{#")


def choices(question: str) -> list[Any]:
    """The values a question offers, read from copier.yml (a choice with a validator of
    its own is a mapping that holds its value)."""
    spec = COPIER_YML[question]
    if spec["type"] == "bool":
        return [False, True]
    values = spec["choices"]
    listed = list(values.values()) if isinstance(values, Mapping) else list(values)
    return [value["value"] if isinstance(value, Mapping) else value for value in listed]


FRAMEWORKS = choices("framework")
SERIALIZERS = choices("serializer")
ENCRYPT = choices("encrypt")
PROJECT_KINDS = choices("project_kind")


def mode_name(encrypt: bool) -> str:
    """The mode an encrypt answer picks, as case ids and folder names spell it."""
    return "encrypted" if encrypt else "signed"


@dataclass(frozen=True)
class Case:
    """One rendering of the template: an id for test reports, and its answers."""

    id: str
    answers: Mapping[str, Any]

    @property
    def framework(self) -> str:
        return str(self.answers["framework"])


MIGRATING = (
    "flask",
    "quart",
    "starlette",
    "fastapi",
    "litestar",
    "django",
    "pyramid",
    "aiohttp",
)
"""The frameworks asked migrate_from_native: their answer variants answer yes."""


def migrating(framework: str) -> dict[str, object]:
    return {"migrate_from_native": True} if framework in MIGRATING else {}


def code_cases(framework: str) -> list[Case]:
    """Every serializer and mode for one framework, plus answer variants.

    Each case gets its own package and tests folder, so that one ruff, one mypy and
    one pytest run check them all together.
    """
    cases = []
    for serializer, encrypt in itertools.product(SERIALIZERS, ENCRYPT):
        mode = mode_name(encrypt)
        cases.append(
            Case(
                f"{framework}-{serializer}-{mode}",
                {
                    "framework": framework,
                    "serializer": serializer,
                    "encrypt": encrypt,
                    "project_kind": "new",
                    "package_path": f"app_{serializer}_{mode}",
                    "tests_path": f"tests_{serializer}_{mode}",
                },
            )
        )
    cases.append(
        Case(
            f"{framework}-src-layout-host-cookie",
            {
                "framework": framework,
                "project_kind": "existing",
                "package_path": "src/layout_app",
                "tests_path": "checks/session",
                "cookie_name": "__Host-sid",
                "same_site": "Strict",
                # binary readers beside json, whose _check_plain json lacks; the other
                # mode; an earlier cookie name
                "previous_cookies": [
                    {"serializer": "msgpack"},
                    {"serializer": "orjson", "encrypt": True},
                    {"cookie_name": "app_session"},
                ],
                **migrating(framework),
            },
        )
    )
    cases.append(
        Case(
            f"{framework}-insecure-domain-typed-fields",
            {
                "framework": framework,
                "serializer": SERIALIZERS[-1],
                "encrypt": True,
                "project_kind": "new",
                "package_path": "lib/typed_app",
                "import_path": "typed_app",
                "tests_path": "typed_tests",
                "secure": False,
                # as older guides write it: the module writes Domain=example.com
                "cookie_domain": ".example.com",
                "max_age": 60,
                "session_fields": {
                    "cart_id": "str",
                    "user_id": "int | None",
                    "ratio": "float",
                    "ok": "bool",
                    "tags": "list[str]",
                    "ids": "list[int] | None",
                },
                # the same serializer signed, json signed, and under an earlier name
                "previous_cookies": [
                    {"encrypt": False},
                    {"serializer": "json", "encrypt": False},
                    {"cookie_name": "old_session", "encrypt": False},
                ],
                **migrating(framework),
            },
        )
    )
    return cases


def run(
    args: list[str], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run a command of the dev environment and capture its output."""
    return subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def tool(name: str) -> str:
    """The path of a console script of the dev environment."""
    return str(BIN / name)


def files_under(project: Path) -> set[str]:
    """Every file of a project, as POSIX paths relative to it."""
    return {
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def residue(project: Path) -> list[str]:
    """Lines of rendered files that still hold Jinja syntax."""
    found = []
    for name in sorted(files_under(project)):
        for number, line in enumerate((project / name).read_text().splitlines(), 1):
            if any(marker in line for marker in RESIDUE):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


@dataclass(frozen=True)
class Outcome:
    """One test of a JUnit report: the file it is in, its name and passed, failed or
    skipped."""

    file: Path
    name: str
    result: str


def count_tests(
    files: list[Path], base: Path, pythonpath: str, python: str = tool("python")
) -> dict[str, dict[str, int]]:
    """Each rendered test file's tests with how many pytest must collect for each,
    counted by expected_tests.py under python (the dev environment's by default)."""
    counted = run(
        [python, str(COUNTER), *map(str, files)], cwd=base, env={"PYTHONPATH": pythonpath}
    )
    assert counted.returncode == 0, counted.stderr
    counts: dict[str, dict[str, int]] = json.loads(counted.stdout)
    return counts


PYTEST_PLUGINS = {"aiohttp": ("pytest_asyncio.plugin", "pytest_aiohttp.plugin")}
"""The pytest plugins (modules) a framework's generated tests need: the pytest-aiohttp its
test_packages list, with the pytest-asyncio it runs on."""


def plugins_of(frameworks: Iterable[str]) -> list[str]:
    """The pytest plugins the generated tests of these frameworks need, each once."""
    needed = (plugin for name in frameworks for plugin in PYTEST_PLUGINS.get(name, ()))
    return list(dict.fromkeys(needed))


def only_plugins(plugins: Sequence[str]) -> dict[str, str]:
    """The environment of a pytest process that loads these plugins (modules) and no other,
    as in a project that installs just what the generated README lists: the dev
    environment's other plugins (pytest-copie, hypothesis, faker, ...) cost each run 2 s."""
    return {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_PLUGINS": ",".join(plugins)}


LAYOUT_SETTINGS = ("testpaths", "pythonpath")
"""The pytest settings that say where a project's tests and code are."""


def pytest_settings(project: Path) -> dict[str, Any]:
    """A rendered new project's pytest settings, but for LAYOUT_SETTINGS: the ones another
    project (a host, a run over many projects) takes over."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    settings: dict[str, Any] = pyproject["tool"]["pytest"]["ini_options"]
    return {name: value for name, value in settings.items() if name not in LAYOUT_SETTINGS}


def run_rendered_tests(
    paths: Sequence[Path | str],
    base: Path,
    pythonpath: str,
    *options: str,
    python: str = tool("python"),
    plugins: Sequence[str] = (),
) -> tuple[subprocess.CompletedProcess[str], list[Outcome]]:
    """Run rendered projects' tests (files or node ids) in one pytest process under python
    (the dev environment's by default; rootdir base) and read each test's outcome from
    its JUnit report. Only the pytest plugins named are loaded (only_plugins)."""
    report = base / "junit.xml"
    done = run(
        [
            python,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            "-o",
            "junit_family=xunit1",
            f"--junitxml={report}",
            "--rootdir",
            str(base),
            *options,
            *map(str, paths),
        ],
        cwd=base,
        env={"PYTHONPATH": pythonpath, **only_plugins(plugins)},
    )
    outcomes = []
    if report.exists():
        for testcase in ET.parse(report).getroot().iter("testcase"):
            children = {child.tag for child in testcase}
            if children & {"failure", "error"}:
                result = "failed"
            else:
                result = "skipped" if "skipped" in children else "passed"
            file = (base / testcase.get("file", "")).resolve()
            outcomes.append(Outcome(file, testcase.get("name", ""), result))
    return done, outcomes


def tally(outcomes: list[Outcome], projects: Mapping[str, Path]) -> dict[str, dict[str, int]]:
    """For each named project, how many of its tests were collected, passed, failed and
    skipped."""
    counted = {
        name: dict.fromkeys(("collected", "passed", "failed", "skipped"), 0) for name in projects
    }
    for outcome in outcomes:
        for name, project in projects.items():
            if outcome.file.is_relative_to(project.resolve()):
                counted[name][outcome.result] += 1
                counted[name]["collected"] += 1
    return counted
