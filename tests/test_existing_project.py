"""Adding the module to an existing project: every file already there stays byte for byte.

The project is a realistic one: its own pyproject.toml, tests with a conftest.py, a
package whose __init__.py files hold code, and the answers file of another Copier
template. Copier runs as a user runs it, from an absolute template path.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml
from copier import run_copy

from helpers import COPIER_YML, run, tool
from lifecycle import (
    ANSWERS_FILE,
    commit_all,
    copier,
    git,
    project_files,
    tool_env,
    write_files,
)

OTHER_TEMPLATE_ANSWERS = b"""\
# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY
_commit: 2.3.1
_src_path: gh:example/python-web-project
project_name: Shop
python_version: '3.12'
"""

SHOP = {
    "pyproject.toml": b"""\
[project]
name = "shop"
version = "1.4.0"
requires-python = ">=3.11"
dependencies = ["fastapi>=0.115"]

[tool.pytest.ini_options]
testpaths = ["tests"]
""",
    # CRLF line endings and no final newline: copying must not normalise either.
    "README.md": b"# Shop\r\n\r\nSells things.",
    ".gitignore": b"__pycache__/\n.venv/\n",
    ".copier-answers.yml": OTHER_TEMPLATE_ANSWERS,
    "tests/conftest.py": b'''\
"""Fixtures of the shop's tests."""

import pytest


@pytest.fixture
def shop_name() -> str:
    return "Shop"
''',
    "tests/test_other.py": b"""\
from app.utilities.other import slugify


def test_slugify() -> None:
    assert slugify("Big Shop") == "big-shop"
""",
    "app/__init__.py": b'''\
"""The shop."""

from fastapi import FastAPI

app = FastAPI(title="Shop")
''',
    "app/utilities/__init__.py": b'''\
"""Small helpers of the shop."""

from app.utilities.other import slugify

