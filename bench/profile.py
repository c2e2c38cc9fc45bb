"""Where a request's time goes: cProfile over a batch of one measured app.

``python -m bench --profile "Falcon|generated write"`` prints, for that app and for its
framework's plain app, the functions that take the most time of their own.
"""

from __future__ import annotations

import cProfile
import io
import pstats

from bench.apps import RequestCase

CALLS = 5000
TOP = 30


def profile(case: RequestCase, calls: int = CALLS, top: int = TOP) -> str:
    """The top functions by own time over calls requests (after a warm-up)."""
    case.batch(calls // 10)
    profiler = cProfile.Profile()
    profiler.enable()
    case.batch(calls)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    return f"{case.framework} {case.kind}, {calls} requests:\n{out.getvalue().strip()}\n"
