"""A pytest plugin for the mutation tests: a folder's tests stop at its first failure.

Each top-level folder holds one mutant's tests; once one of them has failed, the
mutant is caught, and its remaining tests are not run at all (nothing is reported
for them, so no test of the suite is ever skipped).
"""

from __future__ import annotations

import pytest

_caught: set[str] = set()


def _folder(nodeid: str) -> str:
    return nodeid.split("/", 1)[0]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """True (done, without running it) for a test of a folder already caught."""
    return True if _folder(item.nodeid) in _caught else None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        _caught.add(_folder(report.nodeid))
