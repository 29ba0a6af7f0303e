"""`make test-faults`: the whole path under faults, every sink counted afterwards; the run closes with
`faults: N passed, M failed`."""

from __future__ import annotations

from typing import Any

import pytest


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    reports = [
        report
        for outcome in ("passed", "failed", "error")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "nodeid", "").startswith("tests/faults/")
    ]
    failed = {r.nodeid for r in reports if r.failed}
    passed = {r.nodeid for r in reports if r.passed and r.when == "call"} - failed
    if reports:
        terminalreporter.write_line(f"faults: {len(passed)} passed, {len(failed)} failed")
