"""Cookies made before the cookie format changed are still read after an upgrade.

A clone of this repository is tagged at the last commit before format 2 (found as the
parent of the commit that brought it), and the working tree is committed on top of
it as a newer release. Every serializer x mode is rendered at both releases: what the
old module minted, the new one reads, and rewrites as format 2. End to end, a demo
project copied from the old release is updated with the README's command, served by
its real server again, and a browser that holds the old cookie keeps its cart.
"""

from __future__ import annotations

import base64
import itertools
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from copier import run_copy
from playwright.sync_api import BrowserContext, sync_playwright

from helpers import ENCRYPT, ROOT, SERIALIZERS
from lifecycle import ANSWERS_FILE, GIT_ENV, SESSION_TEMPLATE, commit_all, copier, git
from servers import DemoServer, load_module, start_demo
from test_browser import CHROMIUM, LAUNCH_ARGS

OLD, NEW = "v0.1.0", "v0.2.0"
FORMAT_2_MARK = 'struct.Struct(">BII")'
"""The version 2 header, as the signed mode partial brought it."""
SIGNED_PARTIAL = "template/_partials/modes/signed.jinja"
SECRET = b"upgrade-secret-6f1d3b8a2c9e4f7a0b5d2c8e1f4a7b3c"
OLD_SECRET = b"upgrade-old-secret-2a7c9e1f4b8d3a6c0e5f2b9d8a1c4e7f"
SESSIONS: list[dict[str, object]] = [
    {"cart_id": "c-42"},
    {},
    {"cart_id": 'ä ✓ 😀 \x00 "quoted"', "user_id": -(2**40), "ratio": 0.1, "ok": True},
    {"tags": ["a", "ä", ""], "ids": [0, -1, 2**53], "cart_id": "x" * 1000},
]
FRAMEWORK = "fastapi"
"""The demo of the end-to-end test: the framework the template offers by default."""


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def before_format_2() -> str:
    """The last commit of this repository before the commit that brought format 2."""
    done = git(ROOT, "log", "--reverse", "--format=%H", "-S", FORMAT_2_MARK, "--", SIGNED_PARTIAL)
    introduced = done.split()[0]
    return git(ROOT, "rev-parse", f"{introduced}^").strip()


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this repository: OLD at the last commit before format 2, NEW the working tree."""
    clone = tmp_path_factory.mktemp("upgrade") / "copier-session"
    old = before_format_2()
    git(ROOT, "clone", "--quiet", "--no-tags", str(ROOT), str(clone))
    git(clone, "checkout", "--quiet", "-B", "main", old)
    assert FORMAT_2_MARK not in (clone / SIGNED_PARTIAL).read_text()
    git(clone, "tag", OLD)
    shutil.copy2(ROOT / "copier.yml", clone / "copier.yml")
    shutil.rmtree(clone / "template")
    shutil.copytree(
        ROOT / "template", clone / "template", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    commit_all(clone, "The working tree")
    # the header both modes share now sits in the module template
    assert FORMAT_2_MARK in (clone / SESSION_TEMPLATE).read_text()
    git(clone, "tag", NEW)
    return clone


@dataclass(frozen=True)
class Pair:
    """One serializer and mode rendered at OLD and at NEW, each module imported."""

    old: ModuleType
    new: ModuleType


@pytest.fixture(scope="module")
def pairs(
    releases: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch_module: pytest.MonkeyPatch,
) -> dict[tuple[str, bool], Pair]:
    built = {}
    for serializer, encrypt in itertools.product(SERIALIZERS, ENCRYPT):
        modules = []
        for tag in (OLD, NEW):
            package = f"up_{tag.replace('.', '_')}_{serializer}_{'enc' if encrypt else 'sig'}"
            project = tmp_path_factory.mktemp(package)
            run_copy(
                str(releases),
                str(project),
                data={
                    "serializer": serializer,
                    "encrypt": encrypt,
                    "project_kind": "existing",
                    "package_path": package,
                    # the default name changed since OLD; an update keeps the answer given
                    "cookie_name": "app_session",
                },
                vcs_ref=tag,
                defaults=True,
                quiet=True,
            )
            path = project / package / "utilities" / "session.py"
            modules.append(load_module(path, f"{package}_session"))
        built[serializer, encrypt] = Pair(*modules)
    return built


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    """Git's identity and no user configuration, for the clones Copier makes."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in GIT_ENV.items():
            patch.setenv(name, value)
        yield patch


COMBINATIONS = [
    pytest.param(serializer, encrypt, id=f"{serializer}-{'encrypted' if encrypt else 'signed'}")
    for serializer, encrypt in itertools.product(SERIALIZERS, ENCRYPT)
]


