"""The quality gates every rendered project must pass, one function per tool.

Each gate runs its tool over one rendered project and returns the finished process:
a gate passes when the tool exits 0, whatever it prints. test_matrix.py applies them
to every combination and test_gates.py shows each one failing on a broken module.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from helpers import run, tool

RUFF_RULES = "E,F,I,B,UP,SIM,RUF"
MYPY_CACHE = Path(tempfile.gettempdir(), f"copier-session-mypy-{os.getuid()}")
"""mypy's caches, kept across test sessions: with them, a run re-checks only the
rendered files. mypy validates every cached entry against the file's hash itself."""


def mypy_cache(name: str) -> Path:
    """A persistent mypy cache for one user of it (one framework's renders, say).

    Keyed by the dev environment too, so checkouts with other environments do not
    overwrite each other's cache of the installed packages.
    """
    key = hashlib.sha256(f"{sys.prefix}\0{name}".encode()).hexdigest()[:16]
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


def output(done: subprocess.CompletedProcess[str]) -> str:
    """What a gate's tool printed, for an assertion message."""
    return f"exit status {done.returncode}\n{done.stdout}{done.stderr}"
