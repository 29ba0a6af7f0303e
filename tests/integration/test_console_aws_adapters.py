"""The console's AWS adapters over HTTP against the moto server: Athena (the boto3 call sequence, the
execution parameters, the typed rows, the saved KPI queries), the Glue job's last run, and CloudWatch's
Lambda metrics as the flow page's live counters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
import requests

from lambdas.console.athena import AthenaLake, AthenaQueryFailed, typed
from lambdas.console.cloudwatch import LambdaMetrics
from platform_core.aws import client
from platform_core.config import get_config

pytestmark = pytest.mark.integration

COLUMNS = [
    {"Name": "minute", "Type": "timestamp"},
    {"Name": "events", "Type": "bigint"},
    {"Name": "p95_ms", "Type": "double"},
    {"Name": "amount", "Type": "decimal"},
    {"Name": "team", "Type": "varchar"},
    {"Name": "event_date", "Type": "date"},
]


def _row(*values: str | None) -> dict[str, list[dict[str, str]]]:
    return {"Data": [{} if v is None else {"VarCharValue": v} for v in values]}


def _athena_answers(endpoint: str, *results: list[dict[str, list[dict[str, str]]]]) -> None:
    """What moto's Athena answers to the next queries, in order (moto runs no SQL)."""
    response = requests.post(
        f"{endpoint}/moto-api/static/athena/query-results",
        json={
            "region": get_config().region,
            "results": [{"rows": rows, "column_info": COLUMNS} for rows in results],
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text


@pytest.fixture
def lake(aws_endpoint_url: str) -> AthenaLake:
    workgroup = f"console-{uuid4().hex[:8]}"
    client("athena").create_work_group(
        Name=workgroup, Configuration={"ResultConfiguration": {"OutputLocation": "s3://results/console/"}}
    )
    return AthenaLake(
        client("athena"),
        client("glue"),
        workgroup=workgroup,
        database="stockoss_dev_lake",
        glue_job=f"stockoss-dev-{uuid4().hex[:8]}-raw-to-curated",
        poll_seconds=0.01,
    )


def test_a_lake_query_runs_in_the_workgroup_with_its_parameters_and_answers_typed_rows(
    aws_endpoint_url: str, lake: AthenaLake
) -> None:
    header = _row(*(c["Name"] for c in COLUMNS))
    _athena_answers(
        aws_endpoint_url,
        [
            header,
            _row("2026-12-04 10:15:00.000", "42", "1250.5", "19.90", "orders", "2026-12-04"),
            _row("2026-12-04 10:16:00.000", "0", None, None, "orders", "2026-12-04"),
        ],
    )
    rows = lake.query("SELECT * FROM events WHERE team = ? AND event_date >= ?", ["'orders'", "'2026-12-04'"])
    assert rows == [
        {
            "minute": datetime(2026, 12, 4, 10, 15),
            "events": 42,
            "p95_ms": 1250.5,
            "amount": Decimal("19.90"),
            "team": "orders",
            "event_date": date(2026, 12, 4),
        },
        {
            "minute": datetime(2026, 12, 4, 10, 16),
            "events": 0,
            "p95_ms": None,
            "amount": None,
            "team": "orders",
            "event_date": date(2026, 12, 4),
        },
    ]
    athena = client("athena")
    [execution_id] = athena.list_query_executions(WorkGroup=lake.workgroup)["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert execution["ExecutionParameters"] == ["'orders'", "'2026-12-04'"]
    assert execution["QueryExecutionContext"]["Database"] == "stockoss_dev_lake"


def test_the_kpis_are_the_workgroups_saved_queries_without_the_views(
    aws_endpoint_url: str, lake: AthenaLake
) -> None:
    athena = client("athena")
    for name in ("orders_per_hour", "view-orders_enriched"):
        athena.create_named_query(
            Name=name,
            Database=lake.database,
            QueryString=f"SELECT 1 -- {name}",
            Description=f"what {name} measures",
            WorkGroup=lake.workgroup,
        )
    _athena_answers(
        aws_endpoint_url,
        [
            _row(*(c["Name"] for c in COLUMNS)),
            _row("2026-12-04 10:00:00", "3", "1", "2", "orders", "2026-12-04"),
        ],
    )
    [result] = lake.kpis()
    assert result.name == "orders_per_hour"
    assert result.summary == "what orders_per_hour measures"
    assert result.rows[0]["events"] == 3


def test_a_failed_query_raises_with_athenas_reason() -> None:
    class FailingAthena:
        def start_query_execution(self, **_: object) -> dict[str, str]:
            return {"QueryExecutionId": "q1"}

        def get_query_execution(self, **_: object) -> dict[str, object]:
            return {"QueryExecution": {"Status": {"State": "FAILED", "StateChangeReason": "TABLE_NOT_FOUND"}}}

    lake = AthenaLake(FailingAthena(), None, workgroup="w", database="d", glue_job="j")
    with pytest.raises(AthenaQueryFailed, match="TABLE_NOT_FOUND"):
        lake.query("SELECT 1", [])


def test_cells_convert_by_their_athena_type() -> None:
    assert typed("true", "boolean") is True
    assert typed("12.5", "decimal(18,4)") == Decimal("12.5")
    assert typed("[1, 2]", "array(integer)") == "[1, 2]"
    assert typed(None, "bigint") is None


def test_the_last_etl_run_is_the_glue_jobs_last_successful_run(lake: AthenaLake) -> None:
    assert lake.last_run() is None
    glue = client("glue")
    glue.create_job(
        Name=lake.glue_job, Role="arn:aws:iam::123456789012:role/glue", Command={"Name": "glueetl"}
    )
    run_id = glue.start_job_run(JobName=lake.glue_job)["JobRunId"]
    run = glue.get_job_run(JobName=lake.glue_job, RunId=run_id)["JobRun"]
    while run["JobRunState"] != "SUCCEEDED":
        run = glue.get_job_run(JobName=lake.glue_job, RunId=run_id)["JobRun"]
    last = lake.last_run()
    assert last is not None and last["run_id"] == run_id and last["objects"] is None


def test_the_functions_counters_are_cloudwatchs_lambda_metrics(aws_endpoint_url: str) -> None:
    function = f"stockoss-dev-{uuid4().hex[:8]}-ingest"
    now = datetime.now(UTC) - timedelta(minutes=2)
    cloudwatch = client("cloudwatch")
    for metric, values in (("Invocations", [5, 7]), ("Errors", [1]), ("ConcurrentExecutions", [2, 3])):
        cloudwatch.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {
                    "MetricName": metric,
                    "Dimensions": [{"Name": "FunctionName", "Value": function}],
                    "Timestamp": now,
                    "Value": value,
                }
                for value in values
            ],
        )
    counters = LambdaMetrics(cloudwatch, {"ingest": function, "idle": f"{function}-idle"}).functions()
    assert counters == {
        "idle": {"invocations": 0, "errors": 0, "throttles": 0, "concurrency": 0},
        "ingest": {"invocations": 12, "errors": 1, "throttles": 0, "concurrency": 3},
    }
