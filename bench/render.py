"""Render the template's working tree for the variants the bench measures, and import them."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from copier import run_copy

ROOT = Path(__file__).resolve().parent.parent
PARTIALS = ROOT / "template" / "_partials"
SESSION_FIELDS = {"cart_id": "str", "user_id": "int"}
"""Typed fields of the rendered Session: those of the session the per-request views use."""


@dataclass(frozen=True)
class Variant:
    """One rendering: a framework, a serializer and a mode."""

    framework: str
    serializer: str
    encrypt: bool

    @property
    def mode(self) -> str:
        return "encrypted" if self.encrypt else "signed"

    @property
    def label(self) -> str:
        return f"{self.serializer}, {self.mode}"

    @property
    def package(self) -> str:
        return f"bench_{self.framework}_{self.serializer}_{self.mode}"


def _choices(question: str) -> list[str]:
    spec: dict[str, Any] = yaml.safe_load((ROOT / "copier.yml").read_text())[question]
    values = spec["choices"]
    return [str(value) for value in (values.values() if isinstance(values, dict) else values)]


def available_serializers() -> list[str]:
    """Serializers offered by copier.yml whose partial exists, in copier.yml's order."""
    return [
        name
        for name in _choices("serializer")
        if (PARTIALS / "serializers" / f"{name}.jinja").is_file()
    ]


def available_modes() -> list[bool]:
    """The encrypt answers whose mode partial exists (False: signed, True: encrypted)."""
    return [
        encrypt
        for encrypt, name in ((False, "signed"), (True, "encrypted"))
        if (PARTIALS / "modes" / f"{name}.jinja").is_file()
    ]


def codec_variants(framework: str = "starlette") -> list[Variant]:
    """Every available serializer x mode (the codec is the same for every framework)."""
    return [
        Variant(framework, serializer, encrypt)
        for encrypt in available_modes()
        for serializer in available_serializers()
    ]


def snapshot(destination: Path) -> Path:
    """The template as it is in the working tree, as a plain folder Copier can read."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "copier.yml", destination / "copier.yml")
    shutil.copytree(
        ROOT / "template",
        destination / "template",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return destination


def render(template: Path, variant: Variant, destination: Path) -> Path:
    """Render one variant into destination (a project with only the module and its tests)."""
    run_copy(
        str(template),
        str(destination),
        data={
            "framework": variant.framework,
            "serializer": variant.serializer,
            "encrypt": variant.encrypt,
            "project_kind": "existing",
            "package_path": variant.package,
            "tests_path": f"tests_{variant.package}",
            "session_fields": SESSION_FIELDS,
        },
        defaults=True,
        quiet=True,
    )
    return destination


def render_all(variants: Sequence[Variant], workdir: Path) -> dict[Variant, ModuleType]:
    """Render and import each variant's utilities.session module."""
    template = snapshot(workdir / "template-snapshot")
    modules = {}
    for variant in variants:
        project = render(template, variant, workdir / variant.package)
        sys.path.insert(0, str(project))
        modules[variant] = importlib.import_module(f"{variant.package}.utilities.session")
    return modules
