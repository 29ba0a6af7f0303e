"""The lake pipeline on the local platform: the Glue job, the data-quality checks, the alert.

The same sequence as the Step Functions state machine on AWS, with the same
job code (glue_jobs/raw_to_curated) and the same checks (athena/checks/*.sql):

1. List the raw and rejected zones; what the manifest (curated bucket,
   _state/raw_to_curated/manifest.json: key -> ETag) has not seen is new: the
   local equivalent of Glue job bookmarks.
2. Mirror the buckets into <workdir>/lake (Spark cannot read s3:// here: the
   hadoop-aws jars come from Maven Central, which these machines cannot reach),
   then run the job in Spark local mode on the new objects, writing the
   rewritten partitions to a staging directory.
3. Upload the new partition versions, key-index segment and quarantine files
   (new keys: nothing a reader sees), check that the versions hold each key
   once, then commit and switch (glue_jobs/raw_to_curated/versions.py, the
   same as on Glue), then record the objects read in the manifest. A failure
   before the commit changes nothing a reader sees and the next run redoes
   the work; after it, the next run finishes the switch.
4. Run every athena/checks/*.sql with the local engine (a check returns its
   violations: zero rows passes); on any failure publish to the lake-alerts
   SNS topic if it exists and report a failed status.
"""

from __future__ import annotations

import json
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from glue_jobs.contract import load_tables
from local_platform.lake.layout import MANIFEST_KEY, lake_root
from local_platform.query.lint import ATHENA_DIR
from platform_core.aws import client
from platform_core.naming import lake_alerts_topic
from platform_core.resources import Resources

RAW_PREFIX = "raw/"
REJECTED_PREFIX = "rejected/"
CURATED_PREFIXES = ("curated/", "quarantine/", "_state/raw_to_curated/index/")


@dataclass
class TableSummary:
    input_rows: int
    quarantined: int
    added: int
    duplicates: int
    partitions_rewritten: int
    files_written: int


@dataclass
class CheckResult:
    name: str
    passed: bool
    violations: list[dict[str, Any]]
    error: str | None = None


@dataclass
class LakeResult:
    """What one run_lake did. `ok` is False when the job or any check failed."""

    run_id: str
    ok: bool
    new_raw_objects: int = 0
    new_rejected_objects: int = 0
    tables: dict[str, TableSummary] = field(default_factory=dict)
    checks: list[CheckResult] = field(default_factory=list)
    error: str | None = None
    alert_published: bool = False
    lake_root: Path | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ok": self.ok,
            "new_raw_objects": self.new_raw_objects,
            "new_rejected_objects": self.new_rejected_objects,
            "tables": {name: vars(t) for name, t in self.tables.items()},
            "checks": [vars(c) for c in self.checks],
            "error": self.error,
            "alert_published": self.alert_published,
            "lake_root": str(self.lake_root) if self.lake_root else None,
            "seconds": round(self.seconds, 2),
        }


# --- S3 helpers ---------------------------------------------------------------


def list_objects(bucket: str, prefix: str) -> dict[str, str]:
    """key -> ETag of every object under the prefix."""
    objects: dict[str, str] = {}
    for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            objects[item["Key"]] = item["ETag"].strip('"')
    return objects


def load_manifest(bucket: str) -> dict[str, str]:
    try:
        body = client("s3").get_object(Bucket=bucket, Key=MANIFEST_KEY)["Body"].read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return {}
        raise
    return dict(json.loads(body)["objects"])


def commit_manifest(bucket: str, objects: dict[str, str], run_id: str) -> None:
    document = {
        "version": 1,
        "run_id": run_id,
        "committed_at": datetime.now(UTC).isoformat(),
        "objects": objects,
    }
    client("s3").put_object(
        Bucket=bucket,
        Key=MANIFEST_KEY,
        Body=json.dumps(document, sort_keys=True).encode(),
        ContentType="application/json",
    )


