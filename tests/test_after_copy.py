"""The message `copier copy` prints afterwards: where the module went, the Python it
needs, how to install it, the secret it needs and how to make one, (for an existing
project) which dependencies to add, and how to update, on lines of at most 80 columns.

The expectations come from outside the partials that build the message: each
framework's package name on PyPI, the design's rule that frameworks with a global
request install nothing, Pyramid installs a tween and the rest a SessionCookieMiddleware,
the rendered module's own secret rules, and the README's Copier command.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from copier import run_copy

from helpers import BIN, COPIER_YML, FRAMEWORKS, ROOT, SERIALIZERS, only_plugins, plugins_of, run
from lifecycle import ANSWERS_FILE, GIT_ENV, commit_all, copier, release, template_repository

# A framework's package on PyPI, where it differs from the answer.
PACKAGE_OF = {"falcon_asgi": "falcon"}
GLOBAL_REQUEST = {"flask", "quart", "bottle"}
DEFAULT_FRAMEWORK = str(COPIER_YML["framework"]["default"])
DEFAULT_SERIALIZER = str(COPIER_YML["serializer"]["default"])
DEPENDENCIES = "Add these dependencies to your project:"
# The oldest Python the generated module and its tests support.
PYTHON_FLOOR = "3.10"
# The first line of the session module, changed by the release an update brings.
HEADER = "# From the copier-session template: yours to use, change and share on your own terms."
UPDATE_HEADING = "Update later, with everything committed (--defaults keeps your answers):"
SYSTEM_PATH = "/usr/bin:/bin"
"""A shell's PATH with nothing but the system's programs."""


def cases() -> list[Any]:
    params = [
        pytest.param(
            {"framework": framework, "project_kind": "existing"}, id=f"{framework}-existing"
        )
        for framework in FRAMEWORKS
    ]
    params.append(pytest.param({"project_kind": "new"}, id=f"{DEFAULT_FRAMEWORK}-new"))
    params += [
        pytest.param(
            {"serializer": serializer, "project_kind": "existing"}, id=f"{serializer}-existing"
        )
        for serializer in SERIALIZERS
        if serializer != DEFAULT_SERIALIZER
    ]
    params.append(
        pytest.param({"encrypt": True, "project_kind": "existing"}, id="encrypted-existing")
    )
    return params


def requirement(package: str, line: str) -> bool:
    """Whether a space-separated line of requirements names package."""
    return any(
        re.fullmatch(rf"{re.escape(package)}(\[[^\]]*\])?([<>=!~;].*)?", item, re.IGNORECASE)
        for item in line.split()
    )


def entries(message: str) -> list[str]:
    """The message's lines, each joined with the indented lines that continue it."""
    found: list[str] = []
    for line in message.strip("\n").splitlines():
        if line.startswith(" ") and found:
            found[-1] += " " + line.strip()
        else:
            found.append(line.strip())
    return found


def entry(message: str, start: str) -> str:
    """The one entry of the message that starts with start, without start."""
    matching = [text for text in entries(message) if text.startswith(start)]
    assert len(matching) == 1, f"not one entry starting with {start!r} in:\n{message}"
    return matching[0][len(start) :].strip()


def words(text: str) -> str:
    return " ".join(text.split())


def readme_copier() -> str:
    """The Copier command the README runs, with its pinned version: uvx copier@X."""
    pinned: set[str] = set(re.findall(r"uvx copier@[0-9.]+", (ROOT / "README.md").read_text()))
    assert len(pinned) == 1, f"the README pins Copier in more than one way: {pinned}"
    return pinned.pop()


def module_constant(module: str, name: str) -> str:
    found = re.search(rf"^{name}: Final = (.+)$", module, re.MULTILINE)
    assert found, f"{name} is not in the module"
    return str(found.group(1))


