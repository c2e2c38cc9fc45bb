"""Render the template, check every measured path, time them interleaved, print tables."""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from bench import apps, codecs
from bench.render import Variant, codec_variants, render_all
from bench.timing import (
    RETRIES,
    Batch,
    Measurement,
    Stats,
    difference,
    loop,
    measure,
    progress_bar,
    ratio,
)

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ("encode", "decode", "round trip")
PAYLOADS: dict[str, Callable[[], dict[str, object]]] = {
    "67-byte session": codecs.small_session,
    "1 KB session": codecs.large_session,
}
SMALL = "67-byte session"
FLOOR = codecs.FLOOR
CODEC_FRAMEWORK = "starlette"
"""The framework of the renders whose codecs are measured (the codec is the same in all)."""
REQUEST_FRAMEWORKS = ("flask", "starlette", "django")
OVERHEAD_LIMITS = {"Flask": 0.25, "Starlette": 0.6}


@dataclass(frozen=True)
class Settings:
    """How long to measure: rounds, and the CPU time of one batch of a case."""

    rounds: int
    batch_ns: int


QUICK = Settings(rounds=60, batch_ns=200_000)
FULL = Settings(rounds=500, batch_ns=250_000)


def parse(argv: Sequence[str]) -> Settings:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time the generated session module against the frameworks' own.",
    )
    parser.add_argument("--quick", action="store_true", help="a short, rougher run")
    parser.add_argument("--rounds", type=int, help="rounds of interleaved batches")
    parser.add_argument("--batch-ms", type=float, help="CPU time of one batch, in ms")
    options = parser.parse_args(argv)
    base = QUICK if options.quick else FULL
    return Settings(
        rounds=options.rounds or base.rounds,
        batch_ns=int(options.batch_ms * 1e6) if options.batch_ms else base.batch_ns,
    )


def codec_batches(codec: codecs.Codec, payload: dict[str, object]) -> dict[str, Batch]:
    """Encode, decode (a valid value) and round trip, each as a batch."""
    value = codecs.verify(codec, payload)
    encode, decode = codec.encode, codec.decode
    return {
        "encode": loop(lambda: encode(payload)),
        "decode": loop(lambda: decode(value)),
        "round trip": loop(lambda: decode(encode(payload))),
    }


@dataclass(frozen=True)
class Results:
    """Everything measured in one run."""

    settings: Settings
    codecs: list[codecs.Codec]
    generated: set[str]
    lengths: dict[tuple[str, str], int]
    requests: list[apps.RequestCase]
    measurement: Measurement

    @property
    def stats(self) -> dict[str, Stats]:
        return self.measurement.stats

    def codec(self, name: str, payload: str, operation: str) -> Stats:
        return self.stats[f"{name}|{payload}|{operation}"]

    def to_floor(self, name: str, payload: str, operation: str) -> Stats:
        return ratio(self.codec(name, payload, operation), self.codec(FLOOR, payload, operation))

    def request(self, framework: str, kind: str) -> Stats:
        return self.stats[f"request|{framework}|{kind}"]

    def overhead(self, framework: str, kind: str, baseline: str | None = None) -> Stats:
        """A session view's time minus its plain view's, round by round."""
        if baseline is None:
            baseline = next(
                case.baseline
                for case in self.requests
                if (case.framework, case.kind) == (framework, kind)
            )
        return difference(self.request(framework, kind), self.request(framework, baseline))

    def has_request(self, framework: str, kind: str) -> bool:
        return f"request|{framework}|{kind}" in self.stats


def variants() -> list[Variant]:
    """What to render: each serializer x mode, and each request framework's json signed.

    Serializers and modes come from the partials present; the codecs are measured on
    the CODEC_FRAMEWORK renders, the per-request cost on the json signed one of each
    of REQUEST_FRAMEWORKS whose partial exists.
    """
    frameworks = ROOT / "template" / "_partials" / "frameworks"
    found = codec_variants(CODEC_FRAMEWORK)
    for framework in REQUEST_FRAMEWORKS:
        variant = Variant(framework, "json", False)
        if variant not in found and (frameworks / f"{framework}.jinja").is_file():
            found.append(variant)
    return found


