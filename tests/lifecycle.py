"""Helpers for the lifecycle tests: the copier CLI, git, template releases, file snapshots."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

import yaml

from bench.render import snapshot
from helpers import files_under, run, tool

ANSWERS_FILE = ".copier-answers.session.yml"
SESSION_TEMPLATE = Path("template", "{{ package_path }}", "utilities", "session.py.jinja")

# A fixed identity and no user or system git configuration, so git and Copier's own
# commits behave the same on any machine.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Lifecycle Test",
    "GIT_AUTHOR_EMAIL": "lifecycle@example.com",
    "GIT_COMMITTER_NAME": "Lifecycle Test",
    "GIT_COMMITTER_EMAIL": "lifecycle@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
# Bytecode of the dev environment, cached for the tools these tests start (each start of
# the copier CLI otherwise compiles Copier and its dependencies again when bytecode
# writing is off), outside the environment itself.
PYCACHE = Path(tempfile.gettempdir(), f"copier-session-pycache-{os.getuid()}")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def tool_env(**extra: str) -> dict[str, str]:
    """Variables to set, over os.environ, for a tool of the dev environment."""
    cache = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    return {**GIT_ENV, **cache, **extra}


def plain(text: str) -> str:
    """Text without ANSI colour codes."""
    return _ANSI.sub("", text)


def copier(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the copier CLI as a script would: no terminal, stdin closed, colours stripped."""
    done = subprocess.run(
        [tool("copier"), *args],
        cwd=cwd,
        env={**os.environ, **tool_env()},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, plain(done.stdout), plain(done.stderr)
    )


def git(repo: Path, *args: str) -> str:
    """Run git in repo, fail the test if it fails, and return its output."""
    done = run(["git", *args], cwd=repo, env=GIT_ENV)
    assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr}"
    return done.stdout


def commit_all(repo: Path, message: str) -> None:
    """Stage everything in repo (a new repository if it is not one yet) and commit it."""
    if not (repo / ".git").exists():
        git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-verify", "--message", message)


def import_root(project: Path) -> Path:
    """The folder a copied project's package imports from, read from its answers:
    package_path less import_path's folders."""
    answers = yaml.safe_load((project / ANSWERS_FILE).read_text())
    folders = str(answers["package_path"]).split("/")
    depth = len(str(answers["import_path"]).split("."))
    return project.joinpath(*folders[: len(folders) - depth])


def project_files(root: Path) -> dict[str, bytes]:
    """Every file of a project outside .git, by POSIX path, with its bytes."""
    return {
        name: (root / name).read_bytes()
        for name in files_under(root)
        if not name.startswith(".git/")
    }


def write_files(root: Path, files: dict[str, bytes]) -> None:
    """Create files (and their folders) under root."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def template_repository(path: Path, tag: str) -> Path:
    """A git repository of the template as it is in the working tree, tagged as a release."""
    snapshot(path)
    commit_all(path, f"Release {tag}")
    git(path, "tag", tag)
    return path


def release(repository: Path, tag: str, old: str, new: str) -> None:
    """Change one line of the session module template, commit it and tag the release."""
    module = repository / SESSION_TEMPLATE
    text = module.read_text()
    assert text.count(old) == 1, f"{old!r} is not exactly once in {SESSION_TEMPLATE}"
    module.write_text(text.replace(old, new))
    commit_all(repository, f"Release {tag}")
    git(repository, "tag", tag)
