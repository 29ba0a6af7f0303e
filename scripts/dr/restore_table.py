"""Restore the events table: point-in-time (PITR) or from a backup, into a table, then verify it.

    # The table is damaged but exists: its state at a time, into a new table, then copy back what is missing
    python -m scripts.dr.restore_table --env prod --at 2026-11-21T09:55Z
    python -m scripts.dr.restore_table --env prod --at 2026-11-21T09:55Z --copy-back
    # The table was deleted: its last backup (AWS keeps a SYSTEM backup of a deleted PITR table 35 days)
    python -m scripts.dr.restore_table --env prod --deleted
    python -m scripts.dr.restore_table --local --backup-arn arn:aws:dynamodb:...   # one given backup
    ... --dry-run            check the PITR window / find the backup; restore nothing

What a restore does not carry over, and this command re-applies to the new
table: the stream (NEW_IMAGE, which the fan-out mapping reads), TTL on
`expires_at`, PITR, deletion protection (per environment, from
config/platform.yaml) and billing mode (on-demand). Restored items are not
stream records: the restore itself re-delivers nothing.

Verification: the item count and the count per team, every item checked
against the events-table contract (key, envelope parsing to a stored Event
that agrees with the item's attributes), and, when the source table still
exists, its count for comparison. Then the switch-over steps for the case at
hand are printed (docs/operations.md has the whole runbook). The report is
JSON; the exit status is 1 when verification failed.

Works against AWS (default credential chain) and the local platform
(`--local`). moto, behind the local platform, implements both restore calls
but copies the source table's current items whatever the restore time, and
does not keep a backup of a deleted table: locally, the drill restores from an
on-demand backup and replays the raw zone for the rest (tests/integration/test_dr_drill.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from lambdas.ingest.store import DynamoEventStore, StoreUnavailable
from platform_core.aws import client
from platform_core.envelope import Event
from platform_core.events_table import ITEM_ATTRIBUTES, TTL_ATTRIBUTE
from platform_core.resources import Resources
from scripts.dr.target import add_target_arguments, resolve, time_argument

CONTRACT = ITEM_ATTRIBUTES


@dataclass
class Verification:
    items: int = 0
    per_team: dict[str, int] = field(default_factory=dict)
    contract_violations: int = 0
    examples: list[str] = field(default_factory=list)
    source_items: int | None = None  # the live table's count, when it still exists

    @property
    def ok(self) -> bool:
        return self.contract_violations == 0


@dataclass
class RestoreReport:
    source: str
    target: str
    method: str  # "point-in-time" or "backup"
    restore_point: str  # the time asked for, "latest", or the backup's creation time
    dry_run: bool
    backup_arn: str | None = None
    pitr_window: dict[str, str] | None = None
    seconds_to_active: float | None = None
    settings_applied: list[str] = field(default_factory=list)
    verification: Verification | None = None
    copied_back: dict[str, int] | None = None
    next_steps: list[str] = field(default_factory=list)


def table_exists(dynamodb: Any, name: str) -> bool:
    try:
        dynamodb.describe_table(TableName=name)
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return False
        raise


def pitr_window(dynamodb: Any, table: str) -> dict[str, str]:
    description = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    pitr = description.get("PointInTimeRecoveryDescription", {})
    if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
        raise SystemExit(f"{table}: point-in-time recovery is not enabled; restore from a backup instead")
    return {
        name: value.astimezone(UTC).isoformat() if isinstance(value, datetime) else str(value)
        for name, value in pitr.items()
        if name in ("EarliestRestorableDateTime", "LatestRestorableDateTime")
    }


def latest_backup(dynamodb: Any, table: str) -> dict[str, Any]:
    """The newest usable backup of a table name (SYSTEM: made by AWS when a PITR table is deleted)."""
    summaries: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("list_backups").paginate(TableName=table, BackupType="ALL"):
        summaries.extend(s for s in page["BackupSummaries"] if s.get("BackupStatus") == "AVAILABLE")
    if not summaries:
        raise SystemExit(f"no available backup of {table} (list-backups); nothing to restore from")
    return max(summaries, key=lambda s: s["BackupCreationDateTime"])


def wait_active(dynamodb: Any, table: str, timeout: float, poll: float = 5.0) -> float:
    started = time.monotonic()
    while True:
        status = dynamodb.describe_table(TableName=table)["Table"]["TableStatus"]
        if status == "ACTIVE":
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise SystemExit(
                f"{table} is still {status} after {timeout:.0f}s; rerun with --no-restore to go on"
            )
        time.sleep(poll)


def reapply_settings(dynamodb: Any, table: str, resources: Resources) -> list[str]:
    """What a restore leaves out, as Terraform sets it on the events table (idempotent)."""
    applied: list[str] = []
    described = dynamodb.describe_table(TableName=table)["Table"]
    if not described.get("StreamSpecification", {}).get("StreamEnabled"):
        dynamodb.update_table(
            TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
        )
        applied.append("stream NEW_IMAGE enabled")
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        dynamodb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
        )
        applied.append(f"TTL on {TTL_ATTRIBUTE} enabled")
    environment = resources.config.environments[resources.env]
    if environment.point_in_time_recovery:
        dynamodb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        applied.append("point-in-time recovery enabled")
    if environment.deletion_protection:
        dynamodb.update_table(TableName=table, DeletionProtectionEnabled=True)
        applied.append("deletion protection enabled")
    return applied


def contract_problem(item: dict[str, Any]) -> str | None:
    missing = [name for name in CONTRACT if name not in item]
    if missing:
        return f"{item.get('pk', {}).get('S', '?')}: missing {', '.join(missing)}"
    try:
        event = Event.model_validate_json(item["envelope"]["S"])
    except ValidationError as exc:
        return f"{item['pk']['S']}: envelope is not a stored event ({exc.error_count()} errors)"
    expected = {
        "pk": f"{event.team}#{event.event_id}",
        "team": event.team,
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "correlation_id": event.correlation_id,
    }
    wrong = [name for name, value in expected.items() if item[name]["S"] != value]
    return f"{item['pk']['S']}: {', '.join(wrong)} disagree with the envelope" if wrong else None


def scan_items(dynamodb: Any, table: str) -> Any:
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        yield from page["Items"]


def verify(dynamodb: Any, table: str, source: str | None) -> Verification:
    result = Verification()
    teams: Counter[str] = Counter()
    for item in scan_items(dynamodb, table):
        result.items += 1
        teams[item.get("team", {}).get("S", "?")] += 1
        problem = contract_problem(item)
        if problem is not None:
            result.contract_violations += 1
            if len(result.examples) < 10:
                result.examples.append(problem)
    result.per_team = dict(sorted(teams.items()))
    if source is not None and source != table and table_exists(dynamodb, source):
        result.source_items = sum(
            int(page["Count"])
            for page in dynamodb.get_paginator("scan").paginate(TableName=source, Select="COUNT")
        )
    return result


def copy_back(dynamodb: Any, restored: str, live: str) -> dict[str, int]:
    """Put every restored item that the live table lacks (conditional puts: existing items are left alone)."""
    store = DynamoEventStore(dynamodb, live)
    counts = {"written": 0, "already_present": 0}
    chunk: list[dict[str, Any]] = []

    def flush() -> None:
        written = store.put_new(chunk)
        counts["written"] += sum(written)
        counts["already_present"] += len(written) - sum(written)
        chunk.clear()

    for item in scan_items(dynamodb, restored):
        chunk.append(item)
        if len(chunk) == 500:
            flush()
    if chunk:
        flush()
    return counts


def next_steps(report: RestoreReport, resources: Resources, live_exists: bool, where: str) -> list[str]:
    """The switch-over steps; `where` is how the commands name the platform (`--env prod` or `--local`)."""
    env = resources.env
    if report.target == report.source:
        return [
            f"The table is back under its own name. Re-attach the fan-out to its new stream: `make apply ENV={env}` "
            "(Terraform recreates the event source mapping on the new stream ARN; restored items are not stream "
            "records, so nothing is delivered twice).",
            "Replay the raw zone from the restore point to now into the table, for events accepted after it: "
            f"python -m scripts.dr.replay {where} --from <restore point - 15 min> --to <now> --to-table",
            "Watch the dashboard (or `make status` locally): ingest 5xx back to 0, iterator age falling, DLQs empty.",
        ]
    steps = [
        f"Inspect {report.target} (counts above) and decide. The platform reads the table by name "
        f"({resources.events_table}), so a restored copy is not switched to; its items are copied back:",
    ]
    if report.copied_back is None:
        steps.append(
            f"python -m scripts.dr.restore_table {where} --source {report.source} --target {report.target} "
            "--no-restore --copy-back   (conditional puts of the missing items; each one is a stream INSERT the "
            "fan-out delivers again: consumers are idempotent by event id, the curated zone deduplicates)"
        )
    if not live_exists:
        steps.insert(0, f"{report.source} no longer exists: `make apply ENV={env}` recreates it empty first.")
    steps.append(
        "Replay the raw zone from the restore point to now into the live table for what the copy lacks: "
        f"python -m scripts.dr.replay {where} --from <restore point> --to <now> --to-table"
    )
    steps.append(f"Delete {report.target} when done (it is billed like any table).")
    return steps


@dataclass(frozen=True)
class RestorePlan:
    """What to restore, from what, and what to do once it is restored."""

    source: str
    target: str
    at: datetime | None = None  # point in time; None: the latest restorable time
    backup_arn: str | None = None
    from_latest_backup: bool = False  # the source was deleted: its newest backup
    kms_key: str | None = None
    dry_run: bool = False
    skip_restore: bool = False  # the target exists already: only settings, checks, copy-back
    copy_back_to_source: bool = False
    wait_seconds: float = 3600
    poll_seconds: float = 5.0

    @property
    def from_backup(self) -> bool:
        return self.backup_arn is not None or self.from_latest_backup

    @property
    def overrides(self) -> dict[str, Any]:
        """What the restored table gets that the restore would not carry over by itself."""
        overrides: dict[str, Any] = {"BillingModeOverride": "PAY_PER_REQUEST"}
        if self.kms_key:
            overrides["SSESpecificationOverride"] = {
                "Enabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": self.kms_key,
            }
        return overrides


def restore(resources: Resources, plan: RestorePlan, where: str = "") -> RestoreReport:
    """Restore as planned, then re-apply the settings, verify, and copy back when asked."""
    dynamodb = client("dynamodb")
    if plan.from_backup:
        report = restore_from_backup(dynamodb, plan)
    else:
        report = restore_to_point_in_time(dynamodb, plan)
    if plan.dry_run:
        return report
    return finish(dynamodb, resources, plan, report, where or f"--env {resources.env}")


def restore_from_backup(dynamodb: Any, plan: RestorePlan) -> RestoreReport:
    if plan.backup_arn is None:
        backup = latest_backup(dynamodb, plan.source)
        backup_arn = str(backup["BackupArn"])
        point = backup["BackupCreationDateTime"]
    else:
        backup_arn = plan.backup_arn
        details = dynamodb.describe_backup(BackupArn=backup_arn)["BackupDescription"]["BackupDetails"]
        point = details["BackupCreationDateTime"]
    report = RestoreReport(
        plan.source, plan.target, "backup", _text(point), plan.dry_run, backup_arn=backup_arn
    )
    if not (plan.dry_run or plan.skip_restore):
        dynamodb.restore_table_from_backup(
            TargetTableName=plan.target, BackupArn=backup_arn, **plan.overrides
        )
    return report


def restore_to_point_in_time(dynamodb: Any, plan: RestorePlan) -> RestoreReport:
    at = plan.at
    report = RestoreReport(
        plan.source, plan.target, "point-in-time", _text(at) if at else "latest", plan.dry_run
    )
    report.pitr_window = pitr_window(dynamodb, plan.source)
    earliest = report.pitr_window.get("EarliestRestorableDateTime")
    if at is not None and earliest and at < datetime.fromisoformat(earliest):
        raise SystemExit(f"{at.isoformat()} is before the earliest restorable time {earliest}")
    if not (plan.dry_run or plan.skip_restore):
        point_args: dict[str, Any] = {"RestoreDateTime": at} if at else {"UseLatestRestorableTime": True}
        dynamodb.restore_table_to_point_in_time(
            SourceTableName=plan.source, TargetTableName=plan.target, **point_args, **plan.overrides
        )
    return report


def finish(
    dynamodb: Any, resources: Resources, plan: RestorePlan, report: RestoreReport, where: str
) -> RestoreReport:
    """Once the target is ACTIVE: its settings, the verification, the copy-back, the next steps."""
    report.seconds_to_active = round(
        wait_active(dynamodb, plan.target, plan.wait_seconds, plan.poll_seconds), 1
    )
    report.settings_applied = reapply_settings(dynamodb, plan.target, resources)
    report.verification = verify(dynamodb, plan.target, plan.source)
    live_exists = table_exists(dynamodb, plan.source)
    if plan.copy_back_to_source and plan.target != plan.source:
        if not live_exists:
            raise SystemExit(f"{plan.source} does not exist: recreate it (make apply) before --copy-back")
        report.copied_back = copy_back(dynamodb, plan.target, plan.source)
    report.next_steps = next_steps(report, resources, live_exists, where)
    return report


def _text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.dr.restore_table",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_target_arguments(parser)
    point = parser.add_mutually_exclusive_group()
    point.add_argument(
        "--at", type=time_argument, help="restore time (RFC 3339); default: the latest restorable time"
    )
    point.add_argument("--backup-arn", help="restore this backup instead of a point in time")
    point.add_argument(
        "--deleted", action="store_true", help="the table was deleted: restore its newest backup"
    )
    parser.add_argument("--source", help="the table to restore (default: the environment's events table)")
    parser.add_argument(
        "--target",
        help="the new table (default: <source>-restored-<UTC time>; the source name with --deleted)",
    )
    parser.add_argument(
        "--kms-key", help="KMS key ARN for the restored table (default: the source's encryption)"
    )
    parser.add_argument(
        "--copy-back", action="store_true", help="then put the restored items the source lacks"
    )
    parser.add_argument(
        "--no-restore", action="store_true", help="the target exists: only settings, checks, copy"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="check the window / find the backup; change nothing"
    )
    parser.add_argument("--wait-seconds", type=float, default=3600, help="how long to wait for ACTIVE")
    args = parser.parse_args(argv)

    resources = resolve(args)
    source = args.source or resources.events_table
    default_target = source if args.deleted else f"{source}-restored-{datetime.now(UTC):%Y%m%d%H%M}"
    try:
        plan = RestorePlan(
            source=source,
            target=args.target or default_target,
            at=args.at,
            backup_arn=args.backup_arn,
            from_latest_backup=args.deleted,
            kms_key=args.kms_key,
            dry_run=args.dry_run,
            skip_restore=args.no_restore,
            copy_back_to_source=args.copy_back,
            wait_seconds=args.wait_seconds,
        )
        report = restore(resources, plan, where="--local" if args.local else f"--env {resources.env}")
    except (ClientError, StoreUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    json.dump(asdict(report), sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    return 0 if report.verification is None or report.verification.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