def generated_codecs(modules: dict[Variant, ModuleType]) -> list[codecs.Codec]:
    """The SessionCodec of every serializer x mode rendered, named like "json, signed"."""
    return [
        codecs.generated(variant.label, module)
        for variant, module in modules.items()
        if variant.framework == CODEC_FRAMEWORK
    ]


def request_cases(
    modules: dict[Variant, ModuleType], runner: asyncio.Runner
) -> list[apps.RequestCase]:
    """Every framework's plain, native and generated apps (generated when rendered)."""

    def module(framework: str) -> ModuleType | None:
        return modules.get(Variant(framework, "json", False))

    return [
        *apps.flask_cases(module("flask")),
        *apps.starlette_cases(runner, module("starlette")),
        *apps.django_cases(module("django")),
    ]


def collect(
    settings: Settings,
    modules: dict[Variant, ModuleType],
    runner: asyncio.Runner,
) -> Results:
    """Build and check every case, then time them all together."""
    say = sys.stderr.write
    generated = generated_codecs(modules)
    all_codecs = [*codecs.native_codecs(), *generated]
    cases: dict[str, Batch] = {}
    lengths: dict[tuple[str, str], int] = {}
    for payload_name, make in PAYLOADS.items():
        payload = make()
        for codec in all_codecs:
            lengths[codec.name, payload_name] = len(codecs.verify(codec, payload))
            for operation, batch in codec_batches(codec, payload).items():
                cases[f"{codec.name}|{payload_name}|{operation}"] = batch

    requests = request_cases(modules, runner)
    for case in requests:
        apps.check(case)
        cases[f"request|{case.framework}|{case.kind}"] = case.batch

    say(f"timing {len(cases)} cases in {settings.rounds} interleaved rounds\n")
    started = time.monotonic()
    measurement = measure(
        cases, settings.rounds, settings.batch_ns, progress=progress_bar(settings.rounds)
    )
    say(f"timed in {time.monotonic() - started:.0f} s\n\n")
    names = {codec.name for codec in generated}
    return Results(settings, all_codecs, names, lengths, requests, measurement)


# Report


def micro(nanoseconds: float) -> str:
    """Nanoseconds as microseconds, to 3 significant figures or so."""
    value = nanoseconds / 1000
    return (
        f"{value:.0f}"
        if abs(value) >= 100
        else f"{value:.1f}"
        if abs(value) >= 10
        else f"{value:.2f}"
    )


def times(value: float) -> str:
    return f"{value:.2f}"


def spread(stats: Stats, unit: Callable[[float], str]) -> str:
    return f"{unit(stats.median)} ({unit(stats.p25)}\u2013{unit(stats.p75)})"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def targets(results: Results) -> str:
    """The issue's rows: goal, measured value and whether it is met."""
    rows: list[list[str]] = []

    def row(target: str, goal: str, measured: str, met: bool) -> None:
        rows.append([target, goal, measured, "yes" if met else "**no**"])

    def floor_row(codec: str, operations: Sequence[str], limit: float) -> None:
        label = ", ".join(f"{op} / floor {op}" for op in operations)
        if len(operations) == 1:
            label = f"{operations[0]} / floor"
        goal = f"≤ {limit:.1f}" + (" each" if len(operations) > 1 else "")
        if codec not in results.generated:
            row(f"{codec}: {label}", goal, "not measured: its partial is missing", False)
            return
        measured = [results.to_floor(codec, SMALL, op) for op in operations]
        text = ", ".join(spread(m, times) for m in measured)
        row(f"{codec}: {label}", goal, text, all(m.median <= limit for m in measured))

    floor_row("json, signed", ["round trip"], 1.0)
    floor_row("json, signed", ["encode", "decode"], 1.1)
    floor_row("orjson, signed", ["round trip"], 0.5)
    floor_row("json, encrypted", ["round trip"], 1.0)
    length = results.lengths["json, signed", SMALL]
    floor_length = results.lengths[FLOOR, SMALL]
    row(
        "cookie length, json signed",
        f"≤ the floor's ({floor_length} characters)",
        f"{length} characters",
        length <= floor_length,
    )
    parts, met = [], True
    for framework, limit in OVERHEAD_LIMITS.items():
        if not results.has_request(framework, "generated"):
            parts.append(f"{framework}: not measured")
            met = False
            continue
        generated = results.overhead(framework, "generated").median
        native = results.overhead(framework, "native").median
        versus = f"{micro(generated)} µs vs {micro(native)} µs"
        parts.append(f"{framework} {generated / native:.2f}\u00d7 ({versus})")
        met = met and generated / native <= limit
    goals = ", ".join(f"≤ {limit:g}\u00d7 {name}'s" for name, limit in OVERHEAD_LIMITS.items())
    row("per-request overhead (read + write) vs native", goals, "; ".join(parts), met)
    return table(["target (67-byte session)", "goal", "measured", "met"], rows)


