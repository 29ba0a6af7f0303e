"""The fan-out of one DynamoDB stream batch: route, send, archive, and say where the batch failed.

Stream semantics drive the design: Lambda checkpoints a stream batch at the
lowest failed sequence number and retries everything from there. So the
outcome of a batch is one index, `failed_from`: records before it are done
(every queue has them and the raw zone holds them), records from it on will
come again. Only that committed prefix is archived, and the raw zone is
written last, so an event is in the raw zone only once every queue has it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from lambdas.fanout.routing import Router
from lambdas.fanout.settings import FanoutSettings
from lambdas.fanout.sinks import OutMessage, RawZoneWriter, SqsSender
from platform_core import naming
from platform_core.aws import client
from platform_core.config import PlatformConfig, get_config
from platform_core.envelope import Event
from platform_core.events_table import ENVELOPE_ATTRIBUTE
from platform_core.raw_zone import batch_id
from platform_core.records import event_message_attributes

INSERT = "INSERT"


class PoisonRecord(ValueError):
    """A stream record that can never be fanned out (no or invalid envelope)."""


def parse_record(record: Mapping[str, Any]) -> tuple[Event, str]:
    """(event, envelope JSON exactly as stored) of an INSERT stream record."""
    try:
        body = record["dynamodb"]["NewImage"][ENVELOPE_ATTRIBUTE]["S"]
    except (KeyError, TypeError) as exc:
        raise PoisonRecord(f"stream record has no {ENVELOPE_ATTRIBUTE} string in NewImage") from exc
    try:
        return Event.model_validate_json(body), body
    except ValidationError as exc:
        raise PoisonRecord(f"envelope is not a valid stored event: {exc.error_count()} error(s)") from exc


@dataclass
class FanoutResult:
    records: int
    inserts: int = 0
    archived: int = 0  # events of the committed prefix, now in every queue and the raw zone
    messages: int = 0
    raw_objects: list[str] = field(default_factory=list)
    failed_from: int | None = None  # index of the first record to retry; None when all are done
    errors: dict[int, str] = field(default_factory=dict)  # record index -> why it failed

    @property
    def committed(self) -> int:
        return self.records if self.failed_from is None else self.failed_from


class FanoutService:
    def __init__(
        self,
        config: PlatformConfig,
        env: str,
        sender: SqsSender,
        raw_writer: RawZoneWriter,
    ):
        self.metrics_namespace = config.project
        self._router = Router(config)
        self._sender = sender
        self._raw = raw_writer
        self._team_queues = {
            team: naming.team_queue(config.project, env, team) for team in self._router.sqs_teams
        }
        self._outbox_queue = naming.outbox_queue(config.project, env)

    @classmethod
    def from_settings(
        cls,
        settings: FanoutSettings,
        *,
        sqs: Any = None,
        s3: Any = None,
        config: PlatformConfig | None = None,
    ) -> FanoutService:
        """The service over the queues and raw zone of its environment (clients injectable: fault injection)."""
        return cls(
            config or get_config(),
            settings.platform_env,
            SqsSender(sqs or client("sqs")),
            RawZoneWriter(s3 or client("s3"), settings.raw_bucket),
        )

    def process(self, records: Sequence[Mapping[str, Any]]) -> FanoutResult:
        result = FanoutResult(records=len(records))
        if not records:
            return result
        events, by_queue = self._route(records, result)
        for index in self._sender.send(by_queue):
            result.errors.setdefault(index, "could not be delivered to every subscriber queue")
        failed_from = min(result.errors, default=len(records))
        if events:
            failed_from = self._archive(records, events, failed_from, result)
        result.failed_from = None if failed_from == len(records) else failed_from
        return result

    def _route(
        self, records: Sequence[Mapping[str, Any]], result: FanoutResult
    ) -> tuple[dict[int, tuple[Event, str]], dict[str, list[OutMessage]]]:
        """The batch's events (by record index) and the messages each queue gets; poison records noted."""
        events: dict[int, tuple[Event, str]] = {}
        by_queue: dict[str, list[OutMessage]] = defaultdict(list)
        for index, record in enumerate(records):
            if record.get("eventName") != INSERT:
                continue  # the mapping filters these out; a MODIFY or REMOVE is never an event to deliver
            try:
                event, body = parse_record(record)
            except PoisonRecord as exc:
                result.errors[index] = str(exc)
                continue
            events[index] = (event, body)
            route = self._router.route(event.event_type)
            if route.sqs_teams or route.kafka:
                attributes = event_message_attributes(event)
                for team in route.sqs_teams:
                    by_queue[self._team_queues[team]].append(OutMessage(index, body, attributes))
                if route.kafka:
                    by_queue[self._outbox_queue].append(OutMessage(index, body, attributes))
        result.inserts = len(events)
        result.messages = sum(len(messages) for messages in by_queue.values())
        return events, by_queue

    def _archive(
        self,
        records: Sequence[Mapping[str, Any]],
        events: dict[int, tuple[Event, str]],
        failed_from: int,
        result: FanoutResult,
    ) -> int:
        """Write the committed prefix to the raw zone, last; the index the batch fails from afterwards."""
        committed = [pair for index, pair in events.items() if index < failed_from]
        first = records[0]
        try:
            result.raw_objects = self._raw.write(
                batch_id(str(first.get("eventSourceARN", "")), str(first["eventID"]), _sequence(first)),
                committed,
            )
        except (ClientError, BotoCoreError) as exc:
            # Nothing of this batch is archived for sure: all of it comes again.
            result.errors[0] = f"raw zone write failed: {exc}"
            return 0
        result.archived = len(committed)
        return failed_from


def _sequence(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])
