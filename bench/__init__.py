"""Benchmark of the generated session module against the frameworks' native sessions.

Run ``uv run python -m bench`` (``--quick`` for a shorter run). Everything is measured in
one process, with the cases interleaved round by round, and reported as ratios to a
standard-library floor: absolute times drift with the machine, ratios within one run
do not.
"""
