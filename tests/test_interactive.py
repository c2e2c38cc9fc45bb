"""A person answering every question of the real `copier copy` in an 80 x 24 terminal.

pexpect drives Copier in a pseudo-terminal of exactly 80 columns and 24 rows, and pyte
keeps the screen as the person sees it. Arrow keys choose (the number of Down presses
comes from the choice order in copier.yml), y/n answer the yes/no questions, and at
each typed question the wrong answers of refusals.py whose earlier answers match this
session are typed first: each must show its refusal's first line, whole, as one row of
the screen. Then the good answer goes in, and the cookie the project ends up with must
be one browsers keep.

Three sessions cover the cross-checks: secure on and no domain (the demo, whose own
tests then run), secure off, and a Domain.
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pexpect
import pyte
import pytest
import yaml

from helpers import COPIER_YML, JINJA, choices, run, tool
from lifecycle import ANSWERS_FILE, plain, tool_env
from refusals import REFUSALS, WIDTH, Refusal

ROWS = 24
CLEAR, ENTER, DOWN = "\x15", "\r", "\x1b[B"
QUESTION_MARK = "🎤 "
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
INVALID_YAML = "Invalid input"


def asked(answers: Mapping[str, object] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The questions Copier asks, in copier.yml's order; given the answers, only those
    whose `when` holds for them, with their help rendered as the terminal shows it."""
    questions = []
    for name, spec in COPIER_YML.items():
        when = spec.get("when", True) if not name.startswith("_") else False
        if answers is not None and isinstance(when, str):
            when = rendered(when, answers) == "True"
            spec = {**spec, "help": rendered(spec["help"], answers)}
        if when is not False:
            questions.append((name, spec))
    return questions


def rendered(text: str, answers: Mapping[str, object]) -> str:
    """A question's templated text, as Copier renders it with these answers."""
    return JINJA.from_string(text).render(answers)


def choose(question: str, value: str) -> str:
    """The keys that move a select question from its default to value, then Enter."""
    values = choices(question)
    default = COPIER_YML[question]["default"]
    assert value in values, (question, value, values)
    return DOWN * ((values.index(value) - values.index(default)) % len(values)) + ENTER


