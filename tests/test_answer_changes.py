"""Changing serializer, encrypt or cookie_name with copier update logs nobody out.

A demo project copied from the template is served by its real server, which mints
cookies; it is then updated with each command of the README's "Changing serializer,
encrypt or cookie_name" section, served again with the same secret, and asked for its
cart with the cookies minted before the update, under the name they had: a fresh one
is read as it is, one past half of max_age is renewed in the new form (deleting the
cookie of an earlier name), and a tampered one still reads as a new cart.
"""

from __future__ import annotations

import base64
import re
import shlex
import time
from pathlib import Path

import httpx
import pytest

from helpers import ROOT
from lifecycle import ANSWERS_FILE, commit_all, copier, git, template_repository
from servers import DemoServer, start_demo

FRAMEWORK = "flask"
"""A framework whose demo runs under gunicorn with two workers, as in production."""
SECTION = "### Changing serializer, encrypt or cookie_name"
PREFIX = "uvx copier@9.19.1 "


def readme_commands() -> list[list[str]]:
    """The update commands of the README's section on changing serializer or encrypt."""
    text = (ROOT / "README.md").read_text()
    section = re.split(r"\n##+ ", text.split(SECTION, 1)[1], maxsplit=1)[0]
    [block] = re.findall(r"```sh\n(.*?)```", section, re.S)
    lines = [line for line in block.splitlines() if line.startswith(PREFIX)]
    return [shlex.split(line.removeprefix(PREFIX)) for line in lines]


def data_of(command: list[str]) -> dict[str, str]:
    """The answers a command gives with --data."""
    given = [command[i + 1] for i, word in enumerate(command) if word == "--data"]
    return dict(item.split("=", 1) for item in given)


def test_the_readme_changes_each_answer_with_a_form_listed() -> None:
    changes = [data_of(command) for command in readme_commands()]
    assert [set(change) - {"previous_cookies"} for change in changes] == [
        {"serializer"},
        {"encrypt"},
        {"serializer", "encrypt"},
        {"cookie_name"},
    ]
    assert all("previous_cookies" in change for change in changes)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_repository(tmp_path_factory.mktemp("template") / "copier-session", "v1.0.0")


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def cart(server: DemoServer, name: str, cookie: str) -> tuple[str, dict[str, str]]:
    """The cart the demo answers for this cookie of that name, and the cookies it sets."""
    reply = httpx.get(server.url(), headers={"Cookie": f"{name}={cookie}"})
    assert reply.status_code == 200, (reply.text, server.log_tail())
    pairs = (line.split(";", 1)[0] for line in reply.headers.get_list("set-cookie"))
    return str(reply.json()["cart_id"]), dict(pair.split("=", 1) for pair in pairs)


@pytest.mark.xdist_group("answer-changes")
@pytest.mark.parametrize(
    "command",
    [pytest.param(command, id="-".join(sorted(data_of(command)))) for command in readme_commands()],
)
def test_cookies_minted_before_the_update_are_read_after_it(
    command: list[str], template: Path, tmp_path: Path
) -> None:
    project = tmp_path / "shop"
    copied = copier(
        "copy",
        "--defaults",
        "-d",
        f"framework={FRAMEWORK}",
        str(template),
        str(project),
        cwd=tmp_path,
    )
    assert copied.returncode == 0, copied.stderr
    commit_all(project, "A shop")
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    before = start_demo(FRAMEWORK, project, tmp_path / "before")
    try:
        max_age = int(before.answers["max_age"])
        now = time.time()
        fresh = before.mint({"cart_id": "c-fresh"}, before.secret, now=now - 60)
        aged = before.mint({"cart_id": "c-aged"}, before.secret, now=now - max_age * 0.75)
        tampered = fresh[:-2] + ("AA" if not fresh.endswith("AA") else "BA")
        name = before.cookie_name
        assert cart(before, name, fresh) == ("c-fresh", {})
    finally:
        before.stop()

    updated = copier(*command, cwd=project)
    assert updated.returncode == 0, updated.stderr
    assert git(project, "ls-files", "--unmerged") == ""
    change = data_of(command)
    answers = (project / ANSWERS_FILE).read_text()
    for question, value in change.items():
        if question != "previous_cookies":
            assert f"{question}: {value}" in answers, answers
    commit_all(project, "Change " + ", ".join(sorted(change)))

    after = start_demo(FRAMEWORK, project, tmp_path / "after", secret=before.secret)
    try:
        new_codec = after.session_module.SessionCodec(after.secret.encode())
        assert new_codec.decode(fresh, time.time()) == {}  # another form: not the current
        assert cart(after, name, fresh) == ("c-fresh", {})  # read as it is
        cart_id, renewed = cart(after, name, aged)
        assert cart_id == "c-aged"
        value = renewed[after.cookie_name]
        assert new_codec.decode(value, time.time()) == {"cart_id": "c-aged"}  # the new form
        if after.cookie_name != name:
            assert renewed[name] == ""  # the cookie of the earlier name is deleted
        assert set(renewed) == {after.cookie_name, name}
        assert cart(after, name, tampered)[0] not in ("c-fresh", "c-aged")
    finally:
        after.stop()
