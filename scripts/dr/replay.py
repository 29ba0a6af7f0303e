"""Replay the raw zone for a time range [from, to) into the events table, a team's queue, or Kafka.

    python -m scripts.dr.replay --env prod --from 2026-11-21T08:00Z --to 2026-11-21T10:00Z --to-table
    python -m scripts.dr.replay --env prod --from ... --to ... --to-table my-restored-table
    python -m scripts.dr.replay --local --from ... --to ... --team orders --to-queue billing
    python -m scripts.dr.replay --local --from ... --to ... --event-type orders.order_created --to-topics
    ... --dry-run             count what would be replayed, write nothing

The raw zone holds every accepted event exactly once, as the stored envelope
(one JSON line each), under raw/team=<t>/dt=<day>/hour=<HH>/; the time is
`received_at`, when the platform accepted the event. Only the objects of the
hours that overlap the range are read.

Destinations, and why a rerun is harmless:
- table: the item of the events-table contract (what the ingest Lambda
  writes), by a conditional put: an item that exists is left alone, so a rerun
  writes nothing twice. Items whose TTL has passed are not restored (their
  idempotency window is over; DynamoDB would delete them). Mind the stream:
  every item written is a stream INSERT, which an attached fan-out delivers
  again (see docs/operations.md for the order of the steps).
- queue: a team's SQS queue, with the message attributes the fan-out sets,
  only the event types the team subscribes to; consumers are idempotent by
  event id, so a message sent twice is processed once.
- topics: each event to its topic (`<env>.<domain>.<name>`), keyed and with
  headers as the Kafka bridge produces it, only event types with Kafka
  subscribers; consumers deduplicate by the event_id header.

Resumable: each raw object done is recorded in a checkpoint file (by default
under .local/replay/, named after the replay's parameters); a rerun with the
same parameters skips those objects (`--restart` ignores the checkpoint).
`--max-objects` stops after that many objects (a throttled, stepwise replay).
The counts are printed as JSON; the exit status is 1 when anything failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lambdas.fanout.sinks import OutMessage, SqsSender
from lambdas.ingest.store import DynamoEventStore, StoreUnavailable
from lambdas.kafka_bridge.producer import KafkaPublisher, PoisonMessage, to_kafka_record
from platform_core import naming
from platform_core.aws import client
from platform_core.config import ROOT
from platform_core.envelope import Event
from platform_core.events_table import to_item
from platform_core.kafka import KafkaConnection
from platform_core.raw_zone import decode_events
from platform_core.records import event_message_attributes
from platform_core.registry import get_registry
from platform_core.resources import Resources
from scripts.dr.target import add_target_arguments, resolve, time_argument

CHECKPOINT_DIR = ROOT / ".local" / "replay"
_PARTITION = re.compile(r"^raw/team=(?P<team>[^/]+)/dt=(?P<day>\d{4}-\d{2}-\d{2})/hour=(?P<hour>\d{2})/")
WRITE_CHUNK = 500  # items or messages handed to the destination at once


@dataclass(frozen=True)
class Selection:
    """What to replay: received in [start, end), optionally one team (producer) and some event types."""

    start: datetime
    end: datetime
    team: str | None = None
    event_types: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("the range bounds must carry a time zone (e.g. 2026-11-21T08:00Z)")
        if self.start >= self.end:
            raise ValueError("--from must be before --to")

    def wants(self, event: Event) -> bool:
        return (
            self.start <= event.received_at < self.end
            and (self.team is None or event.team == self.team)
            and (not self.event_types or event.event_type in self.event_types)
        )

    def hours(self) -> Iterator[datetime]:
        hour = self.start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        while hour < self.end:
            yield hour
            hour += timedelta(hours=1)


@dataclass(frozen=True)
class Destination:
    kind: str  # "table", "queue" or "topics"
    name: str  # table name, queue name, or "" for topics (each event's own topic)

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}" if self.name else self.kind


@dataclass
class ReplayReport:
    destination: str
    start: str
    end: str
    dry_run: bool
    objects: int = 0  # raw objects in the range's hour partitions
    objects_done_before: int = 0  # skipped: done by an earlier run (checkpoint)
    objects_read: int = 0
    lines_read: int = 0
    selected: int = 0  # events in the range and filters
    not_for_destination: int = 0  # selected but not routed there (subscription), or expired (table)
    written: int = 0  # new items / messages sent / records acknowledged
    already_present: int = 0  # table only: items that existed (left alone)
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    stopped_early: bool = False  # --max-objects reached; rerun to continue


def partition_prefixes(resources: Resources, selection: Selection) -> list[str]:
    teams = [selection.team] if selection.team else list(resources.config.teams)
    return [
        naming.raw_key(team, hour, "x").rsplit("/", 1)[0] + "/"
        for hour in selection.hours()
        for team in teams
    ]


def raw_objects(resources: Resources, selection: Selection, s3: Any) -> list[str]:
    keys: list[str] = []
    for prefix in partition_prefixes(resources, selection):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=resources.raw_bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []) if _PARTITION.match(obj["Key"]))
    return sorted(keys)


def read_events(s3: Any, bucket: str, key: str) -> list[tuple[Event, str]]:
    """(event, the envelope JSON exactly as stored) of every line of a raw object."""
    return decode_events(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


class Checkpoint:
    """The raw objects a replay has finished, kept across runs (written atomically after each object)."""

    def __init__(self, path: Path | None):
        self.path = path
        self.done: set[str] = set()
        if path is not None and path.exists():
            self.done = set(json.loads(path.read_text(encoding="utf-8"))["done"])

    def mark(self, key: str) -> None:
        self.done.add(key)
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"done": sorted(self.done)}), encoding="utf-8")
        temporary.replace(self.path)


def default_checkpoint(resources: Resources, selection: Selection, destination: Destination) -> Path:
    identity = json.dumps(
        [
            resources.raw_bucket,
            str(destination),
            selection.start.isoformat(),
            selection.end.isoformat(),
            selection.team,
            sorted(selection.event_types),
        ]
    )
    return CHECKPOINT_DIR / f"{hashlib.sha256(identity.encode()).hexdigest()[:16]}.json"


class Writer:
    """Delivers events to one destination; returns (written, already present, failure messages)."""

    def __init__(self, resources: Resources, destination: Destination, kafka: KafkaConnection | None):
        self._resources = resources
        self._destination = destination
        config = resources.config
        self._retention_seconds = config.ingest.event_retention_days * 86_400
        self._queue_team = next(
            (t for t in config.sqs_subscriber_teams if resources.team_queue(t) == destination.name), None
        )
        self._store = (
            DynamoEventStore(client("dynamodb"), destination.name) if destination.kind == "table" else None
        )
        self._sqs = SqsSender(client("sqs")) if destination.kind == "queue" else None
        self._kafka: KafkaPublisher | None = None
        if destination.kind == "topics":
            if kafka is None:
                raise SystemExit(
                    "--to-topics needs KAFKA_BOOTSTRAP_SERVERS (or --local with a running broker)"
                )
            self._kafka = KafkaPublisher(kafka, delivery_timeout_ms=30_000)

    def accepts(self, event: Event, now: float) -> bool:
        config = self._resources.config
        match self._destination.kind:
            case "table":
                return int(event.received_at.timestamp()) + self._retention_seconds > now
            case "queue":
                return self._queue_team is not None and self._queue_team in config.sqs_subscribers(
                    event.event_type
                )
            case _:
                return event.event_type in config.kafka_event_types

    def write(self, events: Sequence[tuple[Event, str]]) -> tuple[int, int, list[str]]:
        if self._store is not None:
            items = [
                to_item(
                    team=event.team,
                    event_id=str(event.event_id),
                    event_type=event.event_type,
                    received_at=json.loads(line)["received_at"],  # the text as stored, not re-rendered
                    correlation_id=event.correlation_id,
                    envelope_json=line,
                    expires_at=int(event.received_at.timestamp()) + self._retention_seconds,
                )
                for event, line in events
            ]
            try:
                written = self._store.put_new(items)
            except StoreUnavailable as exc:
                return 0, 0, [f"{len(items)} items not written: {exc}"]
            return sum(written), len(written) - sum(written), []
        if self._sqs is not None:
            messages = [
                OutMessage(i, line, event_message_attributes(event)) for i, (event, line) in enumerate(events)
            ]
            failed = self._sqs.send({self._destination.name: messages})
            return (
                len(events) - len(failed),
                0,
                [f"not sent: {events[i][0].event_id}" for i in sorted(failed)],
            )
        assert self._kafka is not None
        records, failures = [], []
        for event, line in events:
            try:
                records.append(to_kafka_record(line, self._resources.env, get_registry()))
            except PoisonMessage as exc:
                failures.append(f"{event.event_id}: {exc}")
        errors = self._kafka.publish(records) if records else []
        failures += [f"{r.topic}: {e}" for r, e in zip(records, errors, strict=True) if e is not None]
        return sum(e is None for e in errors), 0, failures


def replay(
    resources: Resources,
    selection: Selection,
    destination: Destination,
    *,
    dry_run: bool = False,
    checkpoint: Path | None = None,
    max_objects: int | None = None,
    kafka: KafkaConnection | None = None,
) -> ReplayReport:
    report = ReplayReport(str(destination), selection.start.isoformat(), selection.end.isoformat(), dry_run)
    s3 = client("s3")
    keys = raw_objects(resources, selection, s3)
    report.objects = len(keys)
    done = Checkpoint(None if dry_run else checkpoint)
    writer = None if dry_run else Writer(resources, destination, kafka)
    now = datetime.now(UTC).timestamp()
    for key in keys:
        if key in done.done:
            report.objects_done_before += 1
            continue
        if max_objects is not None and report.objects_read >= max_objects:
            report.stopped_early = True
            break
        lines = read_events(s3, resources.raw_bucket, key)
        report.objects_read += 1
        report.lines_read += len(lines)
        chosen = [(event, line) for event, line in lines if selection.wants(event)]
        report.selected += len(chosen)
        if writer is None:
            continue
        deliverable = [(event, line) for event, line in chosen if writer.accepts(event, now)]
        report.not_for_destination += len(chosen) - len(deliverable)
        failures: list[str] = []
        for start in range(0, len(deliverable), WRITE_CHUNK):
            written, present, chunk_failures = writer.write(deliverable[start : start + WRITE_CHUNK])
            report.written += written
            report.already_present += present
            failures += chunk_failures
        if failures:
            # The object is not marked done: a rerun takes it again (every destination is idempotent).
            report.failed += len(failures)
            report.failures.extend(failures[:20])
        else:
            done.mark(key)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.dr.replay",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_target_arguments(parser)
    parser.add_argument(
        "--from", dest="start", type=time_argument, required=True, help="received at or after (RFC 3339)"
    )
    parser.add_argument(
        "--to", dest="end", type=time_argument, required=True, help="received before (RFC 3339)"
    )
    parser.add_argument("--team", help="only events produced by this team")
    parser.add_argument("--event-type", action="append", default=[], help="only this event type (repeatable)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--to-table",
        nargs="?",
        const="",
        metavar="TABLE",
        help="the events table (default) or a restored one",
    )
    where.add_argument("--to-queue", metavar="TEAM", help="a subscribing team's SQS queue")
    where.add_argument("--to-topics", action="store_true", help="each event's Kafka topic")
    parser.add_argument("--dry-run", action="store_true", help="count what would be replayed; write nothing")
    parser.add_argument("--checkpoint", type=Path, help="checkpoint file (default: .local/replay/<id>.json)")
    parser.add_argument("--restart", action="store_true", help="ignore (and replace) the checkpoint")
    parser.add_argument("--max-objects", type=int, help="stop after this many raw objects (rerun to go on)")
    args = parser.parse_args(argv)

    resources = resolve(args)
    if args.to_queue is not None:
        if args.to_queue not in resources.config.sqs_subscriber_teams:
            raise SystemExit(
                f"{args.to_queue} has no SQS subscriptions; one of {resources.config.sqs_subscriber_teams}"
            )
        destination = Destination("queue", resources.team_queue(args.to_queue))
    elif args.to_topics:
        destination = Destination("topics", "")
    else:
        destination = Destination("table", args.to_table or resources.events_table)
    try:
        selection = Selection(args.start, args.end, args.team, frozenset(args.event_type))
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc
    checkpoint = args.checkpoint or default_checkpoint(resources, selection, destination)
    if args.restart:
        checkpoint.unlink(missing_ok=True)
    kafka = KafkaConnection.from_env() if args.to_topics and not args.dry_run else None
    report = replay(
        resources,
        selection,
        destination,
        dry_run=args.dry_run,
        checkpoint=checkpoint,
        max_objects=args.max_objects,
        kafka=kafka,
    )
    json.dump({**asdict(report), "checkpoint": str(checkpoint)}, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 1 if report.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
