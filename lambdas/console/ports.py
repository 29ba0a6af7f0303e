"""Where the console's readers differ between the local platform and AWS: the lake's SQL engine and the
functions' live counters. Everything else (SQS, DynamoDB and its stream, S3, CloudWatch, Kafka) is the
same API in both places and is read directly.

Locally (tools/console/server.py): the local query engine over the lake's files, the local runtime's
status API. On AWS (lambdas/console/handler.py): Athena in the team's workgroup, CloudWatch's Lambda
metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class NamedResult:
    """One saved KPI query (athena/queries/<name>.sql) and its rows."""

    name: str
    summary: str
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class CheckResult:
    """One data-quality check of the curated zone (athena/checks/<name>.sql): its rows are violations."""

    name: str
    passed: bool
    violations: int


class LakeQueries(Protocol):
    """Athena SQL over the curated zone."""

    def query(self, sql: str, params: list[str]) -> list[dict[str, Any]]:
        """Rows of `sql`, whose `?` are replaced by `params` (SQL literals, as Athena's
        ExecutionParameters); [] before the lake's first run."""
        ...

    def kpis(self) -> list[NamedResult]:
        """Every saved KPI query's rows."""
        ...

    def last_run(self) -> dict[str, Any] | None:
        """The last committed ETL run: run_id, committed_at and, where known, `objects` (the raw
        objects it read, {key: etag}); None before the first run."""
        ...

    def checks(self, run_id: str, committed_at: str) -> list[CheckResult] | None:
        """The data-quality checks of a committed run, or None where the console cannot run them."""
        ...


class LiveCounters(Protocol):
    """The functions' counters now: {function: {invocations, errors, throttles, ...}}."""

    @property
    def source(self) -> str:
        """Where the counters come from, as the page says it."""
        ...

    def functions(self) -> dict[str, dict[str, float]] | None:
        """None when nothing answers them."""
        ...
