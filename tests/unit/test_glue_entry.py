"""The Glue entry point (glue_jobs/raw_to_curated/job.py) on the code path Glue takes.

The arguments are resolved by AWS's own Glue Python library (awsglue.utils.getResolvedOptions,
from awsgluedataplanepython) from the command line Glue gives a job script. The Glue library's JVM
half (the com.amazonaws.services.glue classes behind GlueContext, DynamicFrame and Job) ships only
inside Glue (and AWS's Glue container image), not on PyPI: it is stood in for by GlueRuntime below,
which does what the job asks of it as Glue documents it, no more: an S3/CSV source read line by line
with the given separator and no quoting, the `attachFilename` column, `withHeader` false (columns
col0...), and job bookmarks that hand a transformation context only the objects it has not committed.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from awsglue.utils import GlueArgumentError, getResolvedOptions
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from glue_jobs.raw_to_curated import job, transform
from local_platform.query.engine import LocalEngine
from tools.traffic import TrafficGenerator

pytestmark = pytest.mark.spark

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class DynamicFrame:
    def __init__(self, df: DataFrame):
        self._df = df

    def toDF(self) -> DataFrame:  # Glue's name
        return self._df


class GlueRuntime:
    """What the job uses of Glue's JVM half, as Glue documents it (see the module docstring)."""

    bookmarks: ClassVar[dict[str, set[str]]] = {}  # transformation_ctx -> objects committed by earlier runs
    sources: ClassVar[list[dict[str, Any]]] = []
    jobs: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, spark_context: Any):
        self.spark_session = SparkSession(spark_context)
        self.create_dynamic_frame = self
        self._read: dict[str, set[str]] = {}

    def from_options(
        self,
        connection_type: str,
        connection_options: dict[str, Any],
        format: str,  # Glue's name
        format_options: dict[str, Any],
        transformation_ctx: str,
    ) -> DynamicFrame:
        assert (connection_type, format) == ("s3", "csv")
        assert connection_options["recurse"] is True and format_options["withHeader"] is False
        assert format_options["quoteChar"] == -1  # no quoting: a line comes back untouched
        GlueRuntime.sources.append({"ctx": transformation_ctx, **format_options})
        (root,) = connection_options["paths"]
        seen = GlueRuntime.bookmarks.get(transformation_ctx, set())
        files = sorted(str(p) for p in Path(root.removeprefix("file://")).rglob("*.gz") if str(p) not in seen)
        self._read[transformation_ctx] = set(files)
        spark = self.spark_session
        if not files:  # nothing new: an empty DynamicFrame has no schema at all
            return DynamicFrame(spark.createDataFrame([], StructType([])))
        lines = spark.read.option("sep", format_options["separator"]).option("quote", "\u0000").csv(files)
        df = lines.select(F.col(lines.columns[0]).alias("col0"))
        name = format_options.get("attachFilename")
        if name:
            df = df.withColumn(name, F.input_file_name())
        return DynamicFrame(df)

    def commit(self) -> None:
        for ctx, files in self._read.items():
            GlueRuntime.bookmarks.setdefault(ctx, set()).update(files)


class Job:
    def __init__(self, glue_context: GlueRuntime):
        self._glue = glue_context

    def init(self, name: str, args: dict[str, str]) -> None:
        GlueRuntime.jobs.append(("init", name))

    def commit(self) -> None:
        GlueRuntime.jobs.append(("commit", ""))
        self._glue.commit()


@pytest.fixture
def glue(spark: SparkSession, monkeypatch: pytest.MonkeyPatch) -> Iterator[type[GlueRuntime]]:
    monkeypatch.setattr(job, "GlueContext", GlueRuntime)
    monkeypatch.setattr(job, "Job", Job)
    GlueRuntime.bookmarks, GlueRuntime.sources, GlueRuntime.jobs = {}, [], []
    yield GlueRuntime


