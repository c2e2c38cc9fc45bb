"""Interleaved timing: every case runs a short batch in every round.

Timing each case in one long stretch lets the machine's drift (frequency scaling,
other processes) fall on some cases and not others. Here each round runs one short
batch of every case, in a shuffled order, so drift hits all cases alike; each case
then has one per-operation time per round, summarised by its median and spread.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Batch = Callable[[int], int]
"""Runs an operation n times and returns the elapsed nanoseconds (perf_counter_ns)."""


def loop(operation: Callable[[], object]) -> Batch:
    """A batch that calls operation n times."""

    def batch(n: int) -> int:
        iterations = range(n)
        clock = time.perf_counter_ns
        start = clock()
        for _ in iterations:
            operation()
        return clock() - start

    return batch


@dataclass(frozen=True)
class Stats:
    """One case's per-operation times over the rounds, in nanoseconds."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def quantile(self, fraction: float) -> float:
        ordered = sorted(self.samples)
        position = fraction * (len(ordered) - 1)
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    @property
    def p25(self) -> float:
        return self.quantile(0.25)

    @property
    def p75(self) -> float:
        return self.quantile(0.75)


def paired(
    numerators: Stats, denominators: Stats, combine: Callable[[float, float], float]
) -> Stats:
    """Round-by-round combination of two cases measured in the same rounds."""
    pairs = zip(numerators.samples, denominators.samples, strict=True)
    return Stats(tuple(combine(a, b) for a, b in pairs))


def ratio(numerators: Stats, denominators: Stats) -> Stats:
    """Per-round ratios: both times of a round saw the same machine state."""
    return paired(numerators, denominators, lambda a, b: a / b)


def difference(minuends: Stats, subtrahends: Stats) -> Stats:
    """Per-round differences, such as a session view minus a plain view."""
    return paired(minuends, subtrahends, lambda a, b: a - b)


def calibrate(batch: Batch, batch_ns: int) -> int:
    """How many operations make one batch last about batch_ns."""
    batch(1)
    n = 1
    while True:
        elapsed = batch(n)
        if elapsed >= batch_ns // 4 or n >= 1 << 20:
            return max(1, round(n * batch_ns / max(elapsed, 1)))
        n *= 4


def measure(
    cases: Mapping[str, Batch],
    rounds: int,
    batch_ns: int,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Stats]:
    """Time every case in every round, in a shuffled order, with gc disabled."""
    sizes = {name: calibrate(batch, batch_ns) for name, batch in cases.items()}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    order = list(cases)
    shuffler = random.Random(seed)
    gc.collect()
    gc.disable()
    try:
        for number in range(rounds):
            shuffler.shuffle(order)
            for name in order:
                n = sizes[name]
                samples[name].append(cases[name](n) / n)
            if progress is not None:
                progress(number + 1)
    finally:
        gc.enable()
    return {name: Stats(tuple(values)) for name, values in samples.items()}


def progress_bar(
    rounds: int, out: Callable[[str], object] = sys.stderr.write
) -> Callable[[int], None]:
    """Report progress every tenth of the rounds."""
    step = max(1, rounds // 10)

    def report(done: int) -> None:
        if done % step == 0 or done == rounds:
            out(f"  round {done}/{rounds}\n")

    return report
