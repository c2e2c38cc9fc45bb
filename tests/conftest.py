"""Shared fixtures for the template's tests: rendering and the demo servers.

Helpers that tests import live in helpers.py: nothing is imported from this file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
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
