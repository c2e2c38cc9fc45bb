"""Every kind of bad answer is refused with a message that says what is allowed.

Answers go in as Copier's `-d key=value` data (validators run on data), through the
API for speed and through the CLI for the exit code and stderr a user sees. The
refusals and their messages are in refusals.py, shared with the terminal tests.

Most tests copy from `questions`: copier.yml's questions with only the answers file to
render, so they check the questionnaire alone, fast, whatever state the partials are in.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from copier import run_copy

from helpers import COPIER_YML, FRAMEWORKS, JINJA, ROOT, choices
from lifecycle import ANSWERS_FILE, copier
from refusals import LONG_DOMAIN, REFUSALS, WIDTH, Refusal


@pytest.fixture(scope="session")
def questions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """copier.yml's settings and questions (and the partials validators import),
    rendering only the answers file."""
    template = tmp_path_factory.mktemp("questions")
    settings = {key: value for key, value in COPIER_YML.items() if not key.startswith("_message")}
    (template / "copier.yml").write_text(yaml.safe_dump(settings, sort_keys=False))
    answers = ROOT / "template" / "{{ _copier_conf.answers_file }}.jinja"
    (template / "template").mkdir()
    shutil.copy2(answers, template / "template" / answers.name)
    shutil.copytree(ROOT / "template" / "_partials", template / "template" / "_partials")
    return template


def copy(template: Path, destination: Path, data: dict[str, Any], pretend: bool = False) -> None:
    """Copy through the API as `copier copy --defaults -d key=value ...` does."""
    run_copy(str(template), str(destination), data=data, defaults=True, quiet=True, pretend=pretend)


@pytest.mark.parametrize("refusal", [pytest.param(r, id=r.id) for r in REFUSALS])
def test_bad_answer_is_refused_with_its_message(
    refusal: Refusal, questions: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError) as refused:
        copy(questions, destination, refusal.data)
    assert str(refused.value) == refusal.error
    assert not destination.exists()


# How a refusal shows an answer: quoted text, JSON-escaped text, a YAML list or
# mapping, or a number; shortened with an ellipsis before its closing quote or bracket.
SHOWN = r"""'[^\n]*'|"(?:[^"\\]|\\.)*"|\[[^\n]*\]|\{\}|-?\d+"""


@pytest.mark.parametrize("refusal", [pytest.param(r, id=r.id) for r in REFUSALS])
def test_refusal_fits_one_terminal_row_and_shows_the_answer(refusal: Refusal) -> None:
    """The first line names the question (Copier's own words), says what is allowed and
    shows the answer (or the part of it that is wrong), within the 80 columns a terminal
    gives it: anything past them is cut."""
    assert len(refusal.row) <= WIDTH, refusal.row
    assert f"'{refusal.question}': " in refusal.row
    if refusal.choice:
        assert refusal.typed in refusal.row
        return
    found = re.fullmatch(rf".*?(?:not|:) (?P<shown>{SHOWN})", refusal.message) or re.fullmatch(
        rf"(?P<shown>{SHOWN}) .*", refusal.message
    )
    assert found is not None, refusal.message
    shown = found["shown"]
    shortened = shown[-2:-1] == "…"
    core = shown[1 : -2 if shortened else -1] if shown[0] in "'\"" else shown.rstrip("…]")
    forms = [refusal.typed, json.dumps(refusal.typed)[1:-1]]
    if refusal.question == "session_fields":
        forms.append(str(yaml.safe_load(refusal.typed)))
    assert any(core in form for form in forms), (shown, refusal.typed)


