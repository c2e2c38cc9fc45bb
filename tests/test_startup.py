"""A demo served without its secret never comes up as a healthy server.

Where the server has a start-up phase the module takes part in, the server stops at
start-up with SessionConfigError naming the setting, and a single worker exits
non-zero. With several uvicorn workers, a failed lifespan start-up (Starlette, FastAPI)
makes the supervisor exit with status 0, and an error while importing the app
(Litestar builds its middleware when the app is made) makes it restart workers until
stopped: uvicorn's own choices; either way nothing is ever served.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import FRAMEWORKS
from servers import free_port, launch, on_port, run_block

EXIT_SECONDS = 60.0
WATCH_SECONDS = 5.0
STOPPED_AT_START_UP = {"starlette", "fastapi", "litestar"}
"""The frameworks whose server refuses to start without a secret."""
RESTARTS_WORKERS = {"litestar"}
"""Those whose error comes while uvicorn imports the app in each worker."""

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def exited(process: subprocess.Popen[bytes], seconds: float) -> int | None:
    """The exit status of a server, or None if it still runs after seconds (then it is
    stopped, with its whole process group)."""
    try:
        return process.wait(seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return None


@pytest.mark.parametrize(
    "framework",
    [
        pytest.param(name, marks=pytest.mark.xdist_group(f"demo-{name}"))
        for name in FRAMEWORKS
        if name in STOPPED_AT_START_UP
    ],
)
@pytest.mark.parametrize("workers", ["as in the README", "one worker"])
def test_missing_secret_stops_the_server_at_start_up(
    render: Any, tmp_path: Path, framework: str, workers: str
) -> None:
    project = render(framework=framework, project_kind="new")
    block = run_block(project / "README.md")
    port = free_port()
    command = [on_port(argument, port) for argument in block.command]
    if workers == "one worker":
        command = re.sub(r"--workers \d+", "--workers 1", " ".join(command)).split()
    log = tmp_path / "server.log"
    process = launch(project, command, log, block.secret_env, None)
    keeps_restarting = workers != "one worker" and framework in RESTARTS_WORKERS
    if keeps_restarting:
        time.sleep(WATCH_SECONDS)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
    status = exited(process, WATCH_SECONDS if keeps_restarting else EXIT_SECONDS)
    output = log.read_text(errors="replace")
    assert "SessionConfigError" in output, output[-3000:]
    assert "SESSION_SECRET" in output, output[-3000:]
    if keeps_restarting:
        assert status is None, output[-3000:]
    elif workers == "one worker":
        assert status not in (None, 0), output[-3000:]
    else:
        assert status is not None, f"still serving without a secret:\n{output[-3000:]}"
