"""The ingest rules: who is calling, is the request acceptable, and a verdict for every event.

Request-level rules (status codes) are checked in this order:
401/403 (API key) -> 413 (size) -> 415 (content type) -> 400 (not JSON, not an
event or an array of events, empty or over-long batch, bad X-Correlation-Id).
Then every event gets a verdict: `accepted` (written now), `duplicate` (its
(team, event_id) was already written, by an earlier request or earlier in this
batch) or `rejected` (with reasons). 202 when at least one event is accepted or
duplicate, 400 when all are rejected. Whatever is not accepted is kept in the
rejected zone with its reasons, except unauthenticated requests (there is no
team to file them under). Nothing a client sends can produce a 500: storage
failures are 503 (retrying is safe, writes are idempotent).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError

from lambdas.ingest.models import (
    ErrorResponse,
    IngestResponse,
    Limits,
    ReasonOut,
    SchemaList,
    SchemaSummary,
    Verdict,
)
from lambdas.ingest.settings import IngestSettings
from lambdas.ingest.store import (
    DynamoEventStore,
    EventStore,
    RejectedStore,
    S3RejectedStore,
    rfc3339,
)
from platform_core.aws import client
from platform_core.config import PlatformConfig, get_config
from platform_core.envelope import EventIn
from platform_core.events_table import to_item
from platform_core.naming import rejected_key
from platform_core.observability import CORRELATION_ID, correlation_id_for
from platform_core.registry import Reason, SchemaRegistry, get_registry

JSON_MEDIA_TYPE = re.compile(r"^application/(?:[a-z0-9.+-]+\+)?json$")
UNKNOWN_TYPE = "unknown"  # metric dimension for event types not in the registry (bounded cardinality)

NOT_UNICODE = Reason("", "contains an unpaired surrogate escape (\\uD800-\\uDFFF): not valid Unicode")


class RequestError(Exception):
    """The request as a whole is refused (a 4xx the client can act on)."""

    def __init__(self, status: int, message: str, reasons: Sequence[Reason] = ()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.reasons = list(reasons)


@dataclass(frozen=True, slots=True)
class IngestRequest:
    """What the handler hands over from the API Gateway proxy event."""

    request_id: str
    api_key_id: str | None
    content_type: str | None
    body: str | None
    is_base64_encoded: bool = False
    correlation_header: str | None = None
    source_ip: str | None = None


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: BaseModel
    team: str | None = None
    # (event type or "unknown", verdict) -> count, for the metrics.
    counts: Counter[tuple[str, Verdict]] = field(default_factory=Counter)


def _reason_out(reason: Reason) -> ReasonOut:
    return ReasonOut(path=reason.path, message=reason.message)


def _loc_path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


class IngestService:
    def __init__(
        self,
        config: PlatformConfig,
        registry: SchemaRegistry,
        events: EventStore,
        rejected: RejectedStore,
        api_key_teams: Mapping[str, str],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        unknown = sorted(set(api_key_teams.values()) - set(config.teams))
        if unknown:
            raise ValueError(f"API_KEY_TEAMS maps keys to unknown teams: {', '.join(unknown)}")
        self._config = config
        self._registry = registry
        self._events = events
        self._rejected = rejected
        self._api_key_teams = dict(api_key_teams)
        self._clock = clock
        self._produces = {name: frozenset(team.produces) for name, team in config.teams.items()}
        self._retention_seconds = config.ingest.event_retention_days * 86_400
        self._max_bytes = config.api.max_body_bytes
        self._max_event_bytes = config.api.max_event_bytes
        self._max_events = config.api.max_batch_events
        self._known_types = frozenset(registry.event_types)

    @classmethod
    def from_settings(
        cls,
        settings: IngestSettings,
        *,
        dynamodb: Any = None,
        s3: Any = None,
        config: PlatformConfig | None = None,
    ) -> IngestService:
        """The service over the stores its settings name (clients injectable: tests, fault injection)."""
        return cls(
            config=config or get_config(),
            registry=get_registry(),
            events=DynamoEventStore(dynamodb or client("dynamodb"), settings.events_table),
            rejected=S3RejectedStore(settings.rejected_bucket, s3),
            api_key_teams=settings.api_key_teams,
        )

    @property
    def metrics_namespace(self) -> str:
        """CloudWatch namespace of the ingest metrics: the project (as POWERTOOLS_METRICS_NAMESPACE in Terraform)."""
        return self._config.project

    # -- authentication ------------------------------------------------------

    def team_for(self, api_key_id: str | None) -> str:
        if not api_key_id:
            raise RequestError(401, "missing API key: send it in the x-api-key header")
        team = self._api_key_teams.get(api_key_id)
        if team is None:
            raise RequestError(403, "unknown API key")
        return team

    # -- POST /v1/events -----------------------------------------------------

    def ingest(self, request: IngestRequest) -> Outcome:
        correlation_id = correlation_id_for(request.correlation_header, request.request_id)
        try:
            team = self.team_for(request.api_key_id)
        except RequestError as exc:
            return self._error(exc, request, correlation_id)
        received_at = self._clock()
        try:
            text = self._body_text(request)
            if request.correlation_header is not None and correlation_id != request.correlation_header:
                raise RequestError(
                    400,
                    "invalid X-Correlation-Id",
                    [Reason("headers.X-Correlation-Id", f"must match {CORRELATION_ID.pattern}")],
                )
            raw_events = self._parse(text)
        except RequestError as exc:
            self._keep_request(request, team, received_at, correlation_id, exc)
            return self._error(exc, request, correlation_id, team)
        return self._ingest_events(request, team, received_at, correlation_id, raw_events)

    def _body_text(self, request: IngestRequest) -> str:
        body = request.body or ""
        if request.is_base64_encoded:
            # Refuse before decoding: the encoded length bounds the decoded one.
            if len(body) > (self._max_bytes + 2) // 3 * 4:
                raise self._too_large()
            try:
                raw = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise RequestError(400, "the body is flagged base64 but is not valid base64") from exc
            if len(raw) > self._max_bytes:
                raise self._too_large()
        elif len(body) > self._max_bytes or (
            # Characters <= UTF-8 bytes <= 4 x characters: encode only when it can matter.
            4 * len(body) > self._max_bytes and len(body.encode("utf-8", "surrogatepass")) > self._max_bytes
        ):
            raise self._too_large()
        media_type = (request.content_type or "").split(";", 1)[0].strip().lower()
        if not JSON_MEDIA_TYPE.match(media_type):
            raise RequestError(415, f"Content-Type must be application/json, got {request.content_type!r}")
        if request.is_base64_encoded:
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise RequestError(400, f"the body is not UTF-8: {exc}") from exc
        return body

    def _too_large(self) -> RequestError:
        return RequestError(413, f"the body exceeds {self._max_bytes} bytes")

    def _parse(self, text: str) -> list[Any]:
        if not text.strip():
            raise RequestError(400, "empty body: send one event object or an array of events")
        try:
            document = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
        except (ValueError, RecursionError) as exc:
            raise RequestError(400, "the body is not valid JSON", [Reason("body", str(exc))]) from exc
        if isinstance(document, dict):
            return [document]
        if not isinstance(document, list):
            raise RequestError(400, "the body must be an event object or an array of events")
        if not document:
            raise RequestError(400, "empty batch: send at least one event")
        if len(document) > self._max_events:
            raise RequestError(
                400,
                f"batch of {len(document)} events exceeds the limit of {self._max_events}",
                [Reason("body", f"at most {self._max_events} events per request")],
            )
        return document

    def _ingest_events(
        self,
        request: IngestRequest,
        team: str,
        received_at: datetime,
        correlation_id: str,
        raw_events: list[Any],
    ) -> Outcome:
        received_text = rfc3339(received_at)
        batch = _Batch(
            team=team,
            received_at=received_text,
            correlation_id=correlation_id,
            expires_at=int(received_at.timestamp()) + self._retention_seconds,
            stamp=_stamp(team, received_text, request.request_id, correlation_id),
            max_event_bytes=self._max_event_bytes,
            results=[{}] * len(raw_events),
        )
        for index, raw in enumerate(raw_events):
            event_in, reasons = self._validate(team, raw)
            if event_in is None:
                batch.reject(index, raw, reasons, self._metric_type(_field(raw, "event_type")))
            else:
                batch.admit(index, raw, event_in)
        # StoreUnavailable propagates: the handler answers 503 (retrying is safe, writes are idempotent).
        written = self._events.put_new(batch.items)
        if batch.rejected:
            self._rejected.put(
                rejected_key(team, received_at, request.request_id),
                self._rejected_document(request, team, received_at, correlation_id, batch.rejected),
            )
        batch.settle(written)
        return batch.outcome(request.request_id)

    def _validate(self, team: str, raw: Any) -> tuple[EventIn | None, list[Reason]]:
        if not isinstance(raw, dict):
            return None, [Reason("", f"an event must be a JSON object, got {_json_type(raw)}")]
        try:
            event_in = EventIn.model_validate(raw)
        except ValidationError as exc:
            reasons = [Reason(_loc_path(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
            # Report the payload's problems too, when the envelope says enough to check it.
            event_type, version, payload = (
                raw.get("event_type"),
                raw.get("schema_version"),
                raw.get("payload"),
            )
            if isinstance(event_type, str) and isinstance(version, str) and isinstance(payload, dict):
                reasons += self._type_reasons(team, event_type, version, payload)
            return None, reasons
        reasons = self._type_reasons(team, event_in.event_type, event_in.schema_version, event_in.payload)
        return (None, reasons) if reasons else (event_in, [])

    def _type_reasons(self, team: str, event_type: str, version: str, payload: Any) -> list[Reason]:
        if event_type not in self._produces[team]:
            if event_type not in self._known_types:
                return [Reason("event_type", f"unknown event type {event_type!r}")]
            allowed = ", ".join(sorted(self._produces[team]))
            return [Reason("event_type", f"team {team} may not produce {event_type} (allowed: {allowed})")]
        return self._registry.validate_payload(event_type, version, payload)

    def _metric_type(self, event_type: str | None) -> str:
        return event_type if event_type is not None and event_type in self._known_types else UNKNOWN_TYPE

    # -- the rejected zone ---------------------------------------------------

    def _rejected_document(
        self,
        request: IngestRequest,
        team: str,
        received_at: datetime,
        correlation_id: str,
        events: list[dict[str, Any]],
    ) -> dict[str, Any]:
        return {
            "request_id": request.request_id,
            "team": team,
            "received_at": rfc3339(received_at),
            "correlation_id": correlation_id,
            "source_ip": request.source_ip,
            "events": events,
        }

    def _keep_request(
        self,
        request: IngestRequest,
        team: str,
        received_at: datetime,
        correlation_id: str,
        error: RequestError,
    ) -> None:
        """Keep a request refused as a whole: `index` is null and `raw` is the body text as sent."""
        reasons = error.reasons or [Reason("body", error.message)]
        entry: dict[str, Any] = {
            "index": None,
            "reasons": [r.as_dict() for r in reasons],
            "raw": request.body,
        }
        if request.is_base64_encoded:
            entry["raw_encoding"] = "base64"
        if request.body:
            self._rejected.put(
                rejected_key(team, received_at, request.request_id),
                self._rejected_document(request, team, received_at, correlation_id, [entry]),
            )

    # -- GET /v1/schemas -----------------------------------------------------

    def schema_list(self) -> SchemaList:
        summaries = []
        for event_type in self._registry.event_types:
            versions = self._registry.versions(event_type)
            latest = self._registry.get(event_type, versions[-1])
            summaries.append(
                SchemaSummary(
                    event_type=event_type,
                    versions=versions,
                    latest_version=versions[-1],
                    producer=self._config.producer_of(event_type),
                    business_key=latest.business_key if latest else "",
                )
            )
        limits = Limits(
            max_body_bytes=self._max_bytes,
            max_batch_events=self._max_events,
            max_event_bytes=self._max_event_bytes,
        )
        return SchemaList(schemas=summaries, limits=limits)

    def schema_document(self, event_type: str, version: str | None = None) -> Mapping[str, Any] | None:
        versions = self._registry.versions(event_type)
        if not versions:
            return None
        schema = self._registry.get(event_type, version or versions[-1])
        return schema.document if schema else None

    # -- responses -----------------------------------------------------------

    def _error(
        self, exc: RequestError, request: IngestRequest, correlation_id: str, team: str | None = None
    ) -> Outcome:
        body = ErrorResponse(
            request_id=request.request_id,
            correlation_id=correlation_id,
            message=exc.message,
            reasons=[_reason_out(r) for r in exc.reasons],
        )
        return Outcome(exc.status, body, team)


@dataclass
class _Batch:
    """The verdicts of one request's events as they are decided, and the items to write.

    Results are plain dicts, validated once as a whole IngestResponse at the end: for
    a 500-event batch that is about half the cost of one model per result.
    """

    team: str
    received_at: str
    correlation_id: str
    expires_at: int
    stamp: str
    max_event_bytes: int
    results: list[dict[str, Any]]
    counts: Counter[tuple[str, Verdict]] = field(default_factory=Counter)
    rejected: list[dict[str, Any]] = field(default_factory=list)  # entries of the rejected-zone document
    items: list[dict[str, dict[str, str]]] = field(default_factory=list)
    to_write: list[tuple[int, str, str]] = field(default_factory=list)  # (index, event_id, event_type)
    first_index: dict[str, int] = field(default_factory=dict)  # event_id -> its first valid occurrence
    repeated: list[tuple[int, str, str]] = field(default_factory=list)  # later copies in this request

    def reject(self, index: int, raw: Any, reasons: list[Reason], metric_type: str) -> None:
        event_id, event_type = _field(raw, "event_id"), _field(raw, "event_type")
        reason_dicts = [r.as_dict() for r in reasons]
        self.results[index] = {
            "index": index,
            "event_id": event_id,
            "status": Verdict.REJECTED,
            "reasons": reason_dicts,
        }
        self.counts[metric_type, Verdict.REJECTED] += 1
        entry: dict[str, Any] = {"index": index}
        if event_id is not None:
            entry["event_id"] = event_id
        if event_type is not None:
            entry["event_type"] = event_type
        entry["reasons"] = reason_dicts
        entry["raw"] = raw
        self.rejected.append(entry)

    def admit(self, index: int, raw: Any, event_in: EventIn) -> None:
        """A valid event: an item to write, or a later copy of one already in this request."""
        try:
            envelope_json = event_in.model_dump_json()[:-1] + self.stamp
        except PydanticSerializationError:
            # JSON escapes can smuggle unpaired UTF-16 surrogates into strings: not
            # Unicode, so not storable as UTF-8. The client's mistake, not a 500.
            self.reject(index, raw, [NOT_UNICODE], event_in.event_type)
            return
        too_large = self._too_large(envelope_json)
        if too_large is not None:
            self.reject(index, raw, [too_large], event_in.event_type)
            return
        event_id = str(event_in.event_id)
        if event_id in self.first_index:
            self.repeated.append((index, event_id, event_in.event_type))
            return
        self.first_index[event_id] = index
        self.items.append(
            to_item(
                team=self.team,
                event_id=event_id,
                event_type=event_in.event_type,
                received_at=self.received_at,
                correlation_id=self.correlation_id,
                envelope_json=envelope_json,
                expires_at=self.expires_at,
            )
        )
        self.to_write.append((index, event_id, event_in.event_type))

    def _too_large(self, envelope_json: str) -> Reason | None:
        """Why the event as stored is over the per-event limit, if it is (no encoding when it cannot be)."""
        # A character is 1 to 4 UTF-8 bytes: only a text over a quarter of the limit can exceed it.
        if 4 * len(envelope_json) <= self.max_event_bytes:
            return None
        size = len(envelope_json.encode("utf-8"))
        if size <= self.max_event_bytes:
            return None
        return Reason(
            "",
            f"the event is {size} bytes as stored (compact UTF-8 JSON with the platform's fields); "
            f"at most {self.max_event_bytes} bytes, so that every subscriber queue, topic and store can carry it",
        )

    def settle(self, written: list[bool]) -> None:
        """Accepted where the conditional write succeeded, duplicate where the item already existed."""
        for (index, event_id, event_type), new in zip(self.to_write, written, strict=True):
            self._verdict(index, event_id, event_type, Verdict.ACCEPTED if new else Verdict.DUPLICATE)
        for index, event_id, event_type in self.repeated:
            self._verdict(index, event_id, event_type, Verdict.DUPLICATE)

    def _verdict(self, index: int, event_id: str, event_type: str, verdict: Verdict) -> None:
        self.results[index] = {"index": index, "event_id": event_id, "status": verdict}
        self.counts[event_type, verdict] += 1

    def outcome(self, request_id: str) -> Outcome:
        rejected = len(self.rejected)
        accepted = sum(n for (_, verdict), n in self.counts.items() if verdict is Verdict.ACCEPTED)
        body = IngestResponse.model_validate(
            {
                "request_id": request_id,
                "correlation_id": self.correlation_id,
                "summary": {
                    "accepted": accepted,
                    "duplicate": len(self.results) - accepted - rejected,
                    "rejected": rejected,
                },
                "results": self.results,
            }
        )
        status = 400 if rejected == len(self.results) else 202
        return Outcome(status, body, self.team, self.counts)


def _stamp(team: str, received_at: str, ingest_id: str, correlation_id: str) -> str:
    """The platform's fields closing an `Event` JSON document, computed once per request.

    EventIn JSON minus its closing brace + this = `Event.model_dump_json()`
    (the Event fields follow the EventIn ones), without building an Event per
    event: that halves the per-event cost of a batch. A unit test holds the equality.
    """
    return (
        f',"team":{_js(team)},"received_at":{_js(received_at)}'
        f',"ingest_id":{_js(ingest_id)},"correlation_id":{_js(correlation_id)}}}'
    )


def _js(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # as pydantic writes strings


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    # 1e400 is valid JSON grammar but overflows a double to inf, which JSON cannot hold:
    # pydantic would store it as null, an event its schema never allowed.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range (beyond a 64-bit float)")
    return value


def _field(raw: Any, name: str) -> str | None:
    value = raw.get(name) if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array"