def sync_down(bucket: str, prefix: str, local_root: Path) -> dict[str, str]:
    """Make <local_root>/<key> mirror the bucket's prefix (download what changed, drop what is gone)."""
    objects = list_objects(bucket, prefix)
    etags_file = local_root / ".etags" / (prefix.strip("/").replace("/", "_") + ".json")
    known: dict[str, str] = json.loads(etags_file.read_text()) if etags_file.exists() else {}
    s3 = client("s3")
    for key, etag in objects.items():
        target = local_root / key
        if known.get(key) != etag or not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(target))
    for key in set(known) - set(objects):
        (local_root / key).unlink(missing_ok=True)
    etags_file.parent.mkdir(parents=True, exist_ok=True)
    etags_file.write_text(json.dumps(objects))
    return objects


# --- the job ------------------------------------------------------------------


def _validate_staged(staging: Path, run_id: str) -> None:
    """The run's new partition versions hold each key once (checked before they are switched in)."""
    import duckdb

    from glue_jobs.raw_to_curated import versions

    for name, contract in load_tables().items():
        version = staging / versions.version_prefix(name, run_id)
        if not contract.unique_key or not any(version.rglob("*.parquet")):
            continue
        key = ", ".join(contract.unique_key)
        pattern = str(version / "**" / "*.parquet")
        duplicates = (
            duckdb.connect()
            .execute(
                f"SELECT count(*) FROM (SELECT {key} FROM read_parquet('{pattern}', hive_partitioning = true) "
                f"GROUP BY {key} HAVING count(*) > 1)"
            )
            .fetchone()
        )
        if duplicates and duplicates[0]:
            raise RuntimeError(f"{name}: {duplicates[0]} duplicate keys ({key}) in the new versions")


def _uploader(bucket: str, staging: Path) -> Callable[[list[str]], None]:
    """Uploads what Spark wrote under each key prefix in the staging directory, at the same keys."""

    def publish(prefixes: list[str]) -> None:
        s3 = client("s3")
        for prefix in prefixes:
            for path in sorted((staging / prefix).rglob("*")):
                if path.is_file() and not path.name.startswith((".", "_")):
                    s3.upload_file(str(path), bucket, path.relative_to(staging).as_posix())

    return publish


def run_job(
    resources: Resources,
    workdir: Path,
    spark: Any,
    run_id: str,
    result: LakeResult,
    *,
    before_switch: Callable[[], None] | None = None,
) -> None:
    """Steps 1-3: the Glue job's local run. Raises on failure; what readers see changes only at the switch."""
    from glue_jobs.raw_to_curated import run as job
    from glue_jobs.raw_to_curated import versions

    root = lake_root(workdir)
    raw = sync_down(resources.raw_bucket, RAW_PREFIX, root / "raw")
    rejected = sync_down(resources.rejected_bucket, REJECTED_PREFIX, root / "rejected")
    manifest = load_manifest(resources.curated_bucket)
    new_raw = sorted(k for k, etag in raw.items() if manifest.get(k) != etag)
    new_rejected = sorted(k for k, etag in rejected.items() if manifest.get(k) != etag)
    result.new_raw_objects, result.new_rejected_objects = len(new_raw), len(new_rejected)
    # The curated mirror is what the job reads (manifests, versions, the key index): the bucket's state.
    for prefix in CURATED_PREFIXES:
        sync_down(resources.curated_bucket, prefix, root / "curated")
    if not new_raw and not new_rejected:
        return
    staging = workdir / "staging" / run_id

    def checked_switch() -> None:
        _validate_staged(staging, run_id)
        if before_switch is not None:
            before_switch()

    lake = job.Lake(
        versions.S3Store(resources.curated_bucket, client("s3")),
        read_root=str(root / "curated"),
        write_root=str(staging),
        publish=_uploader(resources.curated_bucket, staging),
        before_switch=checked_switch,
    )
    raw_lines = job.read_raw_lines(spark, [str(root / "raw" / k) for k in new_raw]) if new_raw else None
    documents = (
        job.read_documents(spark, [str(root / "rejected" / k) for k in new_rejected])
        if new_rejected
        else None
    )
    results = job.run(spark, raw_lines, documents, lake, run_id)
    commit_manifest(
        resources.curated_bucket,
        {**manifest, **{k: raw[k] for k in new_raw}, **{k: rejected[k] for k in new_rejected}},
        run_id,
    )
    for prefix in CURATED_PREFIXES:
        sync_down(resources.curated_bucket, prefix, root / "curated")
    for name, r in results.items():
        result.tables[name] = TableSummary(
            input_rows=r.input_rows,
            quarantined=r.quarantined,
            added=r.added,
            duplicates=r.duplicates,
            partitions_rewritten=len(r.after),
            files_written=len(list((staging / versions.version_prefix(name, run_id)).rglob("*.parquet"))),
        )