def test_every_refusal_has_its_own_row() -> None:
    """No two refusals show the same row, so a test reading the row on screen cannot
    take one refusal's message for the one before it."""
    rows = [refusal.row for refusal in REFUSALS]
    assert len(set(rows)) == len(rows)
    ids = [refusal.id for refusal in REFUSALS]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        pytest.param({}, "__Host-app_session", id="secure-host-only"),
        pytest.param({"secure": "false"}, "app_session", id="not-secure"),
        pytest.param({"cookie_domain": "example.com"}, "app_session", id="with-domain"),
    ],
)
def test_default_cookie_name_is_host_prefixed_wherever_browsers_allow_it(
    data: dict[str, str], name: str, questions: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    copy(questions, project, data)
    assert yaml.safe_load((project / ANSWERS_FILE).read_text())["cookie_name"] == name


@pytest.mark.parametrize(
    "refusal",
    [pytest.param(r, id=r.id) for r in REFUSALS if r.id == "package_path-dotdot"],
)
def test_cli_exits_non_zero_with_the_message_on_stderr(
    refusal: Refusal, template_snapshot: Path, tmp_path: Path
) -> None:
    data = [arg for key, value in refusal.data.items() for arg in ("-d", f"{key}={value}")]
    done = copier("copy", "--defaults", *data, str(template_snapshot), "project", cwd=tmp_path)
    assert done.returncode != 0
    assert refusal.error in done.stderr
    assert not (tmp_path / "project").exists()


def asked() -> dict[str, dict[str, Any]]:
    """The questions Copier asks (derived values are not asked)."""
    return {
        name: spec
        for name, spec in COPIER_YML.items()
        if not name.startswith("_") and spec.get("when") is not False
    }


def test_every_question_that_can_be_wrong_has_a_validator_and_a_refusal_here() -> None:
    questions = asked()
    free_form = {name for name, spec in questions.items() if spec["type"] in {"str", "yaml"}}
    free_form -= {name for name, spec in questions.items() if "choices" in spec}
    validated = {name for name, spec in questions.items() if "validator" in spec}
    disabling = {
        name
        for name, spec in questions.items()
        if any(isinstance(choice, dict) for choice in dict(spec.get("choices", {})).values())
    }
    assert free_form <= validated
    assert validated | disabling == {refusal.question for refusal in REFUSALS}


def test_no_choice_or_yes_no_question_has_a_validator_a_terminal_skips() -> None:
    """Copier runs a question's validator only for typed answers: on a yes/no or an
    arrow-key choice it never runs in a terminal, so a check there would hold only for
    `-d`. Cross-checks live on the typed question asked after what they depend on, or
    on a choice of their own, which the terminal then shows disabled. A yes/no question
    asked only after some answers (its `when` is a condition) may refuse a `-d` answer
    given where it is not asked: no terminal ever shows it there."""
    for name, spec in asked().items():
        conditional = isinstance(spec.get("when"), str)
        if (spec["type"] == "bool" and not conditional) or "choices" in spec:
            assert "validator" not in spec, name


def test_every_help_fits_the_terminal() -> None:
    """Copier shows a help line on one row, after the 3 columns of its prompt mark, and
    cuts it at column 80; lines after the first show as written."""
    for name, spec in asked().items():
        first, *rest = spec["help"].split("\n")
        assert len(first) <= WIDTH - 3, (name, first)
        assert all(len(line) <= WIDTH for line in rest), (name, rest)


@pytest.mark.parametrize(
    "refusal",
    [pytest.param(r, id=r.id) for r in REFUSALS if r.context],
)
def test_cross_check_accepts_the_same_answer_without_what_makes_it_wrong(
    refusal: Refusal, questions: Path, tmp_path: Path
) -> None:
    """A refusal that depends on earlier answers refuses that combination only."""
    fine = {
        # one that has no cookie of its own to clash with, or one that migrates
        "framework": "flask" if refusal.question == "migrate_from_native" else "bottle",
        "package_path": "foo",
        "secure": "true",
        "cookie_domain": "",
        "max_age": "1",
        "serializer": "json",  # previous_cookies lists another
        "encrypt": "false",
    }
    copy(
        questions,
        tmp_path / "project",
        {refusal.question: refusal.typed} | {key: fine[key] for key in refusal.context},
    )


def test_every_default_passes_its_own_validator(questions: Path, tmp_path: Path) -> None:
    """Copy with --defaults, then give every recorded default back as data: validated.

    (Copier does not validate defaults under --defaults, so a bad computed default would
    otherwise go unnoticed until someone answers interactively.)
    """
    first = tmp_path / "defaults"
    copy(questions, first, {"framework": "flask"})  # a framework asked every question
    recorded: dict[str, Any] = yaml.safe_load((first / ANSWERS_FILE).read_text())
    answers = {key: value for key, value in recorded.items() if not key.startswith("_")}
    assert set(answers) == set(asked())

    copy(questions, tmp_path / "again", answers, pretend=True)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_copy_with_defaults_succeeds_for_every_framework(
    framework: str, template_snapshot: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    copy(template_snapshot, project, {"framework": framework}, pretend=True)
    assert not project.exists()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"absolute_max_age": "0"}, id="no-absolute-limit"),
        pytest.param({"absolute_max_age": "1209600"}, id="absolute-limit-equal-to-max-age"),
        pytest.param({"renewal": "on_write"}, id="renewal-on-write"),
        pytest.param({"package_path": "src/app"}, id="src-layout"),
        pytest.param({"package_path": "src/shop"}, id="src-shop"),
        pytest.param({"package_path": "lib/shop_2/web"}, id="deep-package"),
        pytest.param({"package_path": "src/match/type"}, id="soft-keyword-folders"),
        pytest.param({"cookie_name": "__Host-app_session"}, id="host-prefix-secure"),
        pytest.param({"cookie_name": "__Host-sid", "same_site": "Strict"}, id="host-prefix"),
        pytest.param({"cookie_name": "__Secure-sid", "same_site": "None"}, id="secure-prefix"),
        pytest.param(
            {"cookie_name": "__Secure-sid", "cookie_domain": "example.com"},
            id="secure-prefix-with-domain",
        ),
        pytest.param({"cookie_name": "sid!#$%&'*+-.^_`|~9"}, id="every-token-symbol"),
        pytest.param({"cookie_name": "__Hostess"}, id="not-quite-a-prefix"),
        pytest.param({"framework": "django", "cookie_name": "session"}, id="django-session"),
        pytest.param({"framework": "flask", "cookie_name": "sessionid"}, id="flask-sessionid"),
        pytest.param({"framework": "bottle", "cookie_name": "session"}, id="bottle-session"),
        pytest.param({"cookie_domain": "example.com"}, id="domain"),
        pytest.param({"secure": "false", "cookie_domain": ".example.com"}, id="dotted-domain"),
        pytest.param({"cookie_domain": "shop.example.co.uk"}, id="deep-domain"),
        pytest.param({"cookie_domain": "xn--bcher-kva.example"}, id="punycode-domain"),
        pytest.param({"cookie_domain": "10.example.com"}, id="digit-label-domain"),
        pytest.param({"cookie_domain": LONG_DOMAIN}, id="domain-253-characters"),
        pytest.param({"secure": "false", "same_site": "Lax"}, id="lax-without-secure"),
        pytest.param({"max_age": "1"}, id="max-age-one-second"),
        pytest.param({"max_age": "34560000"}, id="max-age-400-days"),
        pytest.param({"max_age": "400d"}, id="max-age-400d"),
        pytest.param({"max_age": "14d"}, id="max-age-days"),
        pytest.param({"max_age": "12h"}, id="max-age-hours"),
        pytest.param({"max_age": "90m"}, id="max-age-minutes"),
        pytest.param({"max_age": "30s"}, id="max-age-seconds-unit"),
        pytest.param({"tests_path": "checks/session-tests"}, id="nested-tests"),
        pytest.param({"tests_path": "2024_tests"}, id="tests-leading-digit"),
        pytest.param(
            {"session_fields": "{cart_id: str, user_id: 'int | None', tags: 'list[str]'}"},
            id="readme-fields",
        ),
        pytest.param(
            {"session_fields": "{user_id: int | None, tags: 'list[str]', ok: bool|None}"},
            id="optional-and-list-fields",
        ),
        pytest.param({"session_fields": "{match: str, type: int, _: bool}"}, id="soft-keywords"),
        pytest.param({"previous_cookies": "[{serializer: msgpack}]"}, id="previous-serializer"),
        pytest.param({"previous_cookies": "[{encrypt: true}]"}, id="previous-mode"),
        pytest.param(
            {
                "serializer": "cbor2",
                "encrypt": "true",
                "previous_cookies": "[{serializer: json}, {encrypt: false}, "
                "{serializer: orjson, encrypt: false}, {serializer: msgpack}]",
            },
            id="previous-several-forms",
        ),
    ],
)
def test_good_edge_answers_are_accepted(
    data: dict[str, str], questions: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    copy(questions, project, data)
    answers = yaml.safe_load((project / ANSWERS_FILE).read_text())
    assert set(data) <= set(answers)


def test_previous_cookies_accepts_exactly_the_serializers_offered() -> None:
    names = "{% from 'template/_partials/questions.jinja' import serializers %}{{ serializers }}"
    assert JINJA.from_string(names).render() == str(choices("serializer"))


def test_unquoted_list_type_inside_braces_is_a_yaml_error(questions: Path, tmp_path: Path) -> None:
    """In YAML's {...} form `[` opens a list, so list types need quotes there (the help
    shows them quoted).

    Copier parses the YAML before any validator runs; the error points at the `[`.
    """
    with pytest.raises(ValueError, match=r"expected ',' or '\}', but got '\['"):
        copy(questions, tmp_path / "project", {"session_fields": "{tags: list[str]}"})
    copy(questions, tmp_path / "quoted", {"session_fields": "{tags: 'list[str]'}"})
    copy(questions, tmp_path / "block", {"session_fields": "tags: list[str]"})


@pytest.mark.parametrize(
    ("max_age", "seconds"),
    [("3600", 3600), ("14d", 1209600), ("12h", 43200), ("90m", 5400), ("45s", 45)],
)
def test_accepted_answers_are_recorded_as_given(
    max_age: str, seconds: int, template_snapshot: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    data = {
        "package_path": "src/app",
        "cookie_name": "__Host-sid",
        "max_age": max_age,
        "session_fields": "{user_id: int | None, cart_id: str}",
    }
    copy(template_snapshot, project, data)
    answers = yaml.safe_load((project / ANSWERS_FILE).read_text())
    assert answers["package_path"] == "src/app"
    assert answers["cookie_name"] == "__Host-sid"
    assert answers["max_age"] == max_age
    assert list(answers["session_fields"].items()) == [
        ("user_id", "int | None"),
        ("cart_id", "str"),
    ]
    assert (project / "src/app/utilities/session.py").is_file()
    module = (project / "src/app/utilities/session.py").read_text()
    assert re.search(r'^COOKIE_NAME: Final = "__Host-sid"$', module, re.MULTILINE)
    assert re.search(rf"^MAX_AGE_SECONDS: Final = {seconds}$", module, re.MULTILINE)


def readme_questions() -> list[list[str]]:
    """The cells of the README's table of questions, a row per question."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Questions\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def test_readme_table_of_questions_matches_copier_yml(questions: Path, tmp_path: Path) -> None:
    """Same questions in the same order, each default the one Copier gives, how to
    answer it in a terminal for its kind, every choice named, and a `-d` example that
    Copier accepts."""
    table = readme_questions()
    assert [row[0].strip("`") for row in table] == list(asked())
    every = {"framework": "flask"}  # a framework asked every question
    defaults: dict[str, Any] = {}
    for answers, folder in ((every, "flask-defaults"), ({}, "defaults")):
        copy(questions, tmp_path / folder, answers)
        defaults |= yaml.safe_load((tmp_path / folder / ANSWERS_FILE).read_text())
    for number, (cell, default, terminal, data, purpose) in enumerate(table):
        name = cell.strip("`")
        spec = COPIER_YML[name]
        given = defaults[name]
        if isinstance(given, bool):
            shown = f"`{str(given).lower()}`"
        elif isinstance(given, list):
            shown = f"`{given}`"
        elif isinstance(given, dict):
            shown = "`{" + ", ".join(f"{key}: {value}" for key, value in given.items()) + "}`"
        else:
            shown = f"`{given}`" if given else "empty"
        assert default.startswith(shown), (name, default, shown)
        if spec["type"] == "bool":
            assert terminal.startswith("`y` / `n`"), name
        elif "choices" in spec:
            assert terminal.startswith("arrow keys"), name
            assert all(f"`{value}`" in purpose for value in choices(name)), name
        else:
            assert terminal.startswith("type it"), name
        example = re.fullmatch(rf'`-d "?{name}=(.*?)"?`', data)
        assert example is not None, (name, data)
        answer = {name: example[1].replace("\\|", "|")}
        copy(questions, tmp_path / f"example-{number}", every | answer)


@pytest.mark.parametrize(("max_age", "expected"), [("60", 2592000), ("400d", 34560000)])
def test_absolute_limit_defaults_to_30_days_or_max_age_when_longer(
    questions: Path, tmp_path: Path, max_age: str, expected: int
) -> None:
    project = tmp_path / "project"
    copy(questions, project, {"max_age": max_age})
    answers = yaml.safe_load((project / ANSWERS_FILE).read_text())
    assert (answers["renewal"], answers["absolute_max_age"]) == ("sliding", expected)
