"""The template's own code (tests/ and bench/) passes the gates its output must pass."""

from __future__ import annotations

import gates
from helpers import ROOT, run, tool

OWN_CODE = ["tests", "bench"]


def test_own_code_is_ruff_formatted() -> None:
    done = run([tool("ruff"), "format", "--no-cache", "--check", *OWN_CODE], cwd=ROOT)
    assert done.returncode == 0, gates.output(done)


def test_own_code_passes_ruff_check() -> None:
    done = run([tool("ruff"), "check", "--no-cache", *OWN_CODE], cwd=ROOT)
    assert done.returncode == 0, gates.output(done)


def test_own_code_passes_mypy_strict() -> None:
    cache = gates.mypy_cache("own-code")
    done = run([tool("mypy"), "--strict", "--cache-dir", str(cache), *OWN_CODE], cwd=ROOT)
    assert done.returncode == 0, gates.output(done)
