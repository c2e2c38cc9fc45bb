"""`copier update` from one tagged release of the template to the next, as a user runs it.

Each test makes a real git repository of the template (the working tree, tagged
v0.1.0), copies from it by absolute path into a git project, then releases v0.2.0 with
one changed line in the shared core of session.py and updates the project with the
README's command. Nothing runs with --trust. What Copier prints after an update is
checked here too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml
from copier import run_copy, run_update
from copier.errors import UserMessageError

from bench.render import snapshot
from helpers import COPIER_YML, FRAMEWORKS, files_under, run
from lifecycle import (
    ANSWERS_FILE,
    GIT_ENV,
    SESSION_TEMPLATE,
    commit_all,
    copier,
    git,
    release,
    template_repository,
)

# The docstring of SessionTooLargeError, in the shared core far from both ends of the
# module, so an edit at the end of the file merges cleanly with a change to it.
DOCSTRING = re.compile(r'^class SessionTooLargeError\(.*\):\n    """(.*)"""$', re.MULTILINE)
NEW_DOCSTRING = "Raised by set_session() when the cookie would pass what browsers keep."
LOCAL_HELPER = '''

def cart_id_or_none() -> str | None:
    """The cart id of this request's session, if there is one (added by the project)."""
    return get_session().get("cart_id")
