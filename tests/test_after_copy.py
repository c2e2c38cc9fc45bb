"""The message `copier copy` prints afterwards: where the module went, how to install it,
and (for an existing project) which dependencies to add.

The expectations come from outside the partials that build the message: each
framework's package name on PyPI, and the design's rule that frameworks with a global
request install nothing, Pyramid installs a tween and the rest a SessionCookieMiddleware.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from copier import run_copy

from helpers import COPIER_YML, FRAMEWORKS, SERIALIZERS

# A framework's package on PyPI, where it differs from the answer.
PACKAGE_OF = {"falcon_asgi": "falcon"}
GLOBAL_REQUEST = {"flask", "quart", "bottle"}
DEFAULT_FRAMEWORK = str(COPIER_YML["framework"]["default"])
DEFAULT_SERIALIZER = str(COPIER_YML["serializer"]["default"])
DEPENDENCIES = "Add these dependencies to your project:"


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


def line_after(lines: list[str], heading: str) -> str:
    assert heading in lines, f"no {heading!r} line in:\n" + "\n".join(lines)
    return lines[lines.index(heading) + 1]


def words(text: str) -> str:
    return " ".join(text.split())


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
    lines = [line.strip() for line in message.splitlines()]
    assert "Session module written to app/utilities/session.py (" in message
    assert "tests/test_session.py" in message
    assert "Update later: copier update -a .copier-answers.session.yml" in lines

    installs = [line for line in lines if line.startswith("Installation: ")]
    assert len(installs) == 1, message
    install = installs[0]
    module = (project / "app/utilities/session.py").read_text()
    docstring = module.split('"""', 2)[1]
    assert words(install) in words(docstring), "the module docstring says otherwise"
    if framework in GLOBAL_REQUEST:
        assert "SessionCookieMiddleware" not in install
    elif framework == "pyramid":
        assert "tween" in install.lower()
    else:
        assert "SessionCookieMiddleware" in install

    if answers["project_kind"] == "existing":
        runtime = line_after(lines, DEPENDENCIES)
        assert requirement(package, runtime), runtime
        for other in SERIALIZERS:
            if other != DEFAULT_SERIALIZER:
                assert requirement(other, runtime) == (other == serializer), runtime
        assert requirement("cryptography", runtime) == bool(answers.get("encrypt")), runtime
        assert requirement("pytest", line_after(lines, "and, for the tests:"))
        assert "Run the tests: pytest tests/test_session.py" in lines
    else:
        assert DEPENDENCIES not in message
        pyproject = (project / "pyproject.toml").read_text()
        assert re.search(rf'^    "{re.escape(package)}[\[<>=!~"]', pyproject, re.MULTILINE)
        assert "Run the tests: uv run pytest" in lines
