"""Every framework x serializer x mode (plus answer variants) renders clean code that works.

For each framework, one session-scoped build renders all its cases, then runs ruff,
mypy --strict and the generated tests once over all of them; each case then checks
its own share of the results, so reports name the exact combination.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from helpers import FRAMEWORKS, Case, code_cases, files_under, residue, run, tool

RUFF_RULES = "E,F,I,B,UP,SIM,RUF"
CASES = [case for framework in FRAMEWORKS for case in code_cases(framework)]
NEW_CASES = [case for case in CASES if case.answers.get("project_kind") == "new"]


def params(cases: list[Case]) -> list[Any]:
    """Cases as parameters, grouped by framework so each xdist worker builds few."""
    return [
        pytest.param(case, id=case.id, marks=pytest.mark.xdist_group(case.framework))
        for case in cases
    ]


@dataclass
class Rendered:
    """A framework's cases, rendered, with the output of each check run over them."""

    projects: dict[str, Path]
    ruff_format: dict[str, str] = field(default_factory=dict)
    ruff_check: dict[str, str] = field(default_factory=dict)
    mypy: str = ""
    pytest_output: str = ""
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)


def package_path(case: Case) -> str:
    return str(case.answers["package_path"])


def source_root(project: Path, case: Case) -> Path:
    return project / "src" if package_path(case).startswith("src/") else project


def owns(project: Path, line: str) -> bool:
    """Whether a line of tool output is about a file of this project."""
    return str(project) in line or f"{project.name}/" in line


def run_checks(rendered: Rendered, cases: list[Case], base: Path) -> None:
    for case in cases:
        project = rendered.projects[case.id]
        formatted = run(
            [tool("ruff"), "format", "--no-cache", "--check", "--diff", "."], cwd=project
        )
        rendered.ruff_format[case.id] = formatted.stdout + formatted.stderr
        checked = run(
            [
                tool("ruff"),
                "check",
                "--no-cache",
                "--select",
                RUFF_RULES,
                "--output-format",
                "concise",
                ".",
            ],
            cwd=project,
        )
        rendered.ruff_check[case.id] = checked.stdout + checked.stderr

    roots, targets = [], []
    for case in cases:
        project = rendered.projects[case.id]
        root = source_root(project, case)
        roots.append(str(root))
        targets.append(str(project / package_path(case)))
        targets.append(str(project / str(case.answers["tests_path"])))
    typed = run(
        [
            tool("mypy"),
            "--strict",
            "--explicit-package-bases",
            "--cache-dir",
            str(base / ".mypy_cache"),
            *targets,
        ],
        cwd=base,
        env={"MYPYPATH": ":".join(roots)},
    )
    rendered.mypy = typed.stdout + typed.stderr

    report = base / "junit.xml"
    tested = run(
        [
            tool("pytest"),
            "-q",
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            "-o",
            "junit_family=xunit1",
            f"--junitxml={report}",
            "--rootdir",
            str(base),
            *[str(rendered.projects[c.id] / str(c.answers["tests_path"])) for c in cases],
        ],
        cwd=base,
        env={"PYTHONPATH": ":".join(roots)},
    )
    rendered.pytest_output = tested.stdout[-6000:] + tested.stderr[-3000:]
    rendered.outcomes = {
        case.id: dict.fromkeys(("passed", "failed", "skipped"), 0) for case in cases
    }
    if report.exists():
        for testcase in ET.parse(report).getroot().iter("testcase"):
            where = str((base / testcase.get("file", "")).resolve())
            for case in cases:
                if where.startswith(str(rendered.projects[case.id].resolve()) + "/"):
                    children = {child.tag for child in testcase}
                    if children & {"failure", "error"}:
                        outcome = "failed"
                    elif "skipped" in children:
                        outcome = "skipped"
                    else:
                        outcome = "passed"
                    rendered.outcomes[case.id][outcome] += 1


@pytest.fixture(scope="session")
def framework_build(
    render: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Rendered]]:
    """Render and check every case of a framework, once per test session."""
    built: dict[str, Rendered] = {}

    def build(framework: str) -> Rendered:
        if framework not in built:
            cases = code_cases(framework)
            base = tmp_path_factory.mktemp(f"matrix-{framework}")
            projects = {case.id: render(**case.answers) for case in cases}
            rendered = Rendered(projects)
            run_checks(rendered, cases, base)
            built[framework] = rendered
        return built[framework]

    yield build


def expected_files(case: Case) -> set[str]:
    package, tests = package_path(case), str(case.answers["tests_path"])
    files = {
        ".copier-answers.session.yml",
        f"{package}/__init__.py",
        f"{package}/utilities/__init__.py",
        f"{package}/utilities/session.py",
        f"{package}/utilities/session_testing.py",
        f"{tests}/test_session.py",
    }
    if case.answers.get("project_kind", "new") == "new":
        files |= {"pyproject.toml", "README.md", f"{package}/main.py"}
    return files


@pytest.fixture(params=params(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    case: Case = request.param
    return case


@pytest.fixture
def built(case: Case, framework_build: Callable[[str], Rendered]) -> Rendered:
    return framework_build(case.framework)


def test_renders_exactly_the_expected_files(case: Case, built: Rendered) -> None:
    project = built.projects[case.id]
    assert files_under(project) == expected_files(case)
    assert residue(project) == []


def test_code_is_ruff_formatted(case: Case, built: Rendered) -> None:
    output = built.ruff_format[case.id]
    assert output.strip().endswith("files already formatted"), output


def test_code_passes_ruff_check(case: Case, built: Rendered) -> None:
    output = built.ruff_check[case.id]
    assert output.strip() == "All checks passed!", output


def test_code_passes_mypy_strict(case: Case, built: Rendered) -> None:
    project = built.projects[case.id]
    assert "Success" in built.mypy or "error" in built.mypy, built.mypy
    assert [line for line in built.mypy.splitlines() if owns(project, line)] == []


def test_generated_tests_pass_without_skips(case: Case, built: Rendered) -> None:
    outcome = built.outcomes[case.id]
    assert outcome["failed"] == 0, built.pytest_output
    assert outcome["skipped"] == 0, built.pytest_output
    assert outcome["passed"] >= 40, (outcome, built.pytest_output)


@pytest.mark.parametrize("case", params(NEW_CASES), indirect=True)
def test_existing_project_gets_the_same_module_and_tests(
    render: Callable[..., Path], case: Case, built: Rendered
) -> None:
    answers: dict[str, Any] = {**case.answers, "project_kind": "existing"}
    existing = render(**answers)
    new = built.projects[case.id]
    assert files_under(existing) == expected_files(Case(case.id, answers))
    for name in files_under(existing) - {".copier-answers.session.yml"}:
        assert (existing / name).read_bytes() == (new / name).read_bytes(), name