'''
# Two frameworks whose partials are the reference patterns (a request-global one and
# an ASGI middleware one), so the update switches between the two styles of glue.
FIRST, SECOND = "flask", "starlette"
UPDATE = ("update", "--defaults", "-a", ANSWERS_FILE)
QUESTIONS = Path("template/_partials/questions.jinja")
FLASK_COOKIE = "  'flask': ['Flask', ['session']],\n"
# The command the after-update message prints to choose the cookie name.
CHOOSE_NAME = re.compile(
    r"^  (uvx copier@\S+ update .+ \\\n    --data cookie_name=)NAME"
    r"( \\\n    --data \"previous_cookies=\[\{cookie_name: \S+\}\]\")$",
    re.MULTILINE,
)


def current_docstring(repository: Path) -> str:
    """The docstring line of SessionTooLargeError in the template, as it is now."""
    found = DOCSTRING.search((repository / SESSION_TEMPLATE).read_text())
    assert found, "SessionTooLargeError and its one-line docstring are not in session.py.jinja"
    return f'    """{found.group(1)}"""'


def answers(project: Path) -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load((project / ANSWERS_FILE).read_text())
    return loaded


def generate(template: Path, project: Path, *data: str) -> None:
    """Copy the template into a new project (CLI, absolute path) and commit the project."""
    args = [arg for item in data for arg in ("-d", item)]
    done = copier("copy", "--defaults", *args, str(template), str(project), cwd=project.parent)
    assert done.returncode == 0, done.stderr
    assert "Copying from template version 0.1.0" in done.stderr
    assert answers(project)["_commit"] == "v0.1.0"
    assert answers(project)["_src_path"] == str(template)
    commit_all(project, "Generate the session module")


def assert_python_parses(project: Path) -> None:
    for name in files_under(project):
        if name.endswith(".py"):
            ast.parse((project / name).read_text(), filename=name)


def test_update_brings_the_new_release_and_keeps_the_local_edit(tmp_path: Path) -> None:
    assert {FIRST, SECOND} <= set(FRAMEWORKS)
    template = template_repository(tmp_path / "copier-session", "v0.1.0")
    project = tmp_path / "shop"
    generate(template, project, f"framework={FIRST}")
    module = project / "app/utilities/session.py"
    with module.open("a") as appended:
        appended.write(LOCAL_HELPER)
    commit_all(project, "A helper of our own")
    old = current_docstring(template)
    release(template, "v0.2.0", old, f'    """{NEW_DOCSTRING}"""')

    updated = copier(*UPDATE, cwd=project)

    assert updated.returncode == 0, updated.stderr
    assert "Updating to template version 0.2.0" in updated.stderr
    text = module.read_text()
    assert f'    """{NEW_DOCSTRING}"""' in text
    assert old not in text
    assert text.endswith(LOCAL_HELPER)
    assert "<<<<<<<" not in text
    assert git(project, "ls-files", "--unmerged") == ""
    assert answers(project)["_commit"] == "v0.2.0"
    assert answers(project)["framework"] == FIRST
    changed = git(project, "status", "--porcelain").splitlines()
    assert sorted(changed) == [f" M {ANSWERS_FILE}", " M app/utilities/session.py"]
    commit_all(project, "Update the session module to v0.2.0")

    switched = copier(*UPDATE, "--data", f"framework={SECOND}", cwd=project)

    # A new answer re-renders every file for the new framework at the same release, and
    # the local edit, far from the glue that changed, is merged in without a conflict.
    assert switched.returncode == 0, switched.stderr
    text = module.read_text()
    assert text.endswith(LOCAL_HELPER)
    assert f"import {FIRST}" not in text and f"from {FIRST}" not in text
    assert f"from {SECOND}." in text
    assert "class SessionCookieMiddleware" in text
    assert f'    """{NEW_DOCSTRING}"""' in text
    assert git(project, "ls-files", "--unmerged") == ""
    assert answers(project)["framework"] == SECOND
    assert answers(project)["_commit"] == "v0.2.0"
    tests = (project / "tests/test_session.py").read_text()
    assert f"from {SECOND}.testclient import TestClient" in tests
    assert f'"{SECOND}>=' in (project / "pyproject.toml").read_text()
    assert_python_parses(project)


def test_a_conflict_is_left_inline_and_copier_still_exits_zero(tmp_path: Path) -> None:
    template = template_repository(tmp_path / "copier-session", "v0.1.0")
    project = tmp_path / "shop"
    generate(template, project, f"framework={FIRST}")
    module = project / "app/utilities/session.py"
    old = current_docstring(template)
    local = '    """Our wording: the session no longer fits in one cookie."""'
    module.write_text(module.read_text().replace(old, local))
    commit_all(project, "Our wording")
    release(template, "v0.2.0", old, f'    """{NEW_DOCSTRING}"""')

    updated = copier(*UPDATE, cwd=project)

    assert updated.returncode == 0, updated.stderr
    conflict = (
        "<<<<<<< before updating\n"
        f"{local}\n"
        "=======\n"
        f'    """{NEW_DOCSTRING}"""\n'
        ">>>>>>> after updating\n"
    )
    assert conflict in module.read_text()
    # Only git shows it: the file is unmerged, and git diff --check flags the markers.
    unmerged = git(project, "ls-files", "--unmerged").splitlines()
    assert {line.split("\t")[1] for line in unmerged} == {"app/utilities/session.py"}
    assert "UU app/utilities/session.py" in git(project, "status", "--porcelain")
    check = run(["git", "diff", "--check"], cwd=project, env=GIT_ENV)
    assert check.returncode != 0
    assert "app/utilities/session.py:" in check.stdout
    assert "leftover conflict marker" in check.stdout
    assert answers(project)["_commit"] == "v0.2.0"


def test_copy_and_update_need_no_trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing in copier.yml needs --trust: copy and update with unsafe=False (the default).

    (The CLI tests above never pass --trust either.)
    """
    unsafe = {"_tasks", "_migrations", "_jinja_extensions"}
    assert unsafe.isdisjoint(COPIER_YML)
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    template = template_repository(tmp_path / "copier-session", "v0.1.0")
    project = tmp_path / "shop"
    run_copy(str(template), str(project), defaults=True, quiet=True, unsafe=False)
    commit_all(project, "Generate the session module")
    release(template, "v0.2.0", current_docstring(template), f'    """{NEW_DOCSTRING}"""')
    # A commit after the release: the update must not take it.
    unreleased = template / SESSION_TEMPLATE
    unreleased.write_text(unreleased.read_text().replace(NEW_DOCSTRING, "Not released yet."))
    commit_all(template, "Work in progress")

    run_update(
        str(project),
        answers_file=ANSWERS_FILE,
        defaults=True,
        overwrite=True,
        quiet=True,
        unsafe=False,
    )

    assert answers(project)["_commit"] == "v0.2.0"
    module = (project / "app/utilities/session.py").read_text()
    assert NEW_DOCSTRING in module
    assert "Not released yet." not in module


def test_update_refuses_a_project_with_uncommitted_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    template = template_repository(tmp_path / "copier-session", "v0.1.0")
    project = tmp_path / "shop"
    run_copy(str(template), str(project), defaults=True, quiet=True)
    commit_all(project, "Generate the session module")
    (project / "notes.txt").write_text("not committed\n")

    with pytest.raises(UserMessageError, match="Destination repository is dirty"):
        run_update(str(project), answers_file=ANSWERS_FILE, defaults=True, quiet=True)


def test_after_update_a_refused_cookie_name_is_named_with_the_command_to_choose_one(
    tmp_path: Path,
) -> None:
    """A project made by a release that took Flask's own cookie name, session, as its
    cookie_name. This release refuses it, so Copier replaces the kept answer by the
    default without a word of its own: the message names the case and the name now
    used, and its command, run as printed, changes the name."""
    template = snapshot(tmp_path / "copier-session")
    questions = template / QUESTIONS
    refusing = questions.read_text()
    assert refusing.count(FLASK_COOKIE) == 1, f"{FLASK_COOKIE!r} is not once in {QUESTIONS}"
    questions.write_text(refusing.replace(FLASK_COOKIE, ""))
    commit_all(template, "Release v0.1.0, which let cookie_name be session")
    git(template, "tag", "v0.1.0")
    project = tmp_path / "shop"
    generate(template, project, f"framework={FIRST}", "cookie_name=session")
    questions.write_text(refusing)
    commit_all(template, "Release v0.2.0")
    git(template, "tag", "v0.2.0")

    updated = copier(*UPDATE, cwd=project)

    assert updated.returncode == 0, updated.stderr
    assert [line for line in updated.stderr.splitlines() if len(line) > 80] == []
    message = " ".join(updated.stderr.split())
    assert "git status shows a file with conflicts as UU" in message
    assert "git diff --check points at every conflict marker left" in message
    assert "(such as cookie_name=session, Flask's own cookie) is replaced" in message
    assert f"git diff {ANSWERS_FILE}" in message
    assert "-cookie_name: session" in git(project, "diff", ANSWERS_FILE)
    assert answers(project)["cookie_name"] == "__Host-app_session"
    assert "Session cookie: __Host-app_session." in message
    commit_all(project, "Update the session module to v0.2.0")
    printed = CHOOSE_NAME.search(updated.stderr)
    assert printed, updated.stderr

    command = printed.group(1) + "shop_session" + printed.group(2)
    chosen = run(["bash", "-c", command], cwd=project, env=GIT_ENV)

    assert chosen.returncode == 0, chosen.stderr
    assert answers(project)["cookie_name"] == "shop_session"
    assert answers(project)["previous_cookies"] == [{"cookie_name": "__Host-app_session"}]
    listed = " ".join(chosen.stderr.split())
    assert 'previous_cookies): {"cookie_name": "__Host-app_session"}. Once max_age' in listed
    module = (project / "app/utilities/session.py").read_text()
    assert 'COOKIE_NAME: Final = "shop_session"' in module
    assert '"__Host-app_session", _JsonSignedCodec(secret, fallbacks).open' in module
