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
import hmac
from collections.abc import Iterator
from types import ModuleType

import pytest

from bench import apps, codecs, run
from bench.render import Variant, codec_variants, render_all
from bench.run import Settings

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


@pytest.mark.parametrize("framework", ["Flask", "Starlette", "Django"])
def test_apps_read_the_session_and_write_the_cookie(
    modules: dict[Variant, ModuleType], runner: asyncio.Runner, framework: str
) -> None:
    cases = [c for c in run.request_cases(modules, runner) if c.framework == framework]
    kinds = {case.kind for case in cases}
    assert {"plain", "native", "generated"} <= kinds
    for case in cases:
        reply = apps.check(case)
        assert reply.status == 200
        if case.verify_cookie is not None:
            assert len(reply.values("set-cookie")) == 1


def test_a_short_run_reports_every_target_row(
    modules: dict[Variant, ModuleType], runner: asyncio.Runner
) -> None:
    results = run.collect(Settings(rounds=2, batch_ns=20_000), modules, runner)
    report = run.report(results)
    for row in (
        "| json, signed: round trip / floor |",
        "| json, signed: encode / floor encode, decode / floor decode |",
        "| orjson, signed: round trip / floor |",
        "| json, encrypted: round trip / floor |",
        "| cookie length, json signed |",
        "| per-request overhead (read + write) vs native |",
    ):
        assert row in report
    assert "not measured" not in report
    assert "| generated: json, signed |" in report