def glue_argv(tmp_path: Path, run_id: str) -> list[str]:
    """The command line Glue starts the script with: its own arguments and the job's default arguments."""
    return [
        "/tmp/raw_to_curated/job.py",
        "--JOB_ID", "j_0123456789abcdef",
        "--JOB_RUN_ID", run_id,
        "--job-bookmark-option", "job-bookmark-enable",
        "--TempDir", "s3://artifacts/glue-temp/",
        "--enable-metrics", "true",
        "--JOB_NAME", "stockoss-dev-raw-to-curated",
        "--env", "dev",
        "--raw_path", f"file://{tmp_path}/raw/raw/",
        "--curated_path", f"file://{tmp_path}/curated/curated/",
        "--rejected_path", f"file://{tmp_path}/rejected/rejected/",
    ]  # fmt: skip


def write_raw(tmp_path: Path, team: str, events: list[Any], name: str) -> None:
    directory = tmp_path / "raw" / "raw" / f"team={team}" / "dt=2026-03-01" / "hour=12"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.jsonl.gz").write_bytes(
        gzip.compress("\n".join(e.to_json() for e in events).encode())
    )


def test_the_job_arguments_are_resolved_as_glue_resolves_them(tmp_path: Path) -> None:
    argv = glue_argv(tmp_path, "jr_1")
    args = job.glue_args(argv)
    assert args["JOB_RUN_ID"] == "jr_1" and args["env"] == "dev"
    assert args["rejected_path"].endswith("/rejected/rejected/")
    assert job.curated_root(args["curated_path"]) == f"file://{tmp_path}/curated"
    without_rejected = [a for a in argv if "rejected" not in a]
    assert "rejected_path" not in job.glue_args(without_rejected)
    with pytest.raises(GlueArgumentError, match="--env"):  # a required argument missing: the run is refused
        getResolvedOptions([a for a in argv if a not in ("--env", "dev")], ["JOB_NAME", *job.REQUIRED])


def test_each_line_keeps_the_team_and_partition_of_its_raw_object_on_glue(
    glue: type[GlueRuntime], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generated = TrafficGenerator(21, start=START).stored_events(60)
    by_team: dict[str, list[Any]] = {}
    for event in generated:
        by_team.setdefault(event.team, []).append(event)
    for team, events in by_team.items():
        write_raw(tmp_path, team, events, "batch-1")
    (tmp_path / "rejected" / "rejected").mkdir(parents=True)
    monkeypatch.setattr(sys, "argv", glue_argv(tmp_path, "jr_1"))

    summary = job.main()

    assert glue.jobs == [("init", "stockoss-dev-raw-to-curated"), ("commit", "")]
    assert {s["attachFilename"] for s in glue.sources} == {transform.SOURCE_FILE}
    events = summary["tables"]["events"]
    assert (events["quarantined"], events["added"]) == (0, len(generated))  # no line lost its team
    engine = LocalEngine(tmp_path)
    try:
        rows = engine.execute("SELECT team, event_id, event_date, raw_object FROM events").to_pylist()
    finally:
        engine.close()
    expected = {
        (e.team, str(e.event_id), e.occurred_at.astimezone(UTC).strftime("%Y-%m-%d")) for e in generated
    }
    assert {(r["team"], r["event_id"], r["event_date"]) for r in rows} == expected
    assert {r["raw_object"].split("/")[1] for r in rows} == {f"team={t}" for t in by_team}

    # The next run: the bookmark hands over only the new object.
    more = [e for e in TrafficGenerator(22, start=START).stored_events(20) if e.team == "orders"]
    write_raw(tmp_path, "orders", more, "batch-2")
    monkeypatch.setattr(sys, "argv", glue_argv(tmp_path, "jr_2"))
    summary = job.main()
    assert summary["tables"]["events"]["input_rows"] == len(more)
    assert "rejected_events" not in summary["tables"]  # nothing new there: no rejected documents read
    assert summary["run_id"] == "jr_2"


def test_without_the_object_name_every_line_would_be_quarantined(spark: SparkSession) -> None:
    """Why attachFilename: input_file_name() is empty on a DataFrame converted from a DynamicFrame."""
    event = TrafficGenerator(23, start=START).stored_events(1)[0]
    lines = spark.createDataFrame([(event.to_json(), "")], "value string, source_file string")
    (row,) = transform.parse_events(lines).collect()
    assert row["_reasons"] == ["team: differs from the team of the raw object it was stored in"]
    assert json.loads(event.to_json())["team"] == event.team
