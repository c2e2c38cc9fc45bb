"""The generated tests catch real bugs: each mutation of a rendered module makes them fail.

For several frameworks and both modes, a module is rendered, and for every mutation
a copy of it gets one exact snippet replaced; the project's own generated tests must
then fail. All mutants of one framework and mode, and the unmutated module, run in one
pytest process, each as its own package.

A mutation names where its snippet is today. Where it should be and is not (the code
changed), its test fails and says so; where it is and the mutation does not say so, the
list fails too: the list is kept current either way. A new mutation is one entry.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from helpers import ROOT, plugins_of, run_rendered_tests

FRAMEWORKS = ("flask", "fastapi", "django", "aiohttp")
"""One framework per kind of glue: Werkzeug's (Flask, Quart), the ASGI middleware (FastAPI,
Starlette, Litestar), Django's middleware, aiohttp's; the codec is the same in all."""
MODES = ("signed", "encrypted")
MODULE = Path("utilities", "session.py")
TARGET = "mutation_target"
OUTCOMES = ("passed", "failed", "skipped")


@dataclass(frozen=True)
class Mutation:
    """One bug: the rendered module's exact snippet old, replaced by new."""

    name: str
    old: str
    new: str
    frameworks: tuple[str, ...] = FRAMEWORKS
    modes: tuple[str, ...] = MODES

    def applies(self, framework: str, mode: str) -> bool:
        return framework in self.frameworks and mode in self.modes


MUTATIONS = [
    Mutation("expiry check removed", "if expires <= now or ", "if ", modes=("signed",)),
    Mutation(
        "expiry check removed",
        "_ENCRYPTED_VERSION_BYTE or expires <= now:",
        "_ENCRYPTED_VERSION_BYTE:",
        modes=("encrypted",),
    ),
    Mutation(
        "size limit doubled",
        "if len(header) > MAX_COOKIE_BYTES:",
        "if len(header) > 2 * MAX_COOKIE_BYTES:",
    ),
    Mutation(
        "size limit halved",
        "if len(header) > MAX_COOKIE_BYTES:",
        "if len(header) > MAX_COOKIE_BYTES // 2:",
    ),
    Mutation(
        "Vary dropped",
        'fields.append("Cookie")',
        "pass",
        frameworks=("flask", "fastapi", "aiohttp", "django"),
    ),
    Mutation(
        "Cache-Control merge dropping no-store",
        'dropped = ("public", "private", "must-revalidate")',
        'dropped = ("public", "private", "must-revalidate", "no-store")',
        frameworks=("flask", "fastapi", "aiohttp", "django"),
    ),
    Mutation(
        "fallback secrets ignored",
        "return SessionCodec(current, old)",
        "return SessionCodec(current, ())",
    ),
    Mutation("Secure dropped", "; HttpOnly; Secure", "; HttpOnly"),
    Mutation(
        "exact cookie-name matching loosened",
        'key.strip(" \\t") == COOKIE_NAME',
        "key.strip() == COOKIE_NAME",
    ),
    Mutation(
        "the nonce fixed",
        "nonce = os.urandom(_NONCE_BYTES)",
        "nonce = bytes(_NONCE_BYTES)",
        modes=("encrypted",),
    ),
    Mutation(
        "get_session returning the internal dict",
        "return _state().read().copy()",
        "return _state().read()",
    ),
    Mutation(
        "canonical base64 checking removed",
        "tail and data[-1:] not in _CANONICAL_LAST[tail]",
        "False",
    ),
    Mutation(
        "a write after the response started accepted",
        "        if self.sent:\n",
        "        if False:\n",
    ),
    Mutation(
        "a decoded value of the wrong type let through",
        "session: Session = _typed(decoded) if decoded else {}",
        "session = cast(Session, decoded)",
    ),
    Mutation(
        "the scope-type guard removed",
        'if scope["type"] != "http":',
        "if False:",
        frameworks=("fastapi",),
    ),
]


@dataclass
class Mutants:
    """One framework and mode: the unmutated module and every mutant, tested."""

    module: str
    tests: dict[str, dict[str, int]] = field(default_factory=dict)
    output: str = ""


def package(index: int | None) -> str:
    return TARGET if index is None else f"mutant_{index}"


