"""Interleaved timing: every case runs a short batch in every round.

Timing each case in one long stretch lets the machine's drift (frequency scaling,
other processes) fall on some cases and not others. Here each round runs one short
batch of every case, in a shuffled order, so drift hits all cases alike; each case
then has one per-operation time per round, summarised by its median and spread.

Times are wall-clock (perf_counter_ns). A batch also reads the thread's CPU time:
when the wall clock ran clearly longer, the process was descheduled in the middle
of the batch, and the batch is run again (up to a few times) so that what is kept
is the code's time, not other processes'.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Batch = Callable[[int], tuple[int, int]]
"""Runs an operation n times; returns the elapsed wall and thread CPU nanoseconds."""

RETRIES = 8
"""How many times a descheduled batch is run again before it is kept anyway."""


def loop(operation: Callable[[], object]) -> Batch:
    """A batch that calls operation n times."""

    def batch(n: int) -> tuple[int, int]:
        iterations = range(n)
        wall, cpu = time.perf_counter_ns, time.thread_time_ns
        wall_start, cpu_start = wall(), cpu()
        for _ in iterations:
            operation()
        return wall() - wall_start, cpu() - cpu_start

    return batch


def descheduled(wall_ns: int, cpu_ns: int) -> bool:
    """Whether the wall clock ran clearly longer than the thread did."""
    return wall_ns > cpu_ns * 1.02 + 5_000


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


def paired(first: Stats, second: Stats, combine: Callable[[float, float], float]) -> Stats:
    """Round-by-round combination of two cases measured in the same rounds."""
    pairs = zip(first.samples, second.samples, strict=True)
    return Stats(tuple(combine(a, b) for a, b in pairs))


def ratio(numerators: Stats, denominators: Stats) -> Stats:
    """Per-round ratios: both times of a round saw the same machine state."""
    return paired(numerators, denominators, lambda a, b: a / b)


def difference(minuends: Stats, subtrahends: Stats) -> Stats:
    """Per-round differences, such as a session view minus a plain view."""
    return paired(minuends, subtrahends, lambda a, b: a - b)


def calibrate(batch: Batch, batch_ns: int) -> int:
    """How many operations make one batch take about batch_ns of CPU time."""
    batch(1)
    n = 1
    while True:
        cpu = min(batch(n)[1] for _ in range(3))
        if cpu >= batch_ns // 4 or n >= 1 << 20:
            return max(1, round(n * batch_ns / max(cpu, 1)))
        n *= 4


@dataclass(frozen=True)
class Measurement:
    """Every case's stats, and how many batches were run again after a deschedule."""

    stats: dict[str, Stats]
    batches: int
    reruns: int
    kept_descheduled: int


def measure(
    cases: Mapping[str, Batch],
    rounds: int,
    batch_ns: Callable[[str], int],
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Measurement:
    """Time every case in every round, in a shuffled order, with gc disabled.

    batch_ns gives, for a case's name, the CPU time one of its batches should take.
    """
    sizes = {name: calibrate(batch, batch_ns(name)) for name, batch in cases.items()}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    order = list(cases)
    shuffler = random.Random(seed)
    reruns = kept_descheduled = 0
    gc.collect()
    gc.disable()
    try:
        for number in range(rounds):
            shuffler.shuffle(order)
            for name in order:
                n = sizes[name]
                for _ in range(RETRIES + 1):
                    wall, cpu = cases[name](n)
                    if not descheduled(wall, cpu):
                        break
                    reruns += 1
                else:
                    reruns -= 1
                    kept_descheduled += 1
                samples[name].append(wall / n)
            if progress is not None:
                progress(number + 1)
    finally:
        gc.enable()
    stats = {name: Stats(tuple(values)) for name, values in samples.items()}
    return Measurement(stats, rounds * len(cases), reruns, kept_descheduled)


def progress_bar(
    rounds: int, out: Callable[[str], object] = sys.stderr.write
) -> Callable[[int], None]:
    """Report progress every tenth of the rounds."""
    step = max(1, rounds // 10)

    def report(done: int) -> None:
        if done % step == 0 or done == rounds:
            out(f"  round {done}/{rounds}\n")

    return report
