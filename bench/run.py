"""Render the template, check every measured path, time them interleaved, print tables."""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from bench import apps, codecs
from bench.profile import profile
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


REFERENCE = "json, signed"
"""The generated codec the per-request overheads are compared with (the requests' own)."""
UNTOUCHED_LIMIT_NS = 1000
READ_LIMIT = 1.5
WRITE_LIMIT = 2.0
NATIVE_LIMIT = 0.3
MAC_LIMIT = 0.95
"""The module keeps its own HMAC only while it takes at most this share of the stdlib's."""
MAC_MESSAGE = (
    codecs.FLOOR_HEADER.size * b"\x02" + b'{"cart_id":"' + 36 * b"0" + b'","user_id":123456}'
)
"""What the module signs for the 67-byte session: a 9-byte header and the JSON."""


@dataclass(frozen=True)
class Settings:
    """How long to measure: rounds, the CPU time of one batch of a codec or request, runs."""

    rounds: int
    batch_ns: int
    request_batch_ns: int
    runs: int
    profile: tuple[str, ...] = ()
    """Apps to profile instead of timing anything, as "framework|kind"."""


QUICK = Settings(rounds=12, batch_ns=200_000, request_batch_ns=1_000_000, runs=1)
FULL = Settings(rounds=60, batch_ns=1_000_000, request_batch_ns=5_000_000, runs=3)


def parse(argv: Sequence[str]) -> Settings:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time the generated session module against the frameworks' own.",
    )
    parser.add_argument("--quick", action="store_true", help="a short, rougher run")
    parser.add_argument("--rounds", type=int, help="rounds of interleaved batches")
    parser.add_argument("--batch-ms", type=float, help="CPU time of one codec batch, in ms")
    parser.add_argument("--request-batch-ms", type=float, help="the same for a request batch")
    parser.add_argument("--runs", type=int, help="independent runs, for their spread")
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="FRAMEWORK|KIND",
        help='profile one app instead, such as "Falcon|generated write" (repeatable)',
    )
    options = parser.parse_args(argv)
    base = QUICK if options.quick else FULL

    def nanoseconds(ms: float | None, default: int) -> int:
        return int(ms * 1e6) if ms else default

    return Settings(
        rounds=options.rounds or base.rounds,
        batch_ns=nanoseconds(options.batch_ms, base.batch_ns),
        request_batch_ns=nanoseconds(options.request_batch_ms, base.request_batch_ns),
        runs=options.runs or base.runs,
        profile=tuple(options.profile),
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


def variants() -> list[Variant]:
    """What to render: each serializer x mode, and each framework's json signed.

    Serializers and modes come from the partials present; the codecs are measured on
    the CODEC_FRAMEWORK renders, the per-request cost on the json signed one of each
    of apps.FRAMEWORKS whose partial exists.
    """
    frameworks = ROOT / "template" / "_partials" / "frameworks"
    found = codec_variants(CODEC_FRAMEWORK)
    for framework in apps.FRAMEWORKS:
        variant = Variant(framework.name, "json", False)
        if variant not in found and (frameworks / f"{framework.name}.jinja").is_file():
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
    modules: dict[Variant, ModuleType], runner: asyncio.Runner, touchup: bool = False
) -> list[apps.RequestCase]:
    """Every framework's plain, native and generated apps (generated when rendered), with
    Sanic's TouchUp if asked (apps.Context.touchup)."""
    return [
        case
        for framework in apps.FRAMEWORKS
        for case in apps.framework_cases(
            framework,
            apps.Context(runner, modules.get(Variant(framework.name, "json", False)), touchup),
        )
    ]


@dataclass(frozen=True)
class Bench:
    """Everything to measure, built and checked once for every run."""

    codecs: list[codecs.Codec]
    generated: set[str]
    lengths: dict[tuple[str, str], int]
    requests: list[apps.RequestCase]
    cases: dict[str, Batch]


def prepare(modules: dict[Variant, ModuleType], runner: asyncio.Runner) -> Bench:
    """Build and check every codec, MAC and app."""
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
    reference = modules[Variant(CODEC_FRAMEWORK, "json", False)]
    macs = codecs.macs(reference)
    if len({mac(MAC_MESSAGE) for mac in macs.values()}) != 1:
        raise codecs.BenchError(f"the HMACs disagree: {macs}")
    for name, mac in macs.items():
        cases[f"mac|{name}"] = loop(functools.partial(mac, MAC_MESSAGE))
    requests = request_cases(modules, runner, touchup=True)
    for case in requests:
        apps.check(case)
        cases[request_key(case.framework, case.kind)] = case.batch
    return Bench(all_codecs, {codec.name for codec in generated}, lengths, requests, cases)