def copy_project(pristine: Path, base: Path, index: int | None) -> None:
    """The rendered package and its tests as package(index), mutated by MUTATIONS[index]."""
    name = package(index)
    for folder in (name, f"tests_{name}"):
        source = pristine / folder.replace(name, TARGET)
        shutil.copytree(source, base / folder, ignore=shutil.ignore_patterns("__pycache__"))
        for path in (base / folder).rglob("*.py"):
            path.write_text(path.read_text().replace(TARGET, name))
    if index is not None:
        mutation = MUTATIONS[index]
        module = base / name / MODULE
        module.write_text(module.read_text().replace(mutation.old, mutation.new))


@pytest.fixture(scope="session")
def mutants(
    render: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str, str], Mutants]]:
    """Render, mutate and test one framework and mode, once per test session."""
    built: dict[tuple[str, str], Mutants] = {}

    def build(framework: str, mode: str) -> Mutants:
        if (framework, mode) not in built:
            pristine = render(
                framework=framework,
                encrypt=mode == "encrypted",
                project_kind="existing",
                package_path=TARGET,
                tests_path=f"tests_{TARGET}",
            )
            base = tmp_path_factory.mktemp(f"mutants-{framework}-{mode}")
            module = (pristine / TARGET / MODULE).read_text()
            result = Mutants(module)
            copy_project(pristine, base, None)
            for index, mutation in enumerate(MUTATIONS):
                if mutation.applies(framework, mode) and module.count(mutation.old) == 1:
                    copy_project(pristine, base, index)
            tested, outcomes = run_rendered_tests(
                sorted(base.glob("tests_*")),
                base,
                f"{base}:{ROOT / 'tests'}",
                "-p",
                "first_failure",
                plugins=plugins_of([framework]),
            )
            result.output = tested.stdout[-4000:] + tested.stderr[-2000:]
            for outcome in outcomes:
                folder = outcome.file.relative_to(base.resolve()).parts[0]
                result.tests.setdefault(folder, dict.fromkeys(OUTCOMES, 0))[outcome.result] += 1
            built[framework, mode] = result
        return built[framework, mode]

    yield build


def group(framework: str, mode: str) -> pytest.MarkDecorator:
    return pytest.mark.xdist_group(f"mutants-{framework}-{mode}")


PAIRS = [
    pytest.param(framework, mode, id=f"{framework}-{mode}", marks=group(framework, mode))
    for framework in FRAMEWORKS
    for mode in MODES
]
CASES: list[Any] = [
    pytest.param(
        framework,
        mode,
        index,
        id=f"{framework}-{mode}-{mutation.name}",
        marks=group(framework, mode),
    )
    for framework in FRAMEWORKS
    for mode in MODES
    for index, mutation in enumerate(MUTATIONS)
    if mutation.applies(framework, mode)
]


@pytest.mark.parametrize(("framework", "mode"), PAIRS)
def test_unmutated_module_passes_its_tests(
    framework: str, mode: str, mutants: Callable[[str, str], Mutants]
) -> None:
    built = mutants(framework, mode)
    outcome = built.tests.get(f"tests_{TARGET}", dict.fromkeys(OUTCOMES, 0))
    assert outcome["failed"] == outcome["skipped"] == 0, built.output
    assert outcome["passed"] > 0, built.output


@pytest.mark.parametrize(("framework", "mode", "index"), CASES)
def test_mutation_makes_the_generated_tests_fail(
    framework: str, mode: str, index: int, mutants: Callable[[str, str], Mutants]
) -> None:
    mutation = MUTATIONS[index]
    built = mutants(framework, mode)
    found = built.module.count(mutation.old)
    assert found == 1, (
        f"mutation {mutation.name!r}: its snippet {mutation.old!r} is no longer once in the "
        f"{framework} {mode} module; update MUTATIONS to the code"
    )
    outcome = built.tests.get(f"tests_{package(index)}", dict.fromkeys(OUTCOMES, 0))
    assert outcome["failed"] > 0, f"mutation {mutation.name!r} survived: {outcome}"


@pytest.mark.parametrize(("framework", "mode"), PAIRS)
def test_every_mutation_that_fits_the_code_is_listed_for_it(
    framework: str, mode: str, mutants: Callable[[str, str], Mutants]
) -> None:
    module = mutants(framework, mode).module
    unlisted = [
        mutation.name
        for mutation in MUTATIONS
        if not mutation.applies(framework, mode) and mutation.old in module
    ]
    assert unlisted == [], f"these mutations now fit the {framework} {mode} module: list it"
