"""The matrix's gates can fail: each one refuses a rendered module broken on purpose.

A render that passes every gate is broken in one way per gate (misformatted, a lint
error, mistyped), and the gate that the matrix runs must exit non-zero on it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

import gates

MODULE = Path("app", "utilities", "session.py")


def ruff_format(project: Path) -> subprocess.CompletedProcess[str]:
    return gates.ruff_format(project)


def ruff_check(project: Path) -> subprocess.CompletedProcess[str]:
    return gates.ruff_check(project)


def mypy_strict(project: Path) -> subprocess.CompletedProcess[str]:
    return gates.mypy_strict(project, project, ["app", "tests"], gates.mypy_cache("gates"))


def pyright_basic(project: Path) -> subprocess.CompletedProcess[str]:
    return gates.pyright({project: project}, {"basic": [project / "app", project / "tests"]})


def pyright_strict(project: Path) -> subprocess.CompletedProcess[str]:
    return gates.pyright({project: project}, {"strict": [project / "app", project / "tests"]})


Gate = Callable[[Path], subprocess.CompletedProcess[str]]
BREAKAGES: list[tuple[Gate, str, str]] = [
    (ruff_format, "MIN_SECRET_BYTES: Final = 32", "MIN_SECRET_BYTES:   Final   =   32"),
    (
        ruff_check,
        "from __future__ import annotations\n",
        "from __future__ import annotations\nimport os\n",
    ),
    (mypy_strict, "def get_session() -> Session:", "def get_session() -> int:"),
    (pyright_basic, "def get_session() -> Session:", "def get_session() -> int:"),
    # Only strict mode asks for every parameter's type.
    (
        pyright_strict,
        "def _check_keys(keys: Iterable[object]) -> None:",
        "def _check_keys(keys) -> None:",
    ),
]


@pytest.fixture(scope="module")
def pristine(render: Callable[..., Path]) -> Path:
    return render(framework="flask", project_kind="new")


@pytest.mark.parametrize("gate", [gate for gate, _, _ in BREAKAGES], ids=lambda gate: gate.__name__)
def test_gate_passes_the_rendered_module(gate: Gate, pristine: Path) -> None:
    done = gate(pristine)
    assert done.returncode == 0, gates.output(done)


@pytest.mark.parametrize(
    ("gate", "old", "new"), BREAKAGES, ids=[gate.__name__ for gate, _, _ in BREAKAGES]
)
def test_gate_fails_on_a_broken_module(
    gate: Gate, old: str, new: str, pristine: Path, tmp_path: Path
) -> None:
    project = shutil.copytree(pristine, tmp_path / "project")
    module = project / MODULE
    text = module.read_text()
    assert text.count(old) == 1, f"{old!r} is no longer once in {MODULE}: update BREAKAGES"
    module.write_text(text.replace(old, new))
    done = gate(project)
    assert done.returncode != 0, gates.output(done)
    assert "session.py" in done.stdout + done.stderr, gates.output(done)
