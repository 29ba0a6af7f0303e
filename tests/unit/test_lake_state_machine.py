"""The lake pipeline's state machine, rendered from the template Terraform renders, executed state by state
by moto's Step Functions interpreter: the Glue job step (moto's Glue), every data-quality check (the
local Athena engine over a lake), and the SNS alert on the failure branches."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pytest
from moto import mock_aws

from glue_jobs.contract import load_tables
from local_platform.lake.orchestration import LocalAthena, checks_input, install, render_definition
from tests.fixtures.curated import write_partition

REGION = "eu-west-1"
JOB = "stockoss-dev-raw-to-curated"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


def events_partition(root: Path, ids: list[str], date: str) -> None:
    contract = load_tables()["events"]
    rows: dict[str, list[Any]] = {c.name: [None] * len(ids) for c in contract.columns}
    rows["event_id"] = ids
    rows["event_type"] = ["orders.order_created"] * len(ids)
    rows["received_at"] = [datetime(2020, 1, 1)] * len(ids)  # before any cutoff
    types = {"timestamp": pa.timestamp("us"), "decimal(18,4)": pa.decimal128(18, 4), "int": pa.int32()}
    schema = pa.schema(
        [
            (c.name, types.get(c.type, pa.string() if c.type == "string" else pa.int64()))
            for c in contract.columns
        ]
    )
    write_partition(root, "events", ("orders", date), pa.table(rows, schema=schema), run_id=f"r-{date}")


def raw_lines(root: Path, ids: list[str], date: str) -> None:
    """The raw zone's copies of the events (what curated_matches_raw reconciles the curated rows with)."""
    directory = root / "raw" / "raw" / "team=orders" / f"dt={date}" / "hour=10"
    directory.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            {
                "event_id": i,
                "team": "orders",
                "occurred_at": f"{date}T10:00:00Z",
                "received_at": "2020-01-01T00:00:00Z",
            }
        )
        for i in ids
    ]
    (directory / "batch.jsonl.gz").write_bytes(gzip.compress("\n".join(lines).encode()))


def pipeline(lake: Path, with_job: bool = True) -> tuple[str, str]:
    """The state machine (and the alert topic's probe queue) in moto, with Athena on the lake."""
    install(LocalAthena(lake))
    sns, sqs, sfn = boto3.client("sns"), boto3.client("sqs"), boto3.client("stepfunctions")
    topic = sns.create_topic(Name="stockoss-dev-lake-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alert-probe")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    if with_job:
        boto3.client("glue").create_job(
            Name=JOB,
            Role="arn:aws:iam::123456789012:role/glue",
            Command={"Name": "glueetl", "ScriptLocation": "s3://a/job.py"},
        )
    definition = render_definition(
        {
            "partition": "aws",
            "name_prefix": "stockoss-dev",
            "glue_job_name": JOB,
            "platform_workgroup": "stockoss-dev-platform",
            "glue_database": "stockoss_dev_lake",
            "alert_topic_arn": topic,
        }
    )
    machine = sfn.create_state_machine(
        name="stockoss-dev-lake-pipeline", definition=definition, roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]
    return machine, queue


def execute(machine: str) -> tuple[dict[str, Any], list[str]]:
    """Run with the schedule's input until the execution ends; its description and the states entered."""
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=machine, name=str(uuid.uuid4()), input=json.dumps(checks_input())
    )["executionArn"]
    deadline = time.monotonic() + 120
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not end"
        time.sleep(0.2)
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    return described, entered


def alerts(queue: str) -> list[str]:
    messages = boto3.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [m["Body"] for m in messages.get("Messages", [])]


def test_a_healthy_lake_runs_the_job_then_every_check_and_succeeds(aws: None, tmp_path: Path) -> None:
    events_partition(tmp_path, ["e1", "e2"], "2026-03-01")
    raw_lines(tmp_path, ["e1", "e2"], "2026-03-01")
    machine, queue = pipeline(tmp_path)
    described, entered = execute(machine)
    assert described["status"] == "SUCCEEDED", described
    assert entered[:2] == ["RunGlueJob", "DataQuality"]
    checks = checks_input()["checks"]
    assert entered.count("CheckPassed") == len(checks) and "NotifyFailure" not in entered
    assert entered.count("RunCheckAtCutoff") == sum(c["has_cutoff"] for c in checks)
    output = json.loads(described["output"])
    assert output["glue"]["JobRunState"] == "SUCCEEDED"
    assert alerts(queue) == []


# When one check fails, moto aborts the map while the other check's task thread still waits: moto logs it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_failing_check_takes_the_failure_branch_and_alerts(aws: None, tmp_path: Path) -> None:
    events_partition(tmp_path, ["e1", "e2"], "2026-03-01")
    events_partition(tmp_path, ["e2"], "2026-03-02")  # e2 curated twice
    raw_lines(tmp_path, ["e1", "e2"], "2026-03-01")
    machine, queue = pipeline(tmp_path)
    described, entered = execute(machine)
    assert described["status"] == "FAILED" and described["error"] == "LakePipelineFailed"
    assert "CheckFailed" in entered and entered[-2:] == ["NotifyFailure", "PipelineFailed"]
    (alert,) = alerts(queue)
    # Both checks see the copy (two checks run at once: either may fail the map first).
    assert "DataQualityViolation" in alert
    assert "no_duplicate_event_ids" in alert or "curated_matches_raw" in alert


def test_a_glue_job_that_cannot_start_takes_the_failure_branch(aws: None, tmp_path: Path) -> None:
    machine, queue = pipeline(tmp_path, with_job=False)
    described, entered = execute(machine)
    assert described["status"] == "FAILED"
    assert entered == ["RunGlueJob", "NotifyFailure", "PipelineFailed"]
    (alert,) = alerts(queue)
    assert "EntityNotFound" in alert


def test_the_checks_get_athena_execution_parameters(tmp_path: Path) -> None:
    athena = LocalAthena(tmp_path)
    execution = athena.start(
        "SELECT count(*) AS n FROM events WHERE received_at < from_iso8601_timestamp(?)",
        ["'2026-01-01T00:00:00Z'"],
    )
    assert execution.state == "SUCCEEDED"
    assert athena.results(execution.id)["ResultSet"]["Rows"] == [
        {"Data": [{"VarCharValue": "n"}]},
        {"Data": [{"VarCharValue": "0"}]},
    ]
    refused = athena.start("SELECT count(*) FROM events WHERE received_at < from_iso8601_timestamp(?)", [])
    assert refused.state == "FAILED" and "placeholder" in refused.reason
