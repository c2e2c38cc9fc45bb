"""Every kind of bad answer is refused with a message that says what is allowed.

Answers go in as Copier's `-d key=value` data (validators run on data), through the
API for speed and through the CLI for the exit code and stderr a user sees. The
expected messages are the validators' texts in copier.yml.

Most tests copy from `questions`: copier.yml's questions with only the answers file to
render, so they check the questionnaire alone, fast, whatever state the partials are in.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from copier import run_copy

from helpers import COPIER_YML, FRAMEWORKS, ROOT
from lifecycle import ANSWERS_FILE, copier

IDENTIFIER_PARTS = (
    "package_path must be folder names that are Python identifiers (letters, digits and "
    "underscores, not starting with a digit, not a keyword) such as app or src/app: "
)
COOKIE_TOKEN = (
    "cookie_name must be a non-empty RFC 6265 token: letters, digits and "
    "!#$%&'*+-.^_`|~ only (no spaces, quotes, commas, semicolons, '=' or '/'), not "
)
WHOLE_SECONDS = "max_age must be a whole number of seconds, at least 1 (1209600 is 14 days), not "
MAPPING = (
    "session_fields must be a non-empty mapping of field name to type, such as "
    "{cart_id: str, user_id: int}"
)
TYPES = (
    "is not supported: use one of str, int, float, bool, list[str], list[int], "
    "list[float], list[bool], each optionally followed by | None"
)


@dataclass(frozen=True)
class Refusal:
    """Answers (as `-d key=value` strings) that Copier must refuse, and its message."""

    id: str
    data: dict[str, str]
    question: str
    message: str

    @property
    def error(self) -> str:
        return f"Validation error for question '{self.question}': {self.message}"


REFUSALS = [
    Refusal(
        "package-path-empty",
        {"package_path": ""},
        "package_path",
        "package_path must not be empty: give a relative folder such as app or src/app",
    ),
    Refusal(
        "package-path-absolute",
        {"package_path": "/srv/shop/app"},
        "package_path",
        "package_path must be relative to the project root (such as app or src/app), "
        "not '/srv/shop/app'",
    ),
    Refusal(
        "package-path-drive",
        {"package_path": "C:/shop/app"},
        "package_path",
        "package_path must be relative to the project root (such as app or src/app), "
        "not 'C:/shop/app'",
    ),
    Refusal(
        "package-path-dotdot",
        {"package_path": "src/../../app"},
        "package_path",
        "package_path must not contain '..': give a folder inside the project such as app "
        "or src/app",
    ),
    Refusal(
        "package-path-trailing-slash",
        {"package_path": "src/app/"},
        "package_path",
        "package_path must not end with '/' or hold '//': give folders such as app or "
        "src/app, not 'src/app/'",
    ),
    Refusal(
        "package-path-dash",
        {"package_path": "my-app"},
        "package_path",
        IDENTIFIER_PARTS + "'my-app' is not",
    ),
    Refusal(
        "package-path-nested-dash",
        {"package_path": "src/my-app/web-ui"},
        "package_path",
        IDENTIFIER_PARTS + "'my-app' in 'src/my-app/web-ui' is not",
    ),
    Refusal(
        "package-path-leading-digit",
        {"package_path": "2shop"},
        "package_path",
        IDENTIFIER_PARTS + "'2shop' is not",
    ),
    Refusal(
        "package-path-keyword",
        {"package_path": "src/class"},
        "package_path",
        IDENTIFIER_PARTS + "'class' in 'src/class' is not",
    ),
    Refusal(
        "package-path-dot",
        {"package_path": "."},
        "package_path",
        IDENTIFIER_PARTS + "'.' is not",
    ),
    Refusal(
        "tests-path-empty",
        {"tests_path": ""},
        "tests_path",
        "tests_path must not be empty: give a relative folder such as tests",
    ),
    Refusal(
        "tests-path-absolute",
        {"tests_path": "/tmp/tests"},
        "tests_path",
        "tests_path must be relative to the project root (such as tests), not '/tmp/tests'",
    ),
    Refusal(
        "tests-path-dotdot",
        {"tests_path": "../tests"},
        "tests_path",
        "tests_path must not contain '..': give a folder inside the project such as tests",
    ),
    Refusal(
        "tests-path-space",
        {"tests_path": "my tests"},
        "tests_path",
        "tests_path may hold only letters, digits, '_', '-' and '/', not 'my tests'",
    ),
    *(
        Refusal(
            f"cookie-name-{label}", {"cookie_name": name}, "cookie_name", COOKIE_TOKEN + f"'{name}'"
        )
        for label, name in [
            ("empty", ""),
            ("space", "my session"),
            ("semicolon", "sid;Path"),
            ("comma", "a,b"),
            ("double-quote", 'say"cheese'),
            ("equals", "sid=1"),
            ("slash", "a/b"),
            ("non-ascii", "séance"),
        ]
    ),
    Refusal(
        "host-prefix-without-secure",
        {"cookie_name": "__Host-sid", "secure": "false"},
        "secure",
        "a __Host- cookie name requires secure=true: browsers drop __Host- cookies without Secure",
    ),
    Refusal(
        "secure-prefix-without-secure",
        {"cookie_name": "__Secure-sid", "secure": "false"},
        "secure",
        "a __Secure- cookie name requires secure=true: browsers drop __Secure- cookies "
        "without Secure",
    ),
    Refusal(
        "host-prefix-with-domain",
        {"cookie_name": "__Host-sid", "cookie_domain": "example.com"},
        "cookie_domain",
        "a __Host- cookie must not have a Domain: leave cookie_domain empty or drop the prefix",
    ),
    Refusal(
        "cookie-domain-not-a-host",
        {"cookie_domain": "https://example.com/"},
        "cookie_domain",
        "cookie_domain must be a host name such as example.com (letters, digits, '-' and "
        "dots), not 'https://example.com/'",
    ),
    Refusal(
        "same-site-none-without-secure",
        {"same_site": "None", "secure": "false"},
        "same_site",
        "same_site=None requires secure=true: browsers reject SameSite=None cookies without Secure",
    ),
    Refusal("max-age-zero", {"max_age": "0"}, "max_age", WHOLE_SECONDS + "'0'"),
    Refusal("max-age-negative", {"max_age": "-60"}, "max_age", WHOLE_SECONDS + "'-60'"),
    Refusal(
        "max-age-over-400-days",
        {"max_age": "34560001"},
        "max_age",
        "max_age must be at most 34560000 seconds (400 days), the most browsers keep a "
        "cookie, not 34560001",
    ),
    Refusal("fields-list", {"session_fields": "[cart_id, user_id]"}, "session_fields", MAPPING),
    Refusal("fields-text", {"session_fields": "cart_id"}, "session_fields", MAPPING),
    Refusal("fields-empty", {"session_fields": "{}"}, "session_fields", MAPPING),
    Refusal(
        "fields-key-not-identifier",
        {"session_fields": "{cart-id: str}"},
        "session_fields",
        "session_fields key 'cart-id' must be a Python identifier that is not a keyword",
    ),
    Refusal(
        "fields-key-number",
        {"session_fields": "{1: str}"},
        "session_fields",
        "session_fields key '1' must be a Python identifier that is not a keyword",
    ),
    Refusal(
        "fields-key-keyword",
        {"session_fields": "{class: str}"},
        "session_fields",
        "session_fields key 'class' must be a Python identifier that is not a keyword",
    ),
    *(
        Refusal(
            f"fields-type-{label}",
            {"session_fields": f"{{cart_id: str, extra: {kind}}}"},
            "session_fields",
            f"session_fields type '{shown}' of 'extra' {TYPES}",
        )
        for label, kind, shown in [
            ("dict", "dict", "dict"),
            ("bytes", "bytes", "bytes"),
            ("list-of-dict", "'list[dict]'", "list[dict]"),
            ("optional-bytes", "'bytes | None'", "bytes | None"),
            ("yaml-list", "[str]", "['str']"),
            ("number", "3", "3"),
        ]
    ),
]


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


@pytest.mark.parametrize("value", ["two weeks", "1.5", "14d", "true"])
def test_max_age_that_is_not_a_whole_number_is_refused_by_its_type(
    value: str, questions: Path, tmp_path: Path
) -> None:
    """max_age is `type: int`: Copier parses it before the validator runs, and says so.

    (A `type: yaml` question would reach the validator, but its prompt would show the
    default as "1209600" plus a "..." line, so int it stays.)
    """
    with pytest.raises(ValueError) as refused:
        copy(questions, tmp_path / "project", {"max_age": value})
    assert str(refused.value) == f"invalid literal for int() with base 10: '{value}'"


@pytest.mark.parametrize(
    "refusal",
    [pytest.param(r, id=r.id) for r in REFUSALS if r.id == "package-path-dotdot"],
)
def test_cli_exits_non_zero_with_the_message_on_stderr(
    refusal: Refusal, template_snapshot: Path, tmp_path: Path
) -> None:
    data = [arg for key, value in refusal.data.items() for arg in ("-d", f"{key}={value}")]
    done = copier("copy", "--defaults", *data, str(template_snapshot), "project", cwd=tmp_path)
    assert done.returncode != 0
    assert refusal.error in done.stderr
    assert not (tmp_path / "project").exists()


def test_every_question_that_can_be_wrong_has_a_validator_and_a_refusal_here() -> None:
    asked = {
        name: spec
        for name, spec in COPIER_YML.items()
        if not name.startswith("_") and spec.get("when") is not False
    }
    free_form = {name for name, spec in asked.items() if spec["type"] in {"str", "yaml"}}
    free_form -= {name for name, spec in asked.items() if "choices" in spec}
    validated = {name for name, spec in asked.items() if "validator" in spec}
    assert free_form <= validated
    assert validated <= {refusal.question for refusal in REFUSALS}


def test_every_default_passes_its_own_validator(questions: Path, tmp_path: Path) -> None:
    """Copy with --defaults, then give every recorded default back as data: validated.

    (Copier does not validate defaults under --defaults, so a bad computed default would
    otherwise go unnoticed until someone answers interactively.)
    """
    first = tmp_path / "defaults"
    copy(questions, first, {})
    recorded: dict[str, Any] = yaml.safe_load((first / ANSWERS_FILE).read_text())
    answers = {key: value for key, value in recorded.items() if not key.startswith("_")}
    asked = [name for name, spec in COPIER_YML.items() if not name.startswith("_")]
    assert set(answers) == {name for name in asked if COPIER_YML[name].get("when") is not False}

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
        pytest.param({"package_path": "src/app"}, id="src-layout"),
        pytest.param({"package_path": "lib/shop_2/web"}, id="deep-package"),
        pytest.param({"cookie_name": "__Host-sid", "same_site": "Strict"}, id="host-prefix"),
        pytest.param({"cookie_name": "__Secure-sid", "same_site": "None"}, id="secure-prefix"),
        pytest.param({"cookie_name": "sid!#$%&'*+-.^_`|~9"}, id="every-token-symbol"),
        pytest.param({"secure": "false", "cookie_domain": ".example.com"}, id="domain"),
        pytest.param({"max_age": "1"}, id="max-age-one-second"),
        pytest.param({"max_age": "34560000"}, id="max-age-400-days"),
        pytest.param({"tests_path": "checks/session-tests"}, id="nested-tests"),
        pytest.param(
            {"session_fields": "{user_id: int | None, tags: 'list[str]', ok: bool|None}"},
            id="optional-and-list-fields",
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


def test_unquoted_list_type_inside_braces_is_a_yaml_error(questions: Path, tmp_path: Path) -> None:
    """In YAML's {...} form `[` opens a list, so list types need quotes there.

    Copier parses the YAML before any validator runs; the error points at the `[`.
    """
    with pytest.raises(ValueError, match=r"expected ',' or '\}', but got '\['"):
        copy(questions, tmp_path / "project", {"session_fields": "{tags: list[str]}"})
    copy(questions, tmp_path / "quoted", {"session_fields": "{tags: 'list[str]'}"})
    copy(questions, tmp_path / "block", {"session_fields": "tags: list[str]"})


def test_accepted_answers_are_recorded_as_given(template_snapshot: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    data = {
        "package_path": "src/app",
        "cookie_name": "__Host-sid",
        "max_age": "3600",
        "session_fields": "{user_id: int | None, cart_id: str}",
    }
    copy(template_snapshot, project, data)
    answers = yaml.safe_load((project / ANSWERS_FILE).read_text())
    assert answers["package_path"] == "src/app"
    assert answers["cookie_name"] == "__Host-sid"
    assert answers["max_age"] == 3600
    assert list(answers["session_fields"].items()) == [
        ("user_id", "int | None"),
        ("cart_id", "str"),
    ]
    assert (project / "src/app/utilities/session.py").is_file()
    module = (project / "src/app/utilities/session.py").read_text()
    assert re.search(r'^COOKIE_NAME: Final = "__Host-sid"$', module, re.MULTILINE)
    assert re.search(r"^MAX_AGE_SECONDS: Final = 3600$", module, re.MULTILINE)
