"""Every framework x serializer x mode (plus answer variants) renders clean code that works.

Every case passes each gate of gates.py on its own (the tool's exit status decides).
For each framework, one session-scoped build renders all its cases and runs their
generated tests in one pytest process; each case then checks its own share of the
results: exactly the tests its rendered files hold, all passed, so reports name the
exact combination. The codec's own tests, the same whatever the framework, run in the
first framework's build only.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import gates
from expected_tests import codec_only_tests
from helpers import (
    FRAMEWORKS,
    Case,
    code_cases,
    count_tests,
    files_under,
    plugins_of,
    residue,
    run_rendered_tests,
    tally,
)
from lifecycle import import_root

CASES = [case for framework in FRAMEWORKS for case in code_cases(framework)]
NEW_CASES = [case for case in CASES if case.answers.get("project_kind") == "new"]
DJANGO_CASES = [case for case in CASES if case.framework == "django"]
CODEC_TESTS_RUN_IN = FRAMEWORKS[0]


def params(cases: list[Case]) -> list[Any]:
    """Cases as parameters, grouped by framework so each xdist worker builds few."""
    return [
        pytest.param(case, id=case.id, marks=pytest.mark.xdist_group(case.framework))
        for case in cases
    ]


@dataclass
class Rendered:
    """A framework's cases, rendered, with the results of their generated tests."""

    cases: list[Case]
    projects: dict[str, Path]
    base: Path
    pytest_output: str = ""
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    pyright_runs: dict[bool, subprocess.CompletedProcess[str]] = field(default_factory=dict)

    def checked_in(self, mode: str, case: Case) -> Path:
        """The copy of the case's project that pyright checks in mode."""
        return self.base / f"pyright-{mode}" / case.id

    def pyright(self, django_types: bool = False) -> subprocess.CompletedProcess[str]:
        """pyright over every case, in each mode its own copy, at once (one run costs
        what loading the framework's types costs), with django-types if asked."""
        if django_types not in self.pyright_runs:
            roots: dict[Path, Path] = {}
            modes: dict[str, list[Path]] = {}
            for mode in gates.PYRIGHT_MODES:
                for case in self.cases:
                    copy = self.checked_in(mode, case)
                    if not copy.exists():
                        shutil.copytree(self.projects[case.id], copy)
                    roots[copy] = import_root(copy)
                    folders = (package_path(case), folder_of_tests(case))
                    modes.setdefault(mode, []).extend(copy / folder for folder in folders)
            stubs = gates.django_types() if django_types else None
            self.pyright_runs[django_types] = gates.pyright(roots, modes, stubs)
        return self.pyright_runs[django_types]


def package_path(case: Case) -> str:
    return str(case.answers["package_path"])


def folder_of_tests(case: Case) -> str:
    return str(case.answers["tests_path"])


def rendered_test_files(project: Path, case: Case) -> list[Path]:
    return sorted((project / folder_of_tests(case)).glob("test_*.py"))


def run_generated_tests(rendered: Rendered, cases: list[Case], base: Path) -> None:
    """Run every case's generated tests in one process and count each case's outcomes."""
    framework = cases[0].framework
    projects = rendered.projects
    files = [path for case in cases for path in rendered_test_files(projects[case.id], case)]
    roots = ":".join(str(import_root(rendered.projects[c.id])) for c in cases)
    per_file = count_tests(files, base, roots)
    deselected = set()
    if framework != CODEC_TESTS_RUN_IN:
        deselected = {name for path in files for name in codec_only_tests(path)}
    for case in cases:
        project = rendered.projects[case.id]
        rendered.expected[case.id] = sum(
            count
            for path in rendered_test_files(project, case)
            for name, count in per_file[str(path)].items()
            if name not in deselected
        )

    select = (
        ["-k", " and ".join(f"not {name}" for name in sorted(deselected))] if deselected else []
    )
    tested, outcomes = run_rendered_tests(
        files, base, roots, *select, plugins=plugins_of([framework])
    )
    rendered.pytest_output = (
        f"$ pytest {shlex.join(select)} ...\n" + tested.stdout[-6000:] + tested.stderr[-3000:]
    )
    rendered.outcomes = tally(outcomes, rendered.projects)


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
            rendered = Rendered(cases, projects, base)
            run_generated_tests(rendered, cases, base)
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
        files |= {".gitignore", "pyproject.toml", "README.md", f"{package}/main.py"}
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
    done = gates.ruff_format(built.projects[case.id])
    assert done.returncode == 0, gates.output(done)


def test_code_passes_ruff_check(case: Case, built: Rendered) -> None:
    done = gates.ruff_check(built.projects[case.id])
    assert done.returncode == 0, gates.output(done)


def test_code_passes_mypy_strict(case: Case, built: Rendered) -> None:
    project = built.projects[case.id]
    folders = [package_path(case), folder_of_tests(case)]
    cache = gates.mypy_cache(case.framework)
    done = gates.mypy_strict(project, import_root(project), folders, cache)
    assert done.returncode == 0, gates.output(done)


def pyright_verdict(
    case: Case, mode: str, built: Rendered, done: subprocess.CompletedProcess[str]
) -> str:
    """pyright's output, with this case's own diagnostics in mode first."""
    copy = str(built.checked_in(mode, case))
    own = [line for line in done.stdout.splitlines() if line.strip().startswith(copy)]
    return f"this case, {mode}:\n" + "\n".join(own) + "\n\nwhole run:\n" + gates.output(done)


@pytest.mark.parametrize("mode", gates.PYRIGHT_MODES)
def test_code_passes_pyright(case: Case, built: Rendered, mode: str) -> None:
    done = built.pyright()
    assert done.returncode == 0, pyright_verdict(case, mode, built, done)


@pytest.mark.parametrize("mode", gates.PYRIGHT_MODES)
@pytest.mark.parametrize("case", params(DJANGO_CASES), indirect=True)
def test_code_passes_pyright_with_django_types(case: Case, built: Rendered, mode: str) -> None:
    done = built.pyright(django_types=True)
    assert done.returncode == 0, pyright_verdict(case, mode, built, done)


def test_generated_tests_all_run_and_pass(case: Case, built: Rendered) -> None:
    outcome = built.outcomes[case.id]
    expected = built.expected[case.id]
    assert expected > 0, built.pytest_output
    wanted = {"collected": expected, "passed": expected, "failed": 0, "skipped": 0}
    assert outcome == wanted, built.pytest_output


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