def codec_table(results: Results, payload: str) -> str:
    rows = []
    for codec in results.codecs:
        name = f"generated: {codec.name}" if codec.name in results.generated else codec.name
        rows.append(
            [
                name,
                *(spread(results.codec(codec.name, payload, op), micro) for op in OPERATIONS),
                *(spread(results.to_floor(codec.name, payload, op), times) for op in OPERATIONS),
                str(results.lengths[codec.name, payload]),
            ]
        )
    header = ["codec", "encode µs", "decode µs", "round trip µs"]
    header += ["encode / floor", "decode / floor", "round trip / floor", "cookie chars"]
    return table(header, rows)


VIEWS = {
    "plain": "plain view, no session",
    apps.KEYED_PLAIN: "plain view, SECRET_KEY set",
    "native": "the framework's own session",
    "generated": "generated module",
}


def request_table(results: Results) -> str:
    rows = []
    for case in results.requests:
        request = spread(results.request(case.framework, case.kind), micro)
        if case.verify_cookie is None:
            rows.append([case.framework, VIEWS[case.kind], request, "", "", ""])
            continue
        overhead = results.overhead(case.framework, case.kind)
        native = results.overhead(case.framework, "native").median
        rows.append(
            [
                case.framework,
                VIEWS[case.kind],
                request,
                spread(overhead, micro),
                VIEWS[case.baseline],
                times(overhead.median / native),
            ]
        )
    header = ["framework", "view", "request µs", "overhead µs", "over", "overhead / native"]
    return table(header, rows)


def report(results: Results) -> str:
    settings, measurement = results.settings, results.measurement
    rerun = 100 * measurement.reruns / measurement.batches
    out = [
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{settings.rounds} rounds of interleaved batches of about "
        f"{settings.batch_ns / 1e6:g} ms of CPU each ({rerun:.0f}% of batches run again "
        "because the process was descheduled during them, "
        f"{measurement.kept_descheduled} kept after {RETRIES} tries). Times are per "
        "operation, in µs: median (25th\u201375th percentile over the rounds). Ratios to the "
        "floor are taken round by round, then summarised the same way; overheads are a "
        "session view's time minus its plain view's, round by round. All figures come "
        "from this one run: compare ratios, not absolute times across runs.",
        "",
        targets(results),
    ]
    for payload in PAYLOADS:
        out += ["", f"Codecs, {payload}:", "", codec_table(results, payload)]
    out += [
        "",
        "Per request (a view that reads the session and writes one key, vs a plain view):",
        "",
        request_table(results),
    ]
    if results.has_request("Flask", "generated"):
        deployed = results.overhead("Flask", "generated", "plain").median
        native = results.overhead("Flask", "native").median
        out += [
            "",
            "With SECRET_KEY set, Flask opens its own session on every request, whether "
            "the view uses it or not (here it also tries to read the generated cookie, "
            "which has the same default name, and refuses it). So the generated module's "
            "overhead is measured against a plain view of the same app, sent the same "
            "cookie. Counted from a Flask app without SECRET_KEY, it is "
            f"{micro(deployed)} µs ({deployed / native:.2f}\u00d7 Flask's own session).",
        ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse(sys.argv[1:] if argv is None else argv)
    wanted = variants()
    with tempfile.TemporaryDirectory(prefix="copier-session-bench-") as workdir:
        sys.stderr.write(f"rendering {len(wanted)} variants of the template\n")
        modules = render_all(wanted, Path(workdir))
        with asyncio.Runner() as runner:
            results = collect(settings, modules, runner)
    print(report(results))
    return 0
