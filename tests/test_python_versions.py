"""The generated module and its tests work on every Python the generated projects support.

The rest of the suite runs the generated tests on the dev environment's Python (3.11 or
later); this file runs them again under CPython 3.10, 3.12 and 3.13, found under pyenv's
root (`pyenv root`, else $PYENV_ROOT, else ~/.pyenv). A missing interpreter fails,
naming the command that installs it: it is never skipped.

Each interpreter gets a virtual environment made with uv holding what the rendered
pyproject.toml files list, kept across test sessions in the system's temporary folder
(`copier-session-venvs-<uid>`, keyed by the interpreter and the requirements), so a
second run installs nothing (delete it for the newest releases). Under each
interpreter, one pytest process runs every framework's generated tests (json, signed)
and the codec's own tests for every serializer x mode, with the rendered pytest settings
and every warning an error but those they ignore: in an environment of just the listed
packages, a deprecation warning from one of them fails (Starlette's TestClient on httpx
instead of httpx2, say). Each case then checks its own share of the results: exactly the
tests its rendered files hold, all passed.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from expected_tests import codec_only_tests
from helpers import (
    ENCRYPT,
    FRAMEWORKS,
    SERIALIZERS,
    Case,
    Outcome,
    count_tests,
    mode_name,
    plugins_of,
    pytest_settings,
    run,
    run_rendered_tests,
    tally,
)
from lifecycle import import_root

VERSIONS = ("3.10", "3.12", "3.13")
VENV_CACHE = Path(tempfile.gettempdir(), f"copier-session-venvs-{os.getuid()}")


FRAMEWORK_CASES = [
    Case(
        f"{framework}-json-signed",
        {
            "framework": framework,
            "serializer": "json",
            "encrypt": False,
            "project_kind": "new",
            "package_path": f"app_{framework}",
            "tests_path": f"tests_{framework}",
        },
    )
    for framework in FRAMEWORKS
]
CODEC_CASES = [
    Case(
        f"codec-{serializer}-{mode_name(encrypt)}",
        {
            "framework": FRAMEWORKS[0],
            "serializer": serializer,
            "encrypt": encrypt,
            "project_kind": "new",
            "package_path": f"codec_{serializer}_{mode_name(encrypt)}",
            "tests_path": f"codec_tests_{serializer}_{mode_name(encrypt)}",
        },
    )
    for serializer, encrypt in itertools.product(SERIALIZERS, ENCRYPT)
]
CODEC_ONLY = {case.id for case in CODEC_CASES}
"""Cases whose codec tests alone run: their framework's tests are in FRAMEWORK_CASES."""
CASES = FRAMEWORK_CASES + CODEC_CASES


def pyenv_root() -> Path:
    """Where pyenv keeps its interpreters: `pyenv root`, else $PYENV_ROOT, else ~/.pyenv."""
    pyenv = shutil.which("pyenv")
    if pyenv is not None:
        answered = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        if answered.returncode == 0 and answered.stdout.strip():
            return Path(answered.stdout.strip())
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def interpreter(version: str) -> Path:
    """The newest CPython release X.Y.Z of a version X.Y under pyenv's root; a test
    failure naming the install command when there is none."""
    root = pyenv_root()
    release = re.compile(rf"{re.escape(version)}\.(\d+)")
    found = sorted(
        (int(match[1]), path)
        for path in (root / "versions").glob(f"{version}.*/bin/python")
        if (match := release.fullmatch(path.parent.parent.name))
    )
    if not found:
        pytest.fail(
            f"CPython {version} is missing: no {root}/versions/{version}.*/bin/python. "
            f"Install it with `pyenv install {version}`: the generated code supports "
            f"Python {version}, so its tests must run there.",
            pytrace=False,
        )
    return found[-1][1]


def uv() -> str:
    """uv, as scripts/test provides it (uv run names itself in $UV)."""
    found = os.environ.get("UV") or shutil.which("uv")
    if found is None:
        pytest.fail("uv is missing: run the suite with scripts/test, which installs it")
    return found


def requirements(projects: list[Path]) -> list[str]:
    """What the rendered pyproject.toml files list: runtime and dev dependencies."""
    listed: set[str] = set()
    for project in projects:
        pyproject = tomllib.loads((project / "pyproject.toml").read_text())
        listed.update(pyproject["project"]["dependencies"])
        listed.update(pyproject["dependency-groups"]["dev"])
    return sorted(listed)


def pytest_options(projects: list[Path]) -> list[str]:
    """The rendered pyproject.toml files' pytest settings as options: every warning is an
    error but those they ignore (the ones no version of the listed packages avoids), and
    their other settings (pytest-asyncio's loop scope) apply."""
    ignored: set[str] = set()
    settings: dict[str, str] = {}
    for project in projects:
        own = pytest_settings(project)
        ignored.update(own.pop("filterwarnings", []))
        settings.update(own)
    filters = [option for line in sorted(ignored) for option in ("-W", line)]
    overrides = [option for item in sorted(settings.items()) for option in ("-o", "=".join(item))]
    return ["-W", "error", *filters, *overrides]


