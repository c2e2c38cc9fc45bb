"""The README's first command, run as written, gives a project whose tests and demo work.

It runs in a clone holding this working tree (uncommitted changes too) and a release
tag newer than anything, put on the first commit: the command must still render the
working tree, not the newest release.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from copier import run_copy

from helpers import ROOT, files_under, run
from lifecycle import GIT_ENV, git

README = (ROOT / "README.md").read_text()


def readme_command(prefix: str) -> str:
    """The first line of the README that starts with prefix."""
    for line in README.splitlines():
        if line.startswith(prefix):
            return line
    raise AssertionError(f"README has no command starting with {prefix!r}")


def demo_command() -> str:
    """The README's command that serves the generated demo, without its uv run prefix."""
    match = re.search(r"uv run (uvicorn [^`]+)`", README)
    assert match, "README does not show how to serve the demo"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clone_of_the_working_tree(clone: Path) -> None:
    """A clone of this repository with its working tree as it is, committed or not."""
    cloned = run(["git", "clone", "--quiet", str(ROOT), str(clone)], cwd=clone.parent)
    assert cloned.returncode == 0, cloned.stderr
    for name in git(ROOT, "ls-files", "--deleted").splitlines():
        (clone / name).unlink()
    for name in git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").splitlines():
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)


@pytest.mark.xdist_group("quickstart")
def test_readme_quickstart_generates_a_working_project(
    tmp_path: Path, template_snapshot: Path
) -> None:
    clone = tmp_path / "copier-session"
    clone_of_the_working_tree(clone)
    first_commit = git(clone, "rev-list", "--max-parents=0", "HEAD").split()[0]
    git(clone, "tag", "v999.0.0", first_commit)

    copied = run(["bash", "-c", readme_command("uvx copier")], cwd=clone, env=GIT_ENV)
    assert copied.returncode == 0, copied.stderr
    project = tmp_path / "cart-demo"
    expected = tmp_path / "expected"
    run_copy(str(template_snapshot), str(expected), defaults=True, quiet=True)
    rendered = files_under(expected) - {".copier-answers.session.yml"}
    assert files_under(project) - {".copier-answers.session.yml"} == rendered
    for name in rendered:
        assert (project / name).read_bytes() == (expected / name).read_bytes(), name

    synced = run(["uv", "sync", "--quiet"], cwd=project)
    assert synced.returncode == 0, synced.stderr
    tested = run(["uv", "run", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project)
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-3000:]
    assert " passed" in tested.stdout and "skipped" not in tested.stdout

    port = free_port()
    serve = demo_command().replace("--port 8000", f"--port {port}")
    secret = secrets.token_urlsafe(48)
    server = subprocess.Popen(
        ["uv", "run", *shlex.split(serve)],
        cwd=project,
        env={**os.environ, "SESSION_SECRET": secret},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                first = httpx.get(f"{base}/")
                break
            except httpx.TransportError:
                assert server.poll() is None, "the demo server exited"
                assert time.monotonic() < deadline, "the demo server did not answer"
                time.sleep(0.2)
        assert first.status_code == 200
        cookie = first.headers["set-cookie"].split(";", 1)[0]
        second = httpx.get(f"{base}/", headers={"Cookie": cookie})
        assert second.status_code == 200
        assert second.json()["cart_id"] == first.json()["cart_id"]
        assert "set-cookie" not in second.headers
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