def request_key(framework: str, kind: str) -> str:
    return f"request|{framework}|{kind}"


@dataclass(frozen=True)
class Results:
    """One run's measurement of everything a Bench holds."""

    settings: Settings
    bench: Bench
    measurement: Measurement

    @property
    def stats(self) -> dict[str, Stats]:
        return self.measurement.stats

    def codec(self, name: str, payload: str, operation: str) -> Stats:
        return self.stats[f"{name}|{payload}|{operation}"]

    def to_floor(self, name: str, payload: str, operation: str) -> Stats:
        return ratio(self.codec(name, payload, operation), self.codec(FLOOR, payload, operation))

    def mac(self, name: str) -> Stats:
        return self.stats[f"mac|{name}"]

    def request(self, framework: str, kind: str) -> Stats:
        return self.stats[request_key(framework, kind)]

    def overhead(self, framework: str, kind: str) -> Stats:
        """A session app's time minus the plain app's (no session at all), round by round."""
        return difference(self.request(framework, kind), self.request(framework, PLAIN))

    def has_request(self, framework: str, kind: str) -> bool:
        return request_key(framework, kind) in self.stats


def run(settings: Settings, bench: Bench, seed: int) -> Results:
    """Time every case of bench together, interleaved."""
    say = sys.stderr.write
    say(f"run {seed + 1}: timing {len(bench.cases)} cases in {settings.rounds} rounds\n")
    started = time.monotonic()

    def batch_ns(name: str) -> int:
        requested = name.startswith("request|")
        return settings.request_batch_ns if requested else settings.batch_ns

    measurement = measure(
        bench.cases, settings.rounds, batch_ns, seed, progress_bar(settings.rounds)
    )
    say(f"timed in {time.monotonic() - started:.0f} s\n")
    return Results(settings, bench, measurement)


# Report

PLAIN = f"{apps.NONE} {apps.PLAIN_VIEW}"
KEYED_PLAIN = f"{apps.KEYED} {apps.PLAIN_VIEW}"
HOOKS_PLAIN = f"{apps.HOOKS} {apps.PLAIN_VIEW}"


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


def judged(text: str, met: bool) -> str:
    """A measured figure, in bold with a cross when it misses its target."""
    return text if met else f"**{text} \u2717**"


@dataclass(frozen=True)
class Headline:
    """One framework's per-request figures for the targets, from one run."""

    framework: str
    plain: Stats
    hooks: Stats | None
    """What no-op hooks of the kind the module installs add (None: it installs none)."""
    untouched: Stats
    read: Stats
    read_to_decode: Stats
    write: Stats
    write_to_round_trip: Stats
    native_write: Stats | None
    to_native: Stats | None

    @property
    def ratios(self) -> dict[str, float | None]:
        """The headline ratios' medians (the untouched overhead in µs)."""
        return {
            "untouched µs": self.untouched.median / 1000,
            "read ÷ decode": self.read_to_decode.median,
            "read + write ÷ round trip": self.write_to_round_trip.median,
            "÷ native": None if self.to_native is None else self.to_native.median,
        }


def headlines(results: Results) -> list[Headline]:
    """Every framework whose generated module was measured."""
    decode = results.codec(REFERENCE, SMALL, "decode")
    round_trip = results.codec(REFERENCE, SMALL, "round trip")
    found = []
    for framework in apps.FRAMEWORKS:
        name = framework.label
        if not results.has_request(name, f"{apps.GENERATED} write"):
            continue
        read = results.overhead(name, f"{apps.GENERATED} read")
        write = results.overhead(name, f"{apps.GENERATED} write")
        native = results.overhead(name, f"{apps.NATIVE} write") if framework.native else None
        found.append(
            Headline(
                name,
                results.request(name, PLAIN),
                results.overhead(name, HOOKS_PLAIN) if framework.hooks else None,
                results.overhead(name, f"{apps.GENERATED} untouched"),
                read,
                ratio(read, decode),
                write,
                ratio(write, round_trip),
                native,
                None if native is None else ratio(write, native),
            )
        )
    return found


