"""The quality gates every rendered project must pass, one function per tool.

Each gate runs its tool over one rendered project and returns the finished process:
a gate passes when the tool exits 0, whatever it prints. test_matrix.py applies them
to every combination and test_gates.py shows each one failing on a broken module.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from helpers import run, tool

RUFF_RULES = "E,F,I,B,UP,SIM,RUF,S,C90,PT,N"
"""The rules of the generated pyproject.toml: ruff's defaults and those hosts often add,
security (S), complexity (C90), pytest style (PT) and naming (N)."""
RUFF_IGNORED = "**/test_*.py:S101"
"""Tests assert: bandit's rule against assert is off in test files only."""
PYRIGHT_MODES = ("basic", "strict")
DJANGO_TYPES = "django-types==0.24.0"
"""The stubs some pyright users choose for Django instead of django-stubs. They install
a folder of the same name, so they live apart from the dev environment's django-stubs."""
MYPY_CACHE = Path(tempfile.gettempdir(), f"copier-session-mypy-{os.getuid()}")
"""mypy's caches, kept across test sessions: with them, a run re-checks only the
rendered files. mypy validates every cached entry against the file's hash itself."""


def mypy_cache(name: str) -> Path:
    """A persistent mypy cache for one user of it (one framework's renders, say).

    Keyed by what the dev environment holds (the Python release and uv.lock), not by
    where it is: a new clone with the same lock reuses the cache, since mypy checks a
    cached module whose path moved against its hash. Other locks get caches of their own.
    """
    lock = Path(__file__).parents[1] / "uv.lock"
    held = sys.version.encode() + b"\0" + lock.read_bytes()
    key = hashlib.sha256(held + b"\0" + name.encode()).hexdigest()[:16]
    return MYPY_CACHE / f"{name}-{key}"


def ruff_format(project: Path) -> subprocess.CompletedProcess[str]:
    """`ruff format --check` over the project."""
    return run([tool("ruff"), "format", "--no-cache", "--check", "--diff", "."], cwd=project)


def ruff_check(project: Path) -> subprocess.CompletedProcess[str]:
    """`ruff check` with the rules the generated pyproject.toml selects."""
    return run(
        [
            tool("ruff"),
            "check",
            "--no-cache",
            "--select",
            RUFF_RULES,
            "--per-file-ignores",
            RUFF_IGNORED,
            "--output-format",
            "concise",
            ".",
        ],
        cwd=project,
    )


def mypy_strict(
    project: Path, source_root: Path, folders: list[str], cache: Path
) -> subprocess.CompletedProcess[str]:
    """`mypy --strict` over folders of the project, importing from source_root."""
    return run(
        [
            tool("mypy"),
            "--strict",
            "--explicit-package-bases",
            "--cache-dir",
            str(cache),
            *folders,
        ],
        cwd=project,
        env={"MYPYPATH": str(source_root)},
    )


def pyright(
    roots: Mapping[Path, Path],
    modes: Mapping[str, Sequence[Path]],
    stubs: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """pyright over the paths of each mode (PYRIGHT_MODES) in one run, so that the types of
    the framework are read once: basic is the default, the strict paths are listed under
    "strict" (as if each began with `# pyright: strict`). Each project folder (a key of
    roots) imports first-party code from its import root (the value) and third-party code
    from the dev environment (whose Python it checks against; tests/test_python_versions.py
    runs the code on the others), with stubs (a folder of stub packages) ahead of it."""
    assert set(modes) <= set(PYRIGHT_MODES), modes
    extra = [str(stubs)] if stubs else []
    paths = [str(path) for mode in PYRIGHT_MODES for path in modes.get(mode, ())]
    with tempfile.TemporaryDirectory() as folder:
        config = {
            "typeCheckingMode": "basic",
            # for files outside every project (the stubs' own imports among them)
            "extraPaths": extra,
            # pyright ignores absolute paths here
            "strict": [os.path.relpath(path, folder) for path in modes.get("strict", ())],
            "executionEnvironments": [
                {"root": os.path.relpath(project, folder), "extraPaths": [*extra, str(root)]}
                for project, root in roots.items()
            ],
        }
        settings = Path(folder, "pyrightconfig.json")
        settings.write_text(json.dumps(config))
        return run(
            [tool("pyright"), "--pythonpath", sys.executable, "-p", str(settings), *paths],
            cwd=Path(folder),
        )


def django_types() -> Path:
    """A folder holding DJANGO_TYPES alone, installed once and kept across test sessions."""
    key = hashlib.sha256(DJANGO_TYPES.encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir(), f"copier-session-django-types-{os.getuid()}-{key}")
    if not folder.is_dir():
        uv = shutil.which("uv")
        assert uv, "uv is not on PATH: it installs django-types for the pyright gate"
        staging = Path(tempfile.mkdtemp(prefix=folder.name, dir=folder.parent))
        install = [uv, "pip", "install", "--quiet", "--no-deps", "--target", str(staging)]
        done = run([*install, "--python", sys.executable, DJANGO_TYPES], cwd=staging)
        assert done.returncode == 0, output(done)
        try:
            staging.rename(folder)
        except OSError:  # another test process installed it first
            shutil.rmtree(staging)
    return folder


def output(done: subprocess.CompletedProcess[str]) -> str:
    """What a gate's tool printed, for an assertion message."""
    return f"exit status {done.returncode}\n{done.stdout}{done.stderr}"