# --- checks and alert ---------------------------------------------------------


def check_parameters(path: Path, cutoff: datetime) -> list[str]:
    """A check's Athena execution parameters: the cutoff, a quoted RFC 3339 string, when it has a `?`
    (what the state machine passes, from the execution's start time)."""
    import sqlglot
    from sqlglot import exp

    statement = sqlglot.parse_one(path.read_text(encoding="utf-8"), read="athena")
    placeholders = len(list(statement.find_all(exp.Placeholder)))
    return ["'" + cutoff.isoformat().replace("+00:00", "Z") + "'"] * placeholders


def run_checks(root: Path, cutoff: datetime, athena_dir: Path = ATHENA_DIR) -> list[CheckResult]:
    from local_platform.query.engine import LocalEngine

    engine = LocalEngine(root, athena_dir)
    results = []
    try:
        for path in sorted((athena_dir / "checks").glob("*.sql")):
            try:
                rows = engine.run_file(path, check_parameters(path, cutoff)).to_pylist()
                results.append(CheckResult(path.stem, passed=not rows, violations=rows[:20]))
            except Exception as exc:
                results.append(CheckResult(path.stem, passed=False, violations=[], error=str(exc)))
    finally:
        engine.close()
    return results


def publish_alert(resources: Resources, result: LakeResult) -> bool:
    """Publish the failure to the lake-alerts topic when the endpoint has it; False when there is none."""
    sns = client("sns")
    name = lake_alerts_topic(resources.project, resources.env)
    try:
        topics = [
            t["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for t in page["Topics"]
        ]
    except ClientError:
        return False
    arn = next((t for t in topics if t.rsplit(":", 1)[-1] == name), None)
    if arn is None:
        return False
    failed = [c.name for c in result.checks if not c.passed]
    sns.publish(
        TopicArn=arn,
        Subject=f"{resources.project} {resources.env} lake run {result.run_id} failed"[:100],
        Message=json.dumps(
            {
                "run_id": result.run_id,
                "error": result.error,
                "failed_checks": failed,
                "result": result.as_dict(),
            },
            default=str,
        ),
    )
    return True


def run_lake(
    resources: Resources,
    workdir: Path,
    spark: Any = None,
    now: datetime | None = None,
    before_switch: Callable[[], None] | None = None,
) -> LakeResult:
    """Run the job on what is new in the raw and rejected zones, then the checks; alert on failure.

    `spark`: an existing SparkSession (tests share one); by default a local
    session is started and stopped. `before_switch`: called once the run has
    written everything, just before it commits and switches (a fault injected
    there must leave what readers see unchanged). Returns the run's LakeResult;
    never raises for a failed job or check (result.ok is False and result.error
    says why).
    """
    started = time.monotonic()
    cutoff = now or datetime.now(UTC)
    run_id = f"{cutoff:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    workdir.mkdir(parents=True, exist_ok=True)
    result = LakeResult(run_id=run_id, ok=False, lake_root=lake_root(workdir))
    own_session = spark is None
    try:
        if own_session:
            from glue_jobs.local_spark import local_session

            spark = local_session()
            spark.sparkContext.setLogLevel("ERROR")
        run_job(resources, workdir, spark, run_id, result, before_switch=before_switch)
    except Exception as exc:
        result.error = f"job failed: {exc}\n{traceback.format_exc(limit=5)}"
    finally:
        if own_session and spark is not None:
            spark.stop()
    if result.error is None:
        result.checks = run_checks(lake_root(workdir), cutoff)
        failed = [c.name for c in result.checks if not c.passed]
        if failed:
            result.error = f"data-quality checks failed: {', '.join(failed)}"
    result.ok = result.error is None
    if not result.ok:
        result.alert_published = publish_alert(resources, result)
    result.seconds = time.monotonic() - started
    return result