@pytest.mark.parametrize("answers", cases())
def test_after_copy_message_names_installation_and_dependencies(
    answers: dict[str, Any],
    template_snapshot: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    framework = str(answers.get("framework", DEFAULT_FRAMEWORK))
    serializer = str(answers.get("serializer", DEFAULT_SERIALIZER))
    package = PACKAGE_OF.get(framework, framework)
    project = tmp_path / "project"
    capsys.readouterr()

    run_copy(str(template_snapshot), str(project), data=answers, defaults=True)

    message = capsys.readouterr().err
    wide = [line for line in message.splitlines() if len(line) > 80]
    assert wide == [], "lines wider than 80 columns"
    written = entry(message, "Session module written to app/utilities/session.py (")
    assert written.endswith("with its tests in tests/test_session.py."), written
    assert entry(message, "Python:") == f"{PYTHON_FLOOR} or later, for the module and its tests."
    update = entry(message, UPDATE_HEADING)
    assert update == f"{readme_copier()} update --defaults -a {ANSWERS_FILE}"

    install = entry(message, "Installation:")
    module = (project / "app/utilities/session.py").read_text()
    docstring = module.split('"""', 2)[1]
    assert words(install) in words(docstring), "the module docstring says otherwise"
    secrets_entry = entry(message, "Secrets:")
    assert f"at least {module_constant(module, 'MIN_SECRET_BYTES')} bytes" in secrets_entry
    # The command on the line of its own is the one the module's errors name.
    command = secrets_entry.split(" make one with: ", 1)[1]
    assert f'"{command}"' in module, command
    if framework in GLOBAL_REQUEST:
        assert "SessionCookieMiddleware" not in install
    elif framework == "pyramid":
        assert "tween" in install.lower()
    else:
        assert "SessionCookieMiddleware" in install

    if answers["project_kind"] == "existing":
        runtime = entry(message, DEPENDENCIES)
        assert requirement(package, runtime), runtime
        for other in SERIALIZERS:
            if other != DEFAULT_SERIALIZER:
                assert requirement(other, runtime) == (other == serializer), runtime
        assert requirement("cryptography", runtime) == bool(answers.get("encrypt")), runtime
        assert requirement("pytest", entry(message, "and, for the tests:"))
        printed = entry(message, "Run the tests:")
        assert printed == "PYTHONPATH=. pytest tests/test_session.py"
        # as printed, in a project of no pytest settings: one test shows that the module imports
        selected = f"{printed} -q -p no:cacheprovider -k test_default_client_keeps_the_session"
        plugins = only_plugins(plugins_of([framework]))
        tested = run(
            ["bash", "-c", selected],
            cwd=project,
            env={"PATH": f"{BIN}:{os.environ['PATH']}", **plugins},
        )
        assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]
        hidden = entry(message, "A module app/utilities.py, if you have one,")
        assert "move its code into app/utilities/__init__.py" in hidden, hidden
    else:
        assert DEPENDENCIES not in message
        assert "utilities.py" not in message
        pyproject = (project / "pyproject.toml").read_text()
        assert re.search(rf'^    "{re.escape(package)}[\[<>=!~"]', pyproject, re.MULTILINE)
        assert f'requires-python = ">={PYTHON_FLOOR}"' in pyproject
        assert f"\n{update}\n" in (project / "README.md").read_text()
        assert entry(message, "Run the tests:") == "uv run pytest"


def test_the_printed_secret_command_makes_a_secret_long_enough(
    template_snapshot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    capsys.readouterr()
    run_copy(str(template_snapshot), str(project), defaults=True)
    message = capsys.readouterr().err
    command = message.split("make one with:\n", 1)[1].splitlines()[0].strip()
    module = (project / "app/utilities/session.py").read_text()

    # in a shell as Debian gives it a new user: the system's python3, and no python at all
    made = run(["bash", "-c", command], cwd=project, env={"PATH": SYSTEM_PATH})

    assert made.returncode == 0, made.stderr
    secret = made.stdout.removesuffix("\n")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", secret), secret
    assert len(secret.encode()) >= int(module_constant(module, "MIN_SECRET_BYTES"))


def test_the_printed_update_command_runs_as_printed(tmp_path: Path) -> None:
    """Run word for word in a project copied from a release, it brings the next release:
    with uv's uvx, as the README runs Copier, not a copier command the user may lack."""
    assert shutil.which("uvx"), "uvx (part of uv) is not on PATH: the printed command needs it"
    template = template_repository(tmp_path / "copier-session", "v0.1.0")
    project = tmp_path / "shop"
    copied = copier("copy", "--defaults", str(template), str(project), cwd=tmp_path)
    assert copied.returncode == 0, copied.stderr
    command = entry(copied.stderr, UPDATE_HEADING)
    commit_all(project, "Generate the session module")
    release(template, "v0.2.0", HEADER, HEADER + " Released as v0.2.0.")

    updated = run(["bash", "-c", command], cwd=project, env=GIT_ENV)

    assert updated.returncode == 0, updated.stderr
    assert "Updating to template version 0.2.0" in updated.stderr
    module = (project / "app/utilities/session.py").read_text()
    assert module.startswith(HEADER + " Released as v0.2.0.\n")
    assert "_commit: v0.2.0" in (project / ANSWERS_FILE).read_text().splitlines()
