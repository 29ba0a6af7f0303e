"""The console's local-only adapters (lambdas/console/ports.py): the local query engine over the lake's
files, and the local runtime's status API. tools/console/server.py injects them; on AWS the console
Lambda uses Athena and CloudWatch instead."""

from __future__ import annotations

import functools
import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from lambdas.console.kpis import summary_of
from lambdas.console.ports import CheckResult, NamedResult
from local_platform.lake.layout import MANIFEST_KEY, lake_root
from local_platform.query.lint import ATHENA_DIR
from platform_core.aws import client


def kpi_results(lake: Path, athena_dir: Path = ATHENA_DIR) -> list[NamedResult]:
    """Every saved KPI query (athena/queries/*.sql) run over a lake's curated zone."""
    from local_platform.query.engine import LocalEngine

    engine = LocalEngine(lake, athena_dir)
    try:
        return [
            NamedResult(
                path.stem, summary_of(path.read_text(encoding="utf-8")), engine.run_file(path).to_pylist()
            )
            for path in sorted((athena_dir / "queries").glob("*.sql"))
        ]
    finally:
        engine.close()


class LocalLake:
    """Athena SQL over the local lake through one query engine, opened again when a run has switched
    partitions (a manifest changed): opening one costs more than most queries."""

    def __init__(self, workdir: Path, curated_bucket: str):
        self.root = lake_root(workdir)
        self.curated_bucket = curated_bucket
        self._lock = threading.Lock()
        self._engine: Any = None
        self._signature: tuple[tuple[str, int], ...] = ()

    def _curated(self) -> bool:
        return (self.root / "curated").exists()

    def _current_signature(self) -> tuple[tuple[str, int], ...]:
        return tuple(
            sorted((str(p), p.stat().st_mtime_ns) for p in (self.root / "curated").rglob("manifest"))
        )

    def query(self, sql: str, params: list[str]) -> list[dict[str, Any]]:
        if not self._curated():
            return []
        from local_platform.query.engine import LocalEngine

        with self._lock:  # one DuckDB connection: one query at a time
            signature = self._current_signature()
            if self._engine is None or signature != self._signature:
                if self._engine is not None:
                    self._engine.close()
                self._engine, self._signature = LocalEngine(self.root), signature
            return list(self._engine.execute(sql, params, source="console").to_pylist())

    def kpis(self) -> list[NamedResult]:
        return kpi_results(self.root) if self._curated() else []

    def last_run(self) -> dict[str, Any] | None:
        """The local pipeline's manifest of its last committed run."""
        s3 = client("s3")
        try:
            body = s3.get_object(Bucket=self.curated_bucket, Key=MANIFEST_KEY)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None
        return dict(json.loads(body))

    def checks(self, run_id: str, committed_at: str) -> list[CheckResult] | None:
        """The data-quality checks of a committed run: its curated zone does not change until the next
        run, so each run's checks are run once."""
        if not self._curated():
            return []
        return list(_checks_of_run(self.root, run_id, committed_at))


@functools.lru_cache(maxsize=8)
def _checks_of_run(root: Path, run_id: str, committed_at: str) -> tuple[CheckResult, ...]:
    from local_platform.lake.pipeline import run_checks

    return tuple(
        CheckResult(check.name, check.passed, len(check.violations))
        for check in run_checks(root, datetime.fromisoformat(committed_at))
    )


class StatusApi:
    """The local runtime's status API (`GET /_local/status` on its Lambda Invoke API server)."""

    source = "the local runtime's status API"

    def __init__(self, url: str):
        self.url = url

    def functions(self) -> dict[str, dict[str, float]] | None:
        response = requests.get(self.url, timeout=5)
        response.raise_for_status()
        return {
            name: {
                "invocations": f.get("invocations", 0),
                "errors": f.get("errors", 0) + f.get("timeouts", 0) + f.get("crashes", 0),
                "throttles": f.get("throttles", 0),
                "concurrency": f.get("environments", 0),  # execution environments now
            }
            for name, f in response.json().get("functions", {}).items()
        }
