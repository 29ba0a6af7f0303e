"""The console's lake on AWS (lambdas/console/ports.py `LakeQueries`): Athena in the team's workgroup
over the lake's Glue database, and the Glue job's runs.

A query is StartQueryExecution with its `?` parameters as ExecutionParameters (SQL literals, as the
local engine takes them), GetQueryExecution polled until it ends, then GetQueryResults' pages, each
value converted by its column's Athena type. The KPIs are the workgroup's named queries, which
Terraform creates from athena/queries/*.sql (modules/lake_catalog; the `view-*` ones create views and
are not run). The data-quality checks run in the pipeline's own workgroup after each Glue run and
alarm there; the console does not run them again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lambdas.console.ports import CheckResult, NamedResult

TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}
VIEW_PREFIX = "view-"


class AthenaQueryFailed(RuntimeError):
    """A query ended FAILED or CANCELLED, or did not end in time: the reason Athena gave."""


def _timestamp(text: str) -> datetime:
    # Athena answers `2026-12-04 10:15:00.000` (no zone: the lake's timestamps are UTC).
    return datetime.fromisoformat(text.replace(" UTC", ""))


_CONVERT: dict[str, Callable[[str], Any]] = {
    "tinyint": int,
    "smallint": int,
    "integer": int,
    "int": int,
    "bigint": int,
    "double": float,
    "float": float,
    "real": float,
    "decimal": Decimal,
    "boolean": lambda text: text.lower() == "true",
    "date": date.fromisoformat,
    "timestamp": _timestamp,
    "timestamp with time zone": _timestamp,
}


def typed(value: str | None, athena_type: str) -> Any:
    """One result cell as Python: Athena sends every value as text (no VarCharValue: NULL)."""
    if value is None:
        return None
    convert = _CONVERT.get(athena_type.split("(")[0].lower())
    return convert(value) if convert else value


class AthenaLake:
    def __init__(
        self,
        athena: Any,
        glue: Any,
        *,
        workgroup: str,
        database: str,
        glue_job: str,
        timeout_seconds: float = 25.0,
        poll_seconds: float = 0.25,
    ):
        self.athena = athena
        self.glue = glue
        self.workgroup = workgroup
        self.database = database
        self.glue_job = glue_job
        self.timeout_seconds = timeout_seconds
        self.poll_seconds = poll_seconds

    def query(self, sql: str, params: list[str]) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "QueryString": sql,
            "WorkGroup": self.workgroup,
            "QueryExecutionContext": {"Database": self.database},
        }
        if params:
            request["ExecutionParameters"] = params
        execution_id = self.athena.start_query_execution(**request)["QueryExecutionId"]
        self._wait(execution_id)
        return self._rows(execution_id)

    def _wait(self, execution_id: str) -> None:
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            status = self.athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"][
                "Status"
            ]
            state = status["State"]
            if state == "SUCCEEDED":
                return
            if state in TERMINAL:
                raise AthenaQueryFailed(f"Athena query {state}: {status.get('StateChangeReason', '')}")
            if time.monotonic() > deadline:
                self.athena.stop_query_execution(QueryExecutionId=execution_id)
                raise AthenaQueryFailed(f"Athena query still {state} after {self.timeout_seconds:.0f} s")
            time.sleep(self.poll_seconds)

    def _rows(self, execution_id: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        columns: list[tuple[str, str]] = []
        pages = self.athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id)
        for number, page in enumerate(pages):
            result = page["ResultSet"]
            if not columns:
                columns = [(c["Name"], c["Type"]) for c in result["ResultSetMetadata"]["ColumnInfo"]]
            data = [[cell.get("VarCharValue") for cell in row["Data"]] for row in result["Rows"]]
            # A SELECT's first page starts with the column names.
            if number == 0 and data and data[0] == [name for name, _ in columns]:
                data = data[1:]
            rows.extend(
                {name: typed(value, kind) for (name, kind), value in zip(columns, values, strict=True)}
                for values in data
            )
        return rows

    def kpis(self) -> list[NamedResult]:
        ids = [
            query_id
            for page in self.athena.get_paginator("list_named_queries").paginate(WorkGroup=self.workgroup)
            for query_id in page["NamedQueryIds"]
        ]
        named = [self.athena.get_named_query(NamedQueryId=query_id)["NamedQuery"] for query_id in ids]
        return [
            NamedResult(query["Name"], query.get("Description", ""), self.query(query["QueryString"], []))
            for query in sorted(named, key=lambda q: q["Name"])
            if not query["Name"].startswith(VIEW_PREFIX)
        ]

    def last_run(self) -> dict[str, Any] | None:
        """The Glue job's last successful run. Which raw objects it read is in its bookmark, which no API
        lists: `objects` is None."""
        try:
            runs = self.glue.get_job_runs(JobName=self.glue_job, MaxResults=50)["JobRuns"]
        except self.glue.exceptions.EntityNotFoundException:  # the lake is not deployed (yet)
            return None
        done = [run for run in runs if run.get("JobRunState") == "SUCCEEDED" and run.get("CompletedOn")]
        if not done:
            return None
        last = max(done, key=lambda run: run["CompletedOn"])
        return {"run_id": last["Id"], "committed_at": last["CompletedOn"].isoformat(), "objects": None}

    def checks(self, run_id: str, committed_at: str) -> list[CheckResult] | None:
        return None
