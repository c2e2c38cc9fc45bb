"""The rendered cart demo served by its real production server, over loopback.

The command and the secret's variable come from the rendered project's README ("## Run
it"), so each framework is served exactly as its users are told to serve it: 2 worker
processes that all read one secret from the environment.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import yaml

BIN = Path(sys.executable).parent
READY_SECONDS = 60.0
STOP_SECONDS = 10.0


@dataclass(frozen=True)
class RunBlock:
    """The "## Run it" block of a rendered README: the secret's variable, the command."""

    secret_env: str
    command: list[str]


def run_block(readme: Path) -> RunBlock:
    """Read the secret's variable and the serve command (after `uv run`) from a README."""
    section = readme.read_text().split("## Run it", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, f"no sh block under '## Run it' in {readme}"
    export = re.search(r"^export ([A-Za-z_][A-Za-z0-9_]*)=", block[1], re.MULTILINE)
    serve = re.search(r"^uv run (.+)$", block[1], re.MULTILINE)
    assert export is not None, f"no 'export <SECRET_ENV>=...' line in {readme}"
    assert serve is not None, f"no 'uv run <serve command>' line in {readme}"
    return RunBlock(export[1], shlex.split(serve[1]))


def answers_of(project: Path) -> dict[str, Any]:
    """The answers a project was rendered with."""
    answers: dict[str, Any] = yaml.safe_load((project / ".copier-answers.session.yml").read_text())
    return answers


def load_module(path: Path, name: str) -> ModuleType:
    """Import a rendered file under a name of its own (several renders share a path)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def cookie_client() -> tuple[httpx.Client, CookieJar]:
    """A client that keeps cookies as a browser does on http://localhost.

    Browsers treat loopback http as a secure context, so they store and send Secure
    cookies there; httpx's own jar never sends them over http. This jar's policy
    admits http as secure, and it is wired in through event hooks so that httpx does
    not copy it into a jar of the default policy. Each request opens a new connection,
    so that successive requests can reach different worker processes.
    """
    policy = DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))
    jar = CookieJar(policy)
    cookies = httpx.Cookies(jar)
    client = httpx.Client(
        timeout=10,
        limits=httpx.Limits(max_keepalive_connections=0),
        event_hooks={
            "request": [cookies.set_cookie_header],
            "response": [cookies.extract_cookies],
        },
    )
    return client, jar


def stored(jar: CookieJar, name: str) -> Cookie | None:
    """The cookie of that name in a jar, if it holds one."""
    return next((cookie for cookie in jar if cookie.name == name), None)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def on_port(argument: str, port: int) -> str:
    """A command-line argument with the README's port 8000 replaced by port."""
    return re.sub(r"(?<![\d.])8000(?!\d)", str(port), argument)


@dataclass
class DemoServer:
    """A running demo: its project, answers, secret, port and process group."""

    framework: str
    project: Path
    answers: dict[str, Any]
    secret_env: str
    secret: str
    command: list[str]
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    startup_pids: set[int] = field(default_factory=set)
    _session_module: ModuleType | None = None

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    @property
    def cookie_name(self) -> str:
        return str(self.answers["cookie_name"])

    @property
    def session_module(self) -> ModuleType:
        """The project's utilities/session.py, imported under a name of its own."""
        if self._session_module is None:
            path = self.project / str(self.answers["package_path"]) / "utilities/session.py"
            name = f"_served_session_{self.framework}_{self.port}"
            self._session_module = load_module(path, name)
        return self._session_module

    def mint(self, session: dict[str, object], secret: str, now: float | None = None) -> str:
        """A cookie value for session, signed (or encrypted) with secret."""
        codec = self.session_module.SessionCodec(secret.encode())
        value: str = codec.encode(session, time.time() if now is None else now)
        return value

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_until_ready(self) -> None:
        """Wait until two worker processes have answered GET / (fresh connections)."""
        deadline = time.monotonic() + READY_SECONDS
        while len(self.startup_pids) < 2:
            code = self.process.poll()
            assert code is None, f"{self.command} exited with {code}:\n{self.log_tail()}"
            assert time.monotonic() < deadline, (
                f"{self.command}: {len(self.startup_pids)} worker(s) answered in "
                f"{READY_SECONDS:.0f} s, expected 2:\n{self.log_tail()}"
            )
            try:
                reply = httpx.get(self.url(), timeout=5)
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            assert reply.status_code == 200, (reply.status_code, reply.text, self.log_tail())
            self.startup_pids.add(int(reply.json()["worker"]))

    def stop(self) -> None:
        """Stop the server's whole process group (master and workers)."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_SECONDS)
            except ProcessLookupError:
                pass
        with contextlib.suppress(ProcessLookupError):  # workers whose master died first
            os.killpg(self.process.pid, signal.SIGKILL)


def launch(
    project: Path, command: list[str], log: Path, secret_env: str, secret: str | None
) -> subprocess.Popen[bytes]:
    """Start a server command in project, in a process group of its own, with only
    secret_env holding a secret (none at all when secret is None)."""
    executable = shutil.which(command[0], path=str(BIN))
    assert executable is not None, f"{command[0]} is not installed in {BIN}"
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTHONPATH", secret_env) and not name.startswith("SESSION_SECRET")
    }
    env |= {"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "VIRTUAL_ENV": str(BIN.parent)}
    if secret is not None:
        env[secret_env] = secret
    with log.open("wb") as output:
        return subprocess.Popen(
            [executable, *command[1:]],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def start_demo(
    framework: str,
    project: Path,
    log_dir: Path,
    secret: str | None = None,
    app_module: str = "main",
) -> DemoServer:
    """Serve a rendered new project's demo as its README says, on a free port.

    The secret is a new random one unless given (to serve a project again as before);
    app_module names the module of the package that holds the app, main unless given.
    """
    block = run_block(project / "README.md")
    port = free_port()
    command = [
        on_port(argument, port).replace(".main:", f".{app_module}:") for argument in block.command
    ]
    secret = secrets.token_urlsafe(48) if secret is None else secret
    log = log_dir / f"{framework}-server.log"
    process = launch(project, command, log, block.secret_env, secret)
    server = DemoServer(
        framework,
        project,
        answers_of(project),
        block.secret_env,
        secret,
        command,
        port,
        process,
        log,
    )
    try:
        server.wait_until_ready()
    except BaseException:
        server.stop()
        raise
    return server