def environment(python: Path, wanted: list[str]) -> Path:
    """A virtual environment of python holding wanted, made once and then reused."""
    version = run([str(python), "-VV"], cwd=python.parent).stdout.strip()
    key = hashlib.sha256("\0".join([str(python), version, *wanted]).encode()).hexdigest()[:16]
    venv = VENV_CACHE / f"{python.parent.parent.name}-{key}"
    ready = venv / "ready"
    VENV_CACHE.mkdir(exist_ok=True)
    with (VENV_CACHE / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            made = run(
                [uv(), "venv", "--quiet", "--clear", "--python", str(python), str(venv)],
                cwd=VENV_CACHE,
            )
            assert made.returncode == 0, f"uv venv failed for {python}:\n{made.stderr}"
            installed = run(
                [
                    uv(),
                    "pip",
                    "install",
                    "--quiet",
                    "--python",
                    str(venv / "bin" / "python"),
                    *wanted,
                ],
                cwd=VENV_CACHE,
            )
            assert installed.returncode == 0, (
                f"installing {wanted} for {python} failed:\n{installed.stderr}"
            )
            ready.touch()
    return venv / "bin" / "python"


@dataclass
class Rendered:
    """Every case rendered, and what its generated tests must run, whatever the
    interpreter: the test files, or the codec tests' node ids, and each case's count."""

    projects: dict[str, Path]
    requirements: list[str]
    pytest_options: list[str]
    targets: list[Path | str] = field(default_factory=list)
    expected: dict[str, int] = field(default_factory=dict)

    @property
    def roots(self) -> str:
        return ":".join(str(import_root(project)) for project in self.projects.values())


@dataclass
class Results:
    """Every case's generated tests, run under one interpreter."""

    pytest_output: str
    outcomes: list[Outcome]


def rendered_test_files(project: Path, case: Case) -> list[Path]:
    return sorted((project / str(case.answers["tests_path"])).glob("test_*.py"))


@pytest.fixture(scope="session")
def rendered(render: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """Every case rendered and its tests counted, once per test session."""
    projects = {case.id: render(**case.answers) for case in CASES}
    made = list(projects.values())
    result = Rendered(projects, requirements(made), pytest_options(made))
    files = {case.id: rendered_test_files(projects[case.id], case) for case in CASES}
    every_file = [path for paths in files.values() for path in paths]
    per_file = count_tests(every_file, tmp_path_factory.mktemp("counted"), result.roots)
    for case in CASES:
        for path in files[case.id]:
            counts = per_file[str(path)]
            if case.id in CODEC_ONLY:
                names = codec_only_tests(path)
                result.targets += [f"{path}::{name}" for name in names]
            else:
                names = list(counts)
                result.targets.append(path)
            expected = sum(counts[name] for name in names)
            result.expected[case.id] = result.expected.get(case.id, 0) + expected
    return result


@pytest.fixture(scope="session")
def python_build(
    rendered: Rendered, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Results]]:
    """Run every case's generated tests under one interpreter, once per test session."""
    built: dict[str, Results] = {}

    def build(version: str) -> Results:
        if version not in built:
            python = str(environment(interpreter(version), rendered.requirements))
            base = tmp_path_factory.mktemp(f"python-{version}")
            # a case whose tests do not import fails alone, the others still run
            done, outcomes = run_rendered_tests(
                rendered.targets,
                base,
                rendered.roots,
                "--continue-on-collection-errors",
                *rendered.pytest_options,
                python=python,
                plugins=plugins_of(FRAMEWORKS),
            )
            output = f"$ {python} -m pytest ...\n{done.stdout[-6000:]}{done.stderr[-3000:]}"
            built[version] = Results(output, outcomes)
        return built[version]

    yield build


def params() -> list[Any]:
    """Each interpreter x case, grouped by interpreter so that one worker builds each."""
    return [
        pytest.param(
            version,
            case,
            id=f"py{version}-{case.id}",
            marks=pytest.mark.xdist_group(f"python-{version}"),
        )
        for version in VERSIONS
        for case in CASES
    ]


@pytest.mark.parametrize(("version", "case"), params())
def test_generated_tests_pass_under(
    version: str, case: Case, rendered: Rendered, python_build: Callable[[str], Results]
) -> None:
    tested = python_build(version)
    project = rendered.projects[case.id]
    expected = rendered.expected[case.id]
    assert expected > 0, tested.pytest_output
    wanted = {"collected": expected, "passed": expected, "failed": 0, "skipped": 0}
    counted = tally(tested.outcomes, {case.id: project})[case.id]
    not_passed = [
        f"{outcome.result}: {outcome.name}"
        for outcome in tested.outcomes
        if outcome.result != "passed" and outcome.file.is_relative_to(project.resolve())
    ]
    assert counted == wanted, (
        f"{case.id} under Python {version}: {counted}, wanted {wanted}\n"
        + "\n".join(not_passed)
        + f"\n\n{tested.pytest_output}"
    )
