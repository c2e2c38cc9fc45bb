"""A person answering every question of the real `copier copy` in a terminal.

pexpect drives Copier in a pseudo-terminal: arrow keys choose the framework, the
serializer and SameSite (the number of Down presses comes from the choice order in
copier.yml), a bad package_path is typed first and corrected after the validator's
message shows, and then the generated project's own tests run.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml
from copier import run_copy

from helpers import COPIER_YML, ROOT, choices, run, tool
from lifecycle import ANSWERS_FILE, plain, tool_env

CLEAR, ENTER, DOWN = "\x15", "\r", "\x1b[B"
# Not the defaults, and both with partials of their own: an ASGI middleware framework
# and a binary serializer that is a third-party package.
FRAMEWORK, SERIALIZER = "starlette", "msgpack"
BAD_PACKAGE, PACKAGE = "my-app", "src/shop"
TYPED = {
    "cookie_name": "__Host-shop",
    "max_age": "3600",
    "session_fields": "{cart_id: str, visits: int | None}",
}
EXPECTED = {
    "framework": FRAMEWORK,
    "serializer": SERIALIZER,
    "encrypt": False,
    "project_kind": "new",
    "package_path": PACKAGE,
    "tests_path": "tests",
    "cookie_name": "__Host-shop",
    "secure": True,
    "same_site": "Strict",
    "cookie_domain": "",
    "max_age": 3600,
    "session_fields": {"cart_id": "str", "visits": "int | None"},
}


def choose(question: str, value: str) -> str:
    """The keys that move a select question from its default to value, then Enter."""
    values = choices(question)
    default = COPIER_YML[question]["default"]
    assert value in values and value != default, (question, value, values)
    return DOWN * ((values.index(value) - values.index(default)) % len(values)) + ENTER


def asked() -> list[tuple[str, dict[str, Any]]]:
    """The questions Copier asks, in copier.yml's order."""
    return [
        (name, spec)
        for name, spec in COPIER_YML.items()
        if not name.startswith("_") and spec.get("when") is not False
    ]


def keys_for(question: str) -> str:
    if question in {"framework", "serializer"}:
        return choose(question, str(EXPECTED[question]))
    if question == "same_site":
        return choose(question, "Strict")
    if question in TYPED:
        return CLEAR + TYPED[question] + ENTER
    return ENTER  # keep the default (a bool's default, too)


def refusal_of(template: Path, destination: Path, data: dict[str, str]) -> str:
    """The message Copier's validator gives for these answers."""
    with pytest.raises(ValueError) as refused:
        run_copy(str(template), str(destination), data=data, defaults=True, quiet=True)
    return str(refused.value)


def test_interactive_copy_with_arrow_keys_and_a_corrected_answer(
    template_snapshot: Path, tmp_path: Path
) -> None:
    for kind, name in [
        ("frameworks", FRAMEWORK),
        ("tests", FRAMEWORK),
        ("serializers", SERIALIZER),
    ]:
        partial = ROOT / "template" / "_partials" / kind / f"{name}.jinja"
        assert partial.is_file(), f"{partial.relative_to(ROOT)} is missing"
    refusal = refusal_of(template_snapshot, tmp_path / "refused", {"package_path": BAD_PACKAGE})
    assert f"'{BAD_PACKAGE}'" in refusal
    project = tmp_path / "shop"
    child = pexpect.spawn(
        tool("copier"),
        ["copy", str(template_snapshot), str(project)],
        cwd=str(tmp_path),
        env={**os.environ, **tool_env(PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm")},
        encoding="utf-8",
        codec_errors="replace",
        dimensions=(50, 300),
        timeout=120,
    )
    screen = io.StringIO()
    child.logfile_read = screen
    try:
        for question, spec in asked():
            child.expect_exact(spec["help"][:40])
            if question == "package_path":
                child.send(CLEAR + BAD_PACKAGE + ENTER)
                child.expect_exact(refusal)
                child.send(CLEAR + PACKAGE + ENTER)
            else:
                child.send(keys_for(question))
        child.expect(pexpect.EOF, timeout=300)
    except pexpect.ExceptionPexpect as error:
        raise AssertionError(f"{error}\n--- terminal ---\n{plain(screen.getvalue())}") from None
    finally:
        child.close()
    output = plain(screen.getvalue())
    assert child.exitstatus == 0, output

    answers = yaml.safe_load((project / ANSWERS_FILE).read_text())
    assert {key: answers[key] for key in EXPECTED} == EXPECTED
    assert re.search(r"Session module written to src/shop/utilities/session\.py \(", output)

    tested = run(
        [tool("pytest"), "-q", "-p", "no:cacheprovider", "tests/test_session.py"],
        cwd=project,
        env=tool_env(PYTHONPATH=str(project / "src")),
    )
    summary = tested.stdout[-3000:] + tested.stderr[-3000:]
    assert tested.returncode == 0, summary
    assert re.search(r"\b\d+ passed\b", tested.stdout), summary
    assert "skipped" not in tested.stdout and "failed" not in tested.stdout, summary