__all__ = ["slugify"]
''',
    "app/utilities/other.py": b"""\
def slugify(text: str) -> str:
    return text.lower().replace(" ", "-")
""",
}
MODULE_FILES = {
    ANSWERS_FILE,
    "app/utilities/session.py",
    "app/utilities/session_testing.py",
    "tests/test_session.py",
}


def shop(root: Path, extra: dict[str, bytes] | None = None) -> Path:
    """The existing project, committed to git."""
    write_files(root, {**SHOP, **(extra or {})})
    commit_all(root, "The shop")
    return root


def test_existing_project_keeps_every_byte_and_gains_only_the_module(
    template_snapshot: Path, tmp_path: Path
) -> None:
    project = shop(tmp_path / "shop")
    before = project_files(project)

    done = copier(
        "copy",
        "--defaults",
        "-d",
        "project_kind=existing",
        str(template_snapshot),
        str(project),
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    after = project_files(project)
    changed = [name for name, content in before.items() if after.get(name) != content]
    assert changed == []
    assert set(after) - set(before) == MODULE_FILES
    # git agrees: nothing tracked was modified, only new files appeared.
    status = git(project, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert sorted(status) == sorted(f"?? {name}" for name in MODULE_FILES)
    # The package's own __init__.py files were met and skipped, not overwritten.
    assert "skip  app/__init__.py" in done.stderr
    assert "skip  app/utilities/__init__.py" in done.stderr
    answers = yaml.safe_load((project / ANSWERS_FILE).read_text())
    assert answers["_src_path"] == str(template_snapshot)
    assert answers["project_kind"] == "existing"
    assert "Add these dependencies to your project:" in done.stderr


def test_missing_init_files_are_added_empty(template_snapshot: Path, tmp_path: Path) -> None:
    project = tmp_path / "shop"
    write_files(project, {"pyproject.toml": SHOP["pyproject.toml"], "app/views.py": b"X = 1\n"})
    before = project_files(project)

    run_copy(
        str(template_snapshot),
        str(project),
        data={"project_kind": "existing"},
        defaults=True,
        quiet=True,
    )

    after = project_files(project)
    assert {name: after[name] for name in before} == before
    assert set(after) - set(before) == MODULE_FILES | {
        "app/__init__.py",
        "app/utilities/__init__.py",
    }
    assert after["app/__init__.py"] == b""
    assert after["app/utilities/__init__.py"] == b""


def test_skip_if_exists_patterns_are_rendered_with_the_answers(
    template_snapshot: Path, tmp_path: Path
) -> None:
    """--overwrite replaces the user's session.py, yet the rendered __init__.py paths are kept.

    Only a `_skip_if_exists` entry that Copier rendered to src/shop/... can protect
    those two files from --overwrite.
    """
    assert all("{{ package_path }}" in entry for entry in COPIER_YML["_skip_if_exists"])
    project = tmp_path / "shop"
    inits = {
        "src/shop/__init__.py": b'"""The shop."""\n\nVERSION = "1.4.0"\n',
        "src/shop/utilities/__init__.py": b'"""Helpers."""\n\nHELPERS = ("slugify",)\n',
    }
    write_files(project, {**inits, "src/shop/utilities/session.py": b"OLD = True\n"})

    run_copy(
        str(template_snapshot),
        str(project),
        data={"project_kind": "existing", "package_path": "src/shop"},
        defaults=True,
        overwrite=True,
        quiet=True,
    )

    for name, content in inits.items():
        assert (project / name).read_bytes() == content, name
    module = (project / "src/shop/utilities/session.py").read_text()
    assert "def get_session() -> Session:" in module


def test_an_existing_session_module_stops_the_copy_loudly(
    template_snapshot: Path, tmp_path: Path
) -> None:
    """Without --overwrite and without a terminal, Copier refuses to replace session.py.

    The README's way out then works: move your own module aside and run the same command
    again (files the failed run already wrote are identical, so Copier asks nothing).
    """
    mine = b'"""The shop\'s own session helpers."""\n\nCOOKIE = "shop"\n'
    project = shop(tmp_path / "shop", {"app/utilities/session.py": mine})
    before = project_files(project)
    command = (
        "copy",
        "--defaults",
        "-d",
        "project_kind=existing",
        str(template_snapshot),
        str(project),
    )

    refused = copier(*command, cwd=tmp_path)

    assert refused.returncode != 0
    assert "conflict  app/utilities/session.py" in refused.stderr
    assert "Interactive session required" in refused.stderr
    assert "--overwrite" in refused.stderr
    after = project_files(project)
    assert {name: after[name] for name in before} == before

    git(project, "mv", "app/utilities/session.py", "app/utilities/shop_session.py")
    retried = copier(*command, cwd=tmp_path)

    assert retried.returncode == 0, retried.stderr
    assert (project / "app/utilities/shop_session.py").read_bytes() == mine
    module = (project / "app/utilities/session.py").read_text()
    assert "def get_session() -> Session:" in module
    assert {name: (project / name).read_bytes() for name in SHOP} == SHOP


SHADOW_CHECK = "tests/test_session.py::test_no_utilities_module_hides_behind_the_utilities_package"
HELPERS = b"""\
def slugify(text: str) -> str:
    return text.lower().replace(" ", "-")
"""
HELPERS_TEST = b"""\
from app.utilities import slugify


def test_slugify() -> None:
    assert slugify("Big Shop") == "big-shop"
"""


def run_tests(project: Path, *tests: str) -> subprocess.CompletedProcess[str]:
    return run(
        [tool("pytest"), "-q", "-p", "no:cacheprovider", *tests],
        cwd=project,
        env=tool_env(PYTHONPATH=str(project)),
    )


def test_a_utilities_module_hidden_by_the_new_package_fails_the_generated_tests(
    template_snapshot: Path, tmp_path: Path
) -> None:
    """Copier cannot see app/utilities.py without --trust (`_external_data` reads only
    YAML and breaks on most Python), so the generated tests name it and the fix."""
    host = {
        name: content
        for name, content in SHOP.items()
        if not name.startswith("app/utilities/") and name != "tests/test_other.py"
    }
    files = {**host, "app/utilities.py": HELPERS, "tests/test_helpers.py": HELPERS_TEST}
    project = tmp_path / "shop"
    write_files(project, files)
    commit_all(project, "The shop")

    done = copier(
        "copy",
        "--defaults",
        "-d",
        "project_kind=existing",
        str(template_snapshot),
        str(project),
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    after = project_files(project)
    assert {name: after[name] for name in files} == files
    # As the after-copy message says to run them: only the hidden module's test fails.
    generated = run_tests(project, "tests/test_session.py")
    report = " ".join(generated.stdout.split())
    assert generated.returncode != 0
    assert f"FAILED {SHADOW_CHECK} " in report, report
    assert re.search(r"\b1 failed, \d+ passed\b", report), report
    assert f"{project / 'app/utilities.py'} is hidden by the package" in report, report
    assert f"Move its code into {project / 'app/utilities/__init__.py'}" in report, report
    assert "then delete utilities.py." in report, report
    # The host's own import is what the hidden module breaks.
    host_test = run_tests(project, "tests/test_helpers.py")
    assert "cannot import name 'slugify' from 'app.utilities'" in host_test.stdout

    with (project / "app/utilities/__init__.py").open("ab") as package:
        package.write(HELPERS)
    (project / "app/utilities.py").unlink()

    fixed = run_tests(project, SHADOW_CHECK, "tests/test_helpers.py")
    assert fixed.returncode == 0, fixed.stdout[-3000:] + fixed.stderr[-3000:]
    assert "2 passed" in fixed.stdout
