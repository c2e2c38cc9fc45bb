"""A pytest plugin for the mutation tests: a folder's tests stop at its first failure.

Each top-level folder holds one mutant's tests; once one of them has failed, the
mutant is caught, and its remaining tests are skipped rather than run.
"""

from __future__ import annotations

import pytest

_caught: set[str] = set()


def _folder(nodeid: str) -> str:
    return nodeid.split("/", 1)[0]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if _folder(item.nodeid) in _caught:
        pytest.skip("this folder's mutant is already caught")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        _caught.add(_folder(report.nodeid))
