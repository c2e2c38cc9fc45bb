"""Shared fixtures for the template's tests: the answer matrix and rendering."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, settings

from bench.render import snapshot
from servers import DemoServer, start_demo

# Hypothesis profiles: "ci" (the default) runs 500 examples per property test;
# `--hypothesis-profile=long` runs 50,000 (or set HYPOTHESIS_PROFILE=long).
settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("long", settings.get_profile("ci"), max_examples=50_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
COPIER_YML: dict[str, Any] = yaml.safe_load((ROOT / "copier.yml").read_text())
BIN = Path(sys.executable).parent
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


@dataclass(frozen=True)
class Case:
    """One rendering of the template: an id for test reports, and its answers."""

    id: str
    answers: Mapping[str, Any]

    @property
    def framework(self) -> str:
        return str(self.answers["framework"])


def code_cases(framework: str) -> list[Case]:
    """Every serializer and mode for one framework, plus answer variants.

    Each case gets its own package and tests folder, so that one ruff, one mypy and
    one pytest run check them all together.
    """
    cases = []
    for serializer, encrypt in itertools.product(SERIALIZERS, ENCRYPT):
        mode = "encrypted" if encrypt else "signed"
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
                "tests_path": "typed_tests",
                "secure": False,
                "cookie_domain": "example.com",
                "max_age": 60,
                "session_fields": {
                    "cart_id": "str",
                    "user_id": "int | None",
                    "ratio": "float",
                    "ok": "bool",
                    "tags": "list[str]",
                    "ids": "list[int] | None",
                },
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


@pytest.fixture(scope="session")
def template_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as it is in the working tree, as a plain folder (fast to copy from)."""
    return snapshot(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def render(copie_session: Any, template_snapshot: Path) -> Iterator[Any]:
    """Render the template with some answers (the rest defaults); return the project dir."""

    def render(**answers: Any) -> Path:
        result = copie_session.copy(extra_answers=answers, template_dir=template_snapshot)
        assert result.exit_code == 0, f"copy failed for {answers}: {result.exception!r}"
        return Path(result.project_dir)

    yield render


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


@pytest.fixture(scope="session")
def demo_server(
    render: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], DemoServer]]:
    """A framework's cart demo under its real server, started once per test session.

    Every server's process group is stopped when the session ends, also on failure.
    """
    started: dict[str, DemoServer] = {}

    def serve(framework: str) -> DemoServer:
        if framework not in started:
            project = render(framework=framework, project_kind="new")
            logs = tmp_path_factory.mktemp(f"serve-{framework}")
            started[framework] = start_demo(framework, project, logs)
        return started[framework]

    try:
        yield serve
    finally:
        for server in started.values():
            server.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Requests made to the demo servers and the worker pids that answered."""
    requests: dict[str, int] = {}
    pids: dict[str, set[int]] = {}
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            properties = dict(getattr(report, "user_properties", []))
            if "demo_requests" not in properties:
                continue
            framework = str(properties["demo_framework"])
            requests[framework] = requests.get(framework, 0) + int(properties["demo_requests"])
            pids.setdefault(framework, set()).update(properties["demo_worker_pids"])
    if requests:
        terminalreporter.section("demo servers: requests and worker processes")
        for framework in sorted(requests):
            terminalreporter.write_line(
                f"{framework}: {requests[framework]} requests, "
                f"{len(pids[framework])} worker pids {sorted(pids[framework])}"
            )