@pytest.mark.parametrize(("serializer", "encrypt"), COMBINATIONS)
def test_new_module_reads_what_the_old_one_minted(
    pairs: dict[tuple[str, bool], Pair], serializer: str, encrypt: bool
) -> None:
    pair = pairs[serializer, encrypt]
    assert pair.new.MAX_AGE_SECONDS == pair.old.MAX_AGE_SECONDS
    max_age = pair.new.MAX_AGE_SECONDS
    old_codec = pair.old.SessionCodec(SECRET)
    new_codec = pair.new.SessionCodec(SECRET)
    now = time.time()
    for session in SESSIONS:
        value = old_codec.encode(session, now)
        assert b64url_decode(value)[0] == (2 if encrypt else 1)
        assert new_codec.decode(value, now) == session
        opened = new_codec.open(value, now)
        assert opened is not None
        expires = int(now) + max_age
        assert opened == (session, expires, expires - max_age)
        assert new_codec.decode(value, expires) == {}
        rewritten = new_codec.encode(session, now + 60, opened[2])
        raw = b64url_decode(rewritten)
        assert raw[0] == 2
        assert int.from_bytes(raw[5:9], "big") == expires - max_age
        assert new_codec.decode(rewritten, now + 60) == session


@pytest.mark.parametrize(("serializer", "encrypt"), COMBINATIONS)
def test_old_cookie_of_a_fallback_secret_is_read(
    pairs: dict[tuple[str, bool], Pair], serializer: str, encrypt: bool
) -> None:
    pair = pairs[serializer, encrypt]
    now = time.time()
    value = pair.old.SessionCodec(OLD_SECRET).encode({"cart_id": "c-7"}, now)
    assert pair.new.SessionCodec(SECRET, (OLD_SECRET,)).decode(value, now) == {"cart_id": "c-7"}
    assert pair.new.SessionCodec(SECRET).decode(value, now) == {}


def format_version(value: str) -> int:
    return b64url_decode(value)[0]


def held_cookie(context: BrowserContext, name: str) -> str:
    [cookie] = [c for c in context.cookies() if c.get("name") == name]
    return str(cookie.get("value"))


def cart_of(context: BrowserContext, server: DemoServer) -> str:
    page = context.new_page()
    response = page.goto(server.url("/", host="localhost"))
    assert response is not None and response.status == 200, server.log_tail()
    body: dict[str, Any] = response.json()
    page.close()
    return str(body["cart_id"])


def test_browser_keeps_its_cart_across_copier_update(releases: Path, tmp_path: Path) -> None:
    project = tmp_path / "shop"
    source = str(releases)
    options = ("--defaults", "--vcs-ref", OLD, "-d", f"framework={FRAMEWORK}")
    copied = copier("copy", *options, source, str(project), cwd=tmp_path)
    assert copied.returncode == 0, copied.stderr
    commit_all(project, "A shop made with the old release")

    for logs in ("old-logs", "new-logs"):
        (tmp_path / logs).mkdir()
    old_server = start_demo(FRAMEWORK, project, tmp_path / "old-logs")
    try:
        name, secret = old_server.cookie_name, old_server.secret
        max_age = int(old_server.answers["max_age"])
        assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            fresh, aged = browser.new_context(), browser.new_context()
            cart = cart_of(fresh, old_server)
            held = held_cookie(fresh, name)
            assert format_version(held) == 1
            # An old cookie past half of max_age, as a browser holds it days later.
            issued = time.time() - max_age * 0.75
            old_value = old_server.mint({"cart_id": "c-aged"}, secret, now=issued)
            aged.add_cookies(
                [{"name": name, "value": old_value, "url": old_server.url("/", "localhost")}]
            )
            old_server.stop()

            updated = copier("update", "--defaults", "-a", ANSWERS_FILE, cwd=project)
            assert updated.returncode == 0, updated.stderr
            assert "Updating to template version 0.2.0" in updated.stderr
            assert git(project, "ls-files", "--unmerged") == ""
            assert "renewal: sliding" in (project / ANSWERS_FILE).read_text()
            commit_all(project, "Update to the new release")

            new_server = start_demo(FRAMEWORK, project, tmp_path / "new-logs", secret=secret)
            try:
                assert cart_of(fresh, new_server) == cart
                assert held_cookie(fresh, name) == held  # fresh enough: not renewed
                assert cart_of(aged, new_server) == "c-aged"
                renewed = b64url_decode(held_cookie(aged, name))
                assert renewed[0] == 2
                old_expiry = int(issued) + max_age
                assert int.from_bytes(renewed[5:9], "big") == old_expiry - max_age
            finally:
                new_server.stop()
            browser.close()
    finally:
        old_server.stop()
