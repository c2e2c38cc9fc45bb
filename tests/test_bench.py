"""The bench times working code: every codec and app it measures does its job.

Nothing here is timed. Each codec the bench measures (the frameworks' own, the
floor, and the generated SessionCodec of every serializer and mode rendered) must
decode what it encoded and refuse a tampered value; each app it calls must answer
with the session it read and a cookie holding what it wrote. A path that breaks
fails here instead of being measured.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import hmac
import sys
from collections.abc import Iterator
from types import FrameType, ModuleType

import pytest

from bench import apps, codecs, run
from bench.codecs import BenchError
from bench.render import Variant, codec_variants, render_all
from bench.run import Settings
from bench.views import (
    MEASURED,
    SEED,
    SESSION_VIEWS,
    STORED_SESSION,
    generated_views,
    native_views,
)

pytestmark = pytest.mark.xdist_group("bench")

GENERATED = [variant.label for variant in codec_variants(run.CODEC_FRAMEWORK)]
PAYLOADS = list(run.PAYLOADS)


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory) -> dict[Variant, ModuleType]:
    """The variants the bench renders, rendered and imported."""
    return render_all(run.variants(), tmp_path_factory.mktemp("bench"))


@pytest.fixture(scope="module")
def measured(modules: dict[Variant, ModuleType]) -> dict[str, codecs.Codec]:
    """Every codec the bench measures, by name."""
    every = [*codecs.native_codecs(), *run.generated_codecs(modules)]
    return {codec.name: codec for codec in every}


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as runner:
        yield runner


def tampered(value: str) -> str:
    """value with its middle character changed."""
    middle = len(value) // 2
    replacement = "B" if value[middle] == "A" else "A"
    return value[:middle] + replacement + value[middle + 1 :]


def test_the_bench_measures_every_native_and_generated_codec(
    measured: dict[str, codecs.Codec],
) -> None:
    assert list(measured) == [*codecs.NATIVE_NAMES, *GENERATED]
    assert {"json, signed", "json, encrypted"} <= set(GENERATED)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("name", [*codecs.NATIVE_NAMES, *GENERATED])
def test_codec_decodes_what_it_encoded(
    measured: dict[str, codecs.Codec], name: str, payload: str
) -> None:
    codec = measured[name]
    session = run.PAYLOADS[payload]()
    value = codecs.verify(codec, session)
    assert value.isascii()
    assert codec.decode(value) == session


@pytest.mark.parametrize("name", [*codecs.NATIVE_NAMES, *GENERATED])
def test_codec_refuses_a_tampered_value(measured: dict[str, codecs.Codec], name: str) -> None:
    codec = measured[name]
    session = codecs.small_session()
    value = codec.encode(session)
    try:
        decoded = codec.decode(tampered(value))
    except Exception:  # the frameworks' codecs raise (BadSignature and the like)
        return
    assert decoded != session
    assert not decoded


def test_small_session_is_67_bytes_and_large_about_1_kb() -> None:
    assert codecs.compact_size(codecs.small_session()) == 67
    assert 950 <= codecs.compact_size(codecs.large_session()) <= 1100


def test_generated_signed_cookie_carries_a_true_hmac_sha256(
    modules: dict[Variant, ModuleType],
) -> None:
    module = modules[Variant(run.CODEC_FRAMEWORK, "json", False)]
    codec = codecs.generated("json, signed", module)
    value = codec.encode(codecs.small_session())
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    body, mac = raw[:-32], raw[-32:]
    key = module._derive_key(codecs.SECRET.encode(), "signed")
    assert mac == hmac.digest(key, body, "sha256")


def test_the_module_s_hmac_is_the_stdlib_s(modules: dict[Variant, ModuleType]) -> None:
    macs = codecs.macs(modules[Variant(run.CODEC_FRAMEWORK, "json", False)])
    assert list(macs) == [codecs.MODULE_MAC, codecs.STDLIB_MAC, codecs.DIGEST_MAC]
    for message in (run.MAC_MESSAGE, b"", 200 * b"x"):
        assert len({mac(message) for mac in macs.values()}) == 1


def module_code_run(case: apps.RequestCase, files: set[str | None]) -> set[str]:
    """The functions of the generated modules that one call of the case runs: none for an
    app measured as having no module, or its figures would not start from zero."""
    ran: set[str] = set()

    def record(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_filename in files:
            ran.add(frame.f_code.co_name)

    sys.setprofile(record)
    try:
        case.call()
    finally:
        sys.setprofile(None)
    return ran


@pytest.fixture(scope="module")
def requests(modules: dict[Variant, ModuleType], runner: asyncio.Runner) -> list[apps.RequestCase]:
    return run.request_cases(modules, runner)


@pytest.mark.parametrize("framework", apps.FRAMEWORKS, ids=lambda framework: framework.label)
def test_apps_do_the_work_they_are_measured_for(
    requests: list[apps.RequestCase],
    modules: dict[Variant, ModuleType],
    framework: apps.Framework,
) -> None:
    cases = [case for case in requests if case.framework == framework.label]
    sessions = [apps.NATIVE, apps.GENERATED] if framework.native else [apps.GENERATED]
    expected = [f"{apps.NONE} plain"] + ([f"{apps.KEYED} plain"] if framework.keyed else [])
    expected += [f"{apps.HOOKS} plain"] if framework.hooks else []
    expected += [f"{session} {view}" for session in sessions for view in SESSION_VIEWS]
    assert [case.kind for case in cases] == expected
    module_files = {module.__file__ for module in modules.values()}
    for case in cases:
        ran = module_code_run(case, module_files)
        assert bool(ran) == (case.session == apps.GENERATED), (case.kind, ran)
        if case.session == apps.GENERATED:  # the Cookie header is scanned only when read
            assert ("_cookie_in_header" in ran) == (case.view != "untouched"), (case.kind, ran)
        reply = apps.check(case)
        cookies = reply.values("set-cookie")
        if case.session == apps.GENERATED:
            assert len(cookies) == (1 if case.view == "write" else 0)
        if case.view in ("read", "write"):
            assert reply.body.decode() == STORED_SESSION["cart_id"]


def states_in_cycles(case: apps.RequestCase, calls: int = 5) -> int:
    """How many of the module's request states that calls of the case leave in a
    reference cycle of their own (one that leads from the state back to it), which only
    the cycle collector frees. A state merely held by a framework object that is in a
    cycle (Sanic's requests are) does not count."""
    case.call()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    gc.disable()
    try:
        for _ in range(calls):
            case.call()
        gc.collect()
        garbage = list(gc.garbage)
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()
    collected = {id(item) for item in garbage}
    states = [item for item in garbage if type(item).__name__ == "_RequestState"]
    return sum(reaches_itself(state, collected) for state in states)


def reaches_itself(start: object, among: set[int]) -> bool:
    """Whether start is reachable from itself through objects whose ids are among."""
    seen: set[int] = set()
    pending = list(gc.get_referents(start))
    while pending:
        item = pending.pop()
        if item is start:
            return True
        if id(item) in among and id(item) not in seen:
            seen.add(id(item))
            pending.extend(gc.get_referents(item))
    return False


@pytest.mark.parametrize("framework", apps.FRAMEWORKS, ids=lambda framework: framework.label)
def test_the_module_s_state_is_in_no_reference_cycle(
    requests: list[apps.RequestCase], framework: apps.Framework
) -> None:
    """A request's session state is freed when the request is, not left for the cycle
    collector: the state keeps what it reads the cookie from, never the request that
    holds it."""
    for case in requests:
        if case.framework == framework.label and case.session == apps.GENERATED:
            assert states_in_cycles(case) == 0, case.kind


@pytest.mark.parametrize("session", [apps.NATIVE, apps.GENERATED])
def test_check_refuses_a_view_that_skips_the_work(
    modules: dict[Variant, ModuleType], runner: asyncio.Runner, session: str
) -> None:
    """An app whose view only reads, or touches nothing, is not timed as one that writes."""
    module = modules[Variant("starlette", "json", False)]
    context = apps.Context(runner, module)
    for view, message in (("read", "does not hold the written"), ("untouched", "body")):
        routes = native_views(view) if session == apps.NATIVE else generated_views(module, view)
        serve = apps.starlette_app(context, session, routes)
        cookie = apps.cookie_header(serve(SEED, None)[0]().values("set-cookie"))
        call, batch = serve(MEASURED, cookie)
        wrong = apps.RequestCase("Starlette", session, "write", call, batch, cookie)
        with pytest.raises(BenchError, match=message):
            apps.check(wrong)


def test_a_short_run_reports_every_target_row(
    modules: dict[Variant, ModuleType], runner: asyncio.Runner
) -> None:
    settings = Settings(rounds=2, batch_ns=20_000, request_batch_ns=20_000, runs=2)
    bench = run.prepare(modules, runner)
    runs = [run.run(settings, bench, seed) for seed in range(settings.runs)]
    report = run.report(runs)
    labels = [framework.label for framework in apps.FRAMEWORKS]
    assert [line.framework for line in run.headlines(runs[0])] == labels
    for label in labels:  # the headline, the spread over runs, and each of its apps
        assert report.count(f"| {label} |") >= 3
    for row in (
        "| json, signed: round trip / floor |",
        "| json, signed: encode / floor encode, decode / floor decode |",
        "| orjson, signed: round trip / floor |",
        "| json, encrypted: round trip / floor |",
        "| cookie length, json signed |",
        f"| {codecs.MODULE_MAC} / {codecs.STDLIB_MAC} (76-byte message) |",
    ):
        assert row in report
    assert "not measured" not in report
    assert "| generated: json, signed |" in report
    assert "SECRET_KEY set" in report