class Terminal:
    """Copier in a pseudo-terminal, with the screen a person would see."""

    def __init__(self, template: Path, project: Path) -> None:
        self.screen = pyte.Screen(WIDTH, ROWS)
        self.stream = pyte.Stream(self.screen)
        self.output = io.StringIO()
        self.child = pexpect.spawn(
            tool("copier"),
            ["copy", str(template), str(project)],
            cwd=str(project.parent),
            env={**os.environ, **tool_env(PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm")},
            encoding="utf-8",
            codec_errors="replace",
            dimensions=(ROWS, WIDTH),
            timeout=60,
        )

    @property
    def rows(self) -> list[str]:
        return [row.rstrip() for row in self.screen.display]

    def shown(self) -> str:
        return "\n".join(f"{number:2}|{row}" for number, row in enumerate(self.rows))

    def wait(self, what: str, seen: Callable[[list[str]], bool], timeout: float = 60) -> None:
        """Read the terminal until seen(rows) holds; fail showing the screen if it never does."""
        deadline = time.monotonic() + timeout
        while not seen(self.rows):
            if time.monotonic() > deadline or not self.child.isalive():
                raise AssertionError(f"never saw {what}; the screen:\n{self.shown()}")
            try:
                text = self.child.read_nonblocking(65536, timeout=0.05)
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                break
            self.output.write(text)
            self.stream.feed(text)

    def wait_for_row(self, row: str) -> None:
        self.wait(repr(row), lambda rows: row in rows)

    def wait_for_question(self, help_text: str) -> None:
        """The question's help, each of its lines whole on a row of its own."""
        first, *rest = help_text.split("\n")
        lines = [QUESTION_MARK + first, *rest]

        def seen(rows: list[str]) -> bool:
            return any(rows[start : start + len(lines)] == lines for start in range(len(rows)))

        self.wait(f"the question {first!r}", seen)

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def finish(self) -> int:
        """Wait for Copier to end; its exit status."""
        try:
            self.child.expect(pexpect.EOF, timeout=300)
        finally:
            self.output.write(self.child.before or "")
            self.child.close()
        status = self.child.exitstatus
        assert status is not None
        return status


@dataclass
class Session:
    """The answers one person gives; cookie_name None keeps the default Copier offers.

    Each session types the refusals that depend on its earlier answers; the one with
    every_refusal also types those that depend on none.
    """

    id: str
    answers: dict[str, Any]
    cookie_name: str | None = None
    default_cookie_name: str = ""
    typed_too: dict[str, list[str]] = field(default_factory=dict)
    every_refusal: bool = False

    def holds(self, context: Mapping[str, str]) -> bool:
        """Whether these answers are the earlier answers a refusal depends on."""
        return all(str(self.answers[key]).lower() == value for key, value in context.items())

    def refusals(self, question: str) -> list[Refusal]:
        """The refusals that can be typed at this question in this session."""
        return [
            refusal
            for refusal in REFUSALS
            if refusal.question == question
            and not refusal.choice
            and not CONTROL.search(refusal.typed)
            and self.holds(refusal.context)
            and (self.every_refusal or bool(refusal.context))
        ]


def answer(terminal: Terminal, session: Session, question: str) -> list[Refusal]:
    """Answer one question, after typing its refusals; the refusals seen on screen."""
    spec = COPIER_YML[question]
    value = session.answers.get(question)
    if spec["type"] == "bool":
        terminal.send("y" if value else "n")
        return []
    if "choices" in spec:
        terminal.send(choose(question, str(value)))
        return []
    seen = []
    for refusal in session.refusals(question):
        terminal.send(CLEAR + refusal.typed + ENTER)
        terminal.wait_for_row(refusal.row)
        seen.append(refusal)
    for typed in session.typed_too.get(question, []):
        terminal.send(CLEAR + typed + ENTER)
        terminal.wait_for_row(INVALID_YAML)
    if question == "cookie_name" and session.cookie_name is None:
        terminal.send(CLEAR + session.default_cookie_name + ENTER)
    else:
        terminal.send(CLEAR + str(value) + ENTER)
    return seen


def cookie_of(project: Path, package_path: str) -> tuple[str, str]:
    """The generated module's cookie name and the attributes it sends the cookie with."""
    module = (project / package_path / "utilities/session.py").read_text()
    name = re.search(r'^COOKIE_NAME: Final = "(.*)"$', module, re.MULTILINE)
    attributes = re.search(r"^_COOKIE_ATTRIBUTES: Final = (\(.*?\)|\".*?\")$", module, re.M | re.S)
    assert name is not None and attributes is not None
    return name[1], "".join(re.findall(r'"(.*?)"', attributes[1]))


def browser_refusal(name: str, attributes: str) -> str:
    """Why browsers drop a cookie of this name with these attributes, or ''."""
    secure = "; Secure" in attributes
    if name.lower().startswith("__host-") and (not secure or "; Domain=" in attributes):
        return "__Host- needs Secure and no Domain"
    if name.lower().startswith("__secure-") and not secure:
        return "__Secure- needs Secure"
    if "SameSite=None" in attributes and not secure:
        return "SameSite=None needs Secure"
    return ""


def test_browser_rules_as_written_here_refuse_what_browsers_refuse() -> None:
    assert browser_refusal("__host-x", "; Path=/; HttpOnly; SameSite=Lax")
    assert browser_refusal("__Host-x", "; Path=/; Domain=a.com; HttpOnly; Secure; SameSite=Lax")
    assert browser_refusal("__SECURE-x", "; Path=/; HttpOnly; SameSite=Lax")
    assert browser_refusal("x", "; Path=/; HttpOnly; SameSite=None")
    assert not browser_refusal("__Host-x", "; Path=/; HttpOnly; Secure; SameSite=None")
    assert not browser_refusal("x", "; Path=/; Domain=a.com; HttpOnly; SameSite=Lax")


BASE = {
    "serializer": "json",
    "encrypt": False,
    "project_kind": "existing",
    "package_path": "src/shop",
    "import_path": "shop",
    "tests_path": "tests",
    "secure": True,
    "same_site": "Lax",
    "cookie_domain": "",
    "max_age": "14d",
    "renewal": "on_write",
    "absolute_max_age": 2592000,
    "session_fields": "{cart_id: str, user_id: 'int | None', tags: 'list[str]'}",
    "previous_cookies": "[]",
}
SESSIONS = [
    # Not the defaults, and both with partials of their own: an ASGI middleware
    # framework and a binary serializer that is a third-party package.
    Session(
        "secure-host-only-demo",
        {
            **BASE,
            "framework": "starlette",
            "serializer": "msgpack",
            "project_kind": "new",
            "same_site": "Strict",
            "max_age": "3600",
            "session_fields": "{cart_id: str, visits: int | None}",
        },
        default_cookie_name="__Host-app_session",
        every_refusal=True,
    ),
    Session(
        "secure-off",
        {**BASE, "framework": "django", "secure": False, "same_site": "None"},
        default_cookie_name="app_session",
        typed_too={"session_fields": ["{cart_id: str, tags: list[str]}"]},
    ),
    Session(
        "with-domain",
        {
            **BASE,
            "framework": "flask",
            "encrypt": True,
            "cookie_domain": "example.com",
            "max_age": "400d",
            "absolute_max_age": 0,
            "migrate_from_native": True,
            "previous_cookies": "[{encrypt: false}]",
        },
        default_cookie_name="app_session",
    ),
]


def disabled_row(refusal: Refusal) -> str:
    """How the terminal lists a choice its validator disables: with the reason."""
    labels = COPIER_YML[refusal.question]["choices"]
    label = next(
        label
        for label, value in labels.items()
        if isinstance(value, Mapping) and value["value"] == refusal.typed
    )
    row = f"   - {label} ({refusal.message})"
    assert len(row) <= WIDTH, row
    return row


DISABLED_NONE = next(r for r in REFUSALS if r.question == "same_site" and r.choice)
BROWSER_REJECTED = {
    "__Host- without Secure": "cookie_name-host",
    "__Secure- without Secure": "cookie_name-secure",
    "__Host- with a Domain": "cookie_name-host-with-domain",
    "SameSite=None without Secure": "same_site-none-without-secure",
}


def run_session(session: Session, template: Path, project: Path) -> tuple[list[Refusal], str]:
    """Answer every question as the session says; the refusals seen, and the output."""
    terminal = Terminal(template, project)
    seen: list[Refusal] = []
    try:
        for question, spec in asked(session.answers):
            terminal.wait_for_question(spec["help"])
            if question == "same_site" and not session.answers["secure"]:
                terminal.wait_for_row(disabled_row(DISABLED_NONE))
                seen.append(DISABLED_NONE)
            seen += answer(terminal, session, question)
        status = terminal.finish()
    except (AssertionError, pexpect.ExceptionPexpect) as error:
        terminal.child.close(force=True)
        raise AssertionError(f"{session.id}: {error}") from None
    output = plain(terminal.output.getvalue())
    assert status == 0, output[-3000:]
    return seen, output


@pytest.mark.parametrize("session", [pytest.param(s, id=s.id) for s in SESSIONS])
def test_terminal_answers_with_refusals_on_screen_and_a_cookie_browsers_keep(
    session: Session, template_snapshot: Path, tmp_path: Path
) -> None:
    project = tmp_path / "shop"
    seen, output = run_session(session, template_snapshot, project)

    answers = yaml.safe_load((project / ANSWERS_FILE).read_text())
    expected = {
        **session.answers,
        "cookie_name": session.cookie_name or session.default_cookie_name,
        "session_fields": yaml.safe_load(session.answers["session_fields"]),
        "previous_cookies": yaml.safe_load(session.answers["previous_cookies"]),
    }
    if not session.answers["secure"]:
        # Down as often as None is below the default, then Enter: None is skipped.
        expected["same_site"] = COPIER_YML["same_site"]["default"]
    assert {key: answers[key] for key in expected} == expected
    name, attributes = cookie_of(project, session.answers["package_path"])
    assert name == expected["cookie_name"]
    assert browser_refusal(name, attributes) == "", (name, attributes)
    assert "Session module written to src/shop/utilities/session.py (" in output

    checked = {refusal.question for refusal in seen}
    assert checked, "no refusal was typed"
    if session.id == "secure-host-only-demo":
        tested = run(
            [tool("pytest"), "-q", "-p", "no:cacheprovider", "tests/test_session.py"],
            cwd=project,
            env=tool_env(PYTHONPATH=str(project / "src")),
        )
        summary = tested.stdout[-3000:] + tested.stderr[-3000:]
        assert tested.returncode == 0, summary
        assert re.search(r"\b\d+ passed\b", tested.stdout), summary
        assert "skipped" not in tested.stdout and "failed" not in tested.stdout, summary


def test_sessions_type_a_refusal_of_every_validator_and_every_browser_rule() -> None:
    """What the sessions above check on screen: at least one refusal of each validator,
    each kind of cookie browsers reject, and every refusal that needs no control
    character and whose earlier answers one of the sessions gives."""
    covered = {
        refusal.id
        for session in SESSIONS
        for question, _ in asked()
        for refusal in session.refusals(question)
    }
    covered |= {r.id for r in REFUSALS if r.choice and not SESSIONS[1].answers["secure"]}
    # a yes/no question's validator runs only on -d answers (test_validators.py)
    validated = {name for name, spec in asked() if "validator" in spec and spec["type"] != "bool"}
    assert validated <= {r.question for r in REFUSALS if r.id in covered}
    for rule, prefix in BROWSER_REJECTED.items():
        assert any(refusal_id.startswith(prefix) for refusal_id in covered), rule
    typeable = {r.id for r in REFUSALS if not CONTROL.search(r.typed)}
    left = {r.id for r in REFUSALS if r.id in typeable - covered and "framework" not in r.context}
    assert not left, left