def headline_table(results: Results) -> str:
    rows = []
    for line in headlines(results):
        native = "none"
        if line.native_write is not None and line.to_native is not None:
            native = f"{micro(line.native_write.median)}: " + judged(
                times(line.to_native.median), line.to_native.median <= NATIVE_LIMIT
            )
        rows.append(
            [
                line.framework,
                micro(line.plain.median),
                "none" if line.hooks is None else micro(line.hooks.median),
                judged(micro(line.untouched.median), line.untouched.median <= UNTOUCHED_LIMIT_NS),
                f"{micro(line.read.median)}: "
                + judged(
                    times(line.read_to_decode.median), line.read_to_decode.median <= READ_LIMIT
                ),
                f"{micro(line.write.median)}: "
                + judged(
                    times(line.write_to_round_trip.median),
                    line.write_to_round_trip.median <= WRITE_LIMIT,
                ),
                native,
            ]
        )
    decode = micro(results.codec(REFERENCE, SMALL, "decode").median)
    round_trip = micro(results.codec(REFERENCE, SMALL, "round trip").median)
    header = [
        "framework",
        "plain app µs",
        "no-op hooks: overhead µs",
        f"untouched view: overhead µs (goal ≤ {UNTOUCHED_LIMIT_NS / 1000:g})",
        f"read: overhead µs: ÷ decode ({decode} µs; goal ≤ {READ_LIMIT:g})",
        f"read + write: overhead µs: ÷ round trip ({round_trip} µs; goal ≤ {WRITE_LIMIT:g})",
        f"native read + write: overhead µs: module ÷ native (goal ≤ {NATIVE_LIMIT:g})",
    ]
    return table(header, rows)


def spread_table(runs: Sequence[Results]) -> str:
    """Each headline ratio's median in every run: how repeatable the headline is."""
    per_run = [headlines(results) for results in runs]
    rows = []
    for lines in zip(*per_run, strict=True):
        cells = [lines[0].framework]
        for key in lines[0].ratios:
            values = [line.ratios[key] for line in lines]
            known = [value for value in values if value is not None]
            cells.append(
                f"{min(known):.2f}\u2013{max(known):.2f} ("
                + ", ".join(f"{value:.2f}" for value in known)
                + ")"
                if known
                else "none"
            )
        rows.append(cells)
    return table(["framework", *per_run[0][0].ratios], rows)


def codec_targets(results: Results) -> str:
    """The codec's rows: goal, measured value and whether it is met."""
    rows: list[list[str]] = []

    def row(target: str, goal: str, measured: str, met: bool) -> None:
        rows.append([target, goal, measured, "yes" if met else "**no**"])

    def floor_row(codec: str, operations: Sequence[str], limit: float) -> None:
        label = ", ".join(f"{op} / floor {op}" for op in operations)
        if len(operations) == 1:
            label = f"{operations[0]} / floor"
        goal = f"≤ {limit:.1f}" + (" each" if len(operations) > 1 else "")
        if codec not in results.bench.generated:
            row(f"{codec}: {label}", goal, "not measured: its partial is missing", False)
            return
        measured = [results.to_floor(codec, SMALL, op) for op in operations]
        text = ", ".join(spread(m, times) for m in measured)
        row(f"{codec}: {label}", goal, text, all(m.median <= limit for m in measured))

    floor_row("json, signed", ["round trip"], 1.0)
    floor_row("json, signed", ["encode", "decode"], 1.1)
    floor_row("orjson, signed", ["round trip"], 0.5)
    floor_row("json, encrypted", ["round trip"], 1.0)
    length = results.bench.lengths["json, signed", SMALL]
    floor_length = results.bench.lengths[FLOOR, SMALL]
    row(
        "cookie length, json signed",
        f"≤ the floor's ({floor_length} characters)",
        f"{length} characters",
        length <= floor_length,
    )
    mac = ratio(results.mac(codecs.MODULE_MAC), results.mac(codecs.STDLIB_MAC))
    row(
        f"{codecs.MODULE_MAC} / {codecs.STDLIB_MAC} (76-byte message)",
        f"≤ {MAC_LIMIT:g} to keep it",
        spread(mac, times),
        mac.median <= MAC_LIMIT,
    )
    return table(["target (67-byte session)", "goal", "measured", "met"], rows)


def codec_table(results: Results, payload: str) -> str:
    rows = []
    for codec in results.bench.codecs:
        generated = codec.name in results.bench.generated
        rows.append(
            [
                f"generated: {codec.name}" if generated else codec.name,
                *(spread(results.codec(codec.name, payload, op), micro) for op in OPERATIONS),
                *(spread(results.to_floor(codec.name, payload, op), times) for op in OPERATIONS),
                str(results.bench.lengths[codec.name, payload]),
            ]
        )
    header = ["codec", "encode µs", "decode µs", "round trip µs"]
    header += ["encode / floor", "decode / floor", "round trip / floor", "cookie chars"]
    return table(header, rows)


def mac_table(results: Results) -> str:
    stdlib = results.mac(codecs.STDLIB_MAC)
    rows = [
        [name, spread(results.mac(name), micro), spread(ratio(results.mac(name), stdlib), times)]
        for name in (codecs.MODULE_MAC, codecs.STDLIB_MAC, codecs.DIGEST_MAC)
    ]
    return table(["HMAC-SHA256", "µs", f"/ {codecs.STDLIB_MAC}"], rows)


