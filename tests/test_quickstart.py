"""The README's first command, run as written, gives a project whose tests and demo work."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from helpers import ROOT, run

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


@pytest.mark.xdist_group("quickstart")
def test_readme_quickstart_generates_a_working_project(tmp_path: Path) -> None:
    clone = tmp_path / "copier-session"
    cloned = run(["git", "clone", "--quiet", str(ROOT), str(clone)], cwd=tmp_path)
    assert cloned.returncode == 0, cloned.stderr

    copied = run(["bash", "-c", readme_command("uvx copier")], cwd=clone)
    assert copied.returncode == 0, copied.stderr
    project = tmp_path / "cart-demo"
    assert (project / "app" / "utilities" / "session.py").is_file()

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