SESSIONS = {
    apps.NONE: "no session",
    apps.KEYED: "no session, SECRET_KEY set",
    apps.HOOKS: "no session, no-op hooks",
    apps.NATIVE: "the framework's own",
    apps.GENERATED: "generated module",
}


def request_table(results: Results) -> str:
    rows = []
    for case in results.bench.requests:
        kind = case.kind
        overhead = "" if kind == PLAIN else spread(results.overhead(case.framework, kind), micro)
        rows.append(
            [
                case.framework,
                SESSIONS[case.session],
                case.view,
                spread(results.request(case.framework, kind), micro),
                overhead,
            ]
        )
    header = ["framework", "session", "view", "request µs", "overhead µs over no session"]
    return table(header, rows)


def keyed_note(results: Results) -> list[str]:
    """What the secret setting alone costs in the frameworks where it opens their session."""
    parts = [
        f"{framework.label} {micro(results.overhead(framework.label, KEYED_PLAIN).median)} µs"
        for framework in apps.FRAMEWORKS
        if framework.keyed and results.has_request(framework.label, KEYED_PLAIN)
    ]
    if not parts:
        return []
    return [
        "",
        "The module reads its secret from SECRET_KEY in Flask and Quart, and with SECRET_KEY "
        "set these frameworks open and save their own session on every request, whatever "
        "the view does. That work is counted in the module's figures above, which are taken "
        "over an app without SECRET_KEY; on its own (a plain view, SECRET_KEY set) it costs "
        + ", ".join(parts)
        + ".",
    ]


def machine() -> str:
    """The processor, its count and the Python the run used."""
    cpuinfo = Path("/proc/cpuinfo")
    models = [
        line.split(":", 1)[1].strip()
        for line in (cpuinfo.read_text().splitlines() if cpuinfo.is_file() else [])
        if line.startswith("model name")
    ]
    model = models[0] if models else platform.processor() or platform.machine()
    return (
        f"{model}, {os.cpu_count()} CPUs seen by Python, {platform.system()} "
        f"{platform.machine()}, Python {platform.python_version()}"
    )


def report(runs: Sequence[Results]) -> str:
    results = runs[0]
    settings, measurement = results.settings, results.measurement
    rerun = 100 * measurement.reruns / measurement.batches
    out = [
        f"{machine()}; {settings.rounds} rounds of interleaved batches of about "
        f"{settings.request_batch_ns / 1e6:g} ms of CPU for each request case and "
        f"{settings.batch_ns / 1e6:g} ms for each codec case ({rerun:.0f}% of batches run "
        "again because the process was descheduled during them, "
        f"{measurement.kept_descheduled} kept after {RETRIES} tries). Times are per "
        "operation, in µs: median (25th\u201375th percentile over the rounds). Ratios are "
        "taken round by round, then summarised the same way; overheads are a session "
        "app's time minus the plain app's (no session installed), round by round. The "
        f"tables come from the first of {len(runs)} runs: compare ratios, not absolute "
        "times across runs.",
        "",
        "Per request, the generated module (json, signed) against its own codec and the "
        "framework's own session; figures in bold with \u2717 miss their goal:",
        "",
        headline_table(results),
        *keyed_note(results),
    ]
    if len(runs) > 1:
        out += [
            "",
            f"The headline figures' medians in each of the {len(runs)} runs (min\u2013max):",
            "",
            spread_table(runs),
        ]
    out += ["", codec_targets(results), "", mac_table(results)]
    for payload in PAYLOADS:
        out += ["", f"Codecs, {payload}:", "", codec_table(results, payload)]
    out += ["", "Per request, every app:", "", request_table(results)]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse(sys.argv[1:] if argv is None else argv)
    wanted = variants()
    with tempfile.TemporaryDirectory(prefix="copier-session-bench-") as workdir:
        sys.stderr.write(f"rendering {len(wanted)} variants of the template\n")
        modules = render_all(wanted, Path(workdir))
        with asyncio.Runner() as runner:
            bench = prepare(modules, runner)
            if settings.profile:
                print(profiles(bench, settings.profile))
                return 0
            runs = [run(settings, bench, seed) for seed in range(settings.runs)]
    print(report(runs))
    return 0


def profiles(bench: Bench, wanted: Sequence[str]) -> str:
    """The profile of each wanted app, after its framework's plain app's."""
    found = {f"{case.framework}|{case.kind}": case for case in bench.requests}
    out = []
    for name in wanted:
        if name not in found:
            raise SystemExit(f"no app {name!r}; the apps are: {', '.join(found)}")
        framework = found[name].framework
        out += [profile(found[f"{framework}|{PLAIN}"]), profile(found[name])]
    return "\n".join(out)
