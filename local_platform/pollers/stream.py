"""The DynamoDB stream -> Lambda event source mapping, as AWS documents it.

- Each shard is read in order (TRIM_HORIZON), parents before children. With
  a parallelization factor N, up to N batches of one shard are in flight at
  once, each from its own lane of partition keys, so records of one key stay
  in order (AWS: "in-order processing at the partition-key level"); a round
  of lanes completes before the next one starts. Factor 1: one batch per shard.
- Records not matching the filter (eventName INSERT) are dropped before
  batching, as Lambda's event filtering does.
- A batch is up to BatchSize records, gathered for at most the batching window.
- The handler's answer: no batchItemFailures -> the batch is checkpointed;
  failures -> checkpoint before the lowest failed sequence number and retry
  from it; a failure naming no record of the batch, or an exception, fails
  the whole batch.
- A failed batch is bisected when BisectBatchOnFunctionError is on (AWS: "the
  batch is bisected at the returned sequence number"); this poller splits the
  remainder in two halves each time, so a record that keeps failing is
  isolated. Splitting does not count as a retry; otherwise a batch is retried
  up to MaximumRetryAttempts times, then its metadata goes to the on-failure
  destination (an SQS queue) in the shape Lambda sends, and the shard moves on.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local_platform.functions.spec import Function
from local_platform.pollers.background import BackgroundPoller
from platform_core.aws import client
from platform_core.config import PlatformConfig
from platform_core.records import stream_record_for_lambda

log = logging.getLogger(__name__)

GET_RECORDS_LIMIT = 1000


@dataclass(frozen=True)
class StreamMapping:
    """The settings of the event source mapping (Terraform sets the same ones from the same config)."""

    batch_size: int
    batching_window_seconds: float
    maximum_retry_attempts: int  # -1: retry until the record expires from the stream
    bisect_batch_on_function_error: bool
    event_names: tuple[str, ...] = ("INSERT",)  # the filter criteria
    parallelization_factor: int = 1

    @classmethod
    def from_config(cls, config: PlatformConfig) -> StreamMapping:
        fanout = config.fanout
        return cls(
            batch_size=fanout.batch_size,
            batching_window_seconds=fanout.batching_window_seconds,
            maximum_retry_attempts=fanout.maximum_retry_attempts,
            bisect_batch_on_function_error=fanout.bisect_batch_on_function_error,
            parallelization_factor=fanout.parallelization_factor,
        )


@dataclass
class _Shard:
    shard_id: str
    parent: str | None
    iterator: str | None = None
    closed: bool = False
    pending: list[dict[str, Any]] = field(default_factory=list)
    first_pending_at: float = 0.0


@dataclass
class StreamStats:
    invocations: int = 0
    records_delivered: int = 0
    records_filtered: int = 0
    function_errors: int = 0
    partial_failures: int = 0
    bisections: int = 0
    retries: int = 0
    batches_parked: int = 0
    records_parked: int = 0


class StreamPoller(BackgroundPoller):
    """A platform component: polls one table stream and invokes one handler."""

    def __init__(
        self,
        stream_arn: str,
        function: Function,
        mapping: StreamMapping,
        on_failure_queue_url: str,
        *,
        region: str = "eu-west-1",
        name: str = "fanout-stream-poller",
        idle_sleep_seconds: float = 0.2,
        streams: Any = None,
        sqs: Any = None,
    ):
        self.name = name
        self._arn = stream_arn
        self._function = function
        self._mapping = mapping
        self._on_failure = on_failure_queue_url
        self._region = region
        self._stats_lock = threading.Lock()
        self._pass = threading.Lock()
        self._lanes = ThreadPoolExecutor(mapping.parallelization_factor, thread_name_prefix=f"{name}-lane")
        self._idle_sleep = idle_sleep_seconds
        self._streams = streams or client("dynamodbstreams")
        self._sqs = sqs or client("sqs")
        self._shards: dict[str, _Shard] = {}
        super().__init__()
        self.stats = StreamStats()

    # -- component protocol ----------------------------------------------------

    def status(self) -> dict[str, Any]:
        return {
            "stream_arn": self._arn,
            "function": self._function.spec.name,
            "running": self.running,
            "shards": len(self._shards),
            "pending_records": sum(len(s.pending) for s in list(self._shards.values())),
            **self.stats.__dict__,
        }

    def stop(self) -> None:
        super().stop()
        self._lanes.shutdown(wait=True)

    # -- polling ---------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.poll_once(flush=False)
            except Exception:  # keep polling, as the managed mapping does
                log.exception("stream poller %s failed a pass", self.name)
                busy = False
            if not busy:
                self._stopping.wait(self._idle_sleep)

    def run_until_idle(self, timeout: float = 120.0) -> None:
        """Deliver everything in the stream now (tests and demo steps), ignoring the batching window."""
        deadline = time.monotonic() + timeout
        while self.poll_once(flush=True):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: stream not drained within {timeout}s")

    def poll_once(self, flush: bool) -> bool:
        """One pass over the shards; True when records were read or delivered.

        One pass at a time (the background loop and a caller's run_until_idle share the shards'
        iterators): two readers of a shard would deliver its records twice.
        """
        with self._pass:
            return self._poll_once(flush)

    def _poll_once(self, flush: bool) -> bool:
        self._discover_shards()
        busy = False
        for shard in self._ready_shards():
            while True:
                # Fill the batches before invoking, as the managed poller does (GetRecords pages may be small).
                wanted = self._mapping.batch_size * self._mapping.parallelization_factor
                while len(shard.pending) < wanted and self._read(shard):
                    busy = True
                if not shard.pending or not (
                    flush
                    or len(shard.pending) >= self._mapping.batch_size
                    or time.monotonic() - shard.first_pending_at >= self._mapping.batching_window_seconds
                ):
                    break
                batches = self._next_batches(shard)
                shard.first_pending_at = time.monotonic()
                if len(batches) == 1:
                    self._deliver(shard.shard_id, batches[0])
                else:
                    list(self._lanes.map(self._deliver, [shard.shard_id] * len(batches), batches))
                busy = True
        return busy

    def _next_batches(self, shard: _Shard) -> list[list[dict[str, Any]]]:
        """One batch per lane of partition keys (the records of a key always share a lane), in order."""
        factor = self._mapping.parallelization_factor
        lanes: list[list[dict[str, Any]]] = [[] for _ in range(factor)]
        left: list[dict[str, Any]] = []
        full: set[int] = set()
        for record in shard.pending:
            number = _lane(record, factor)
            # Once a lane is full, the rest of its records wait for the next round (order per key).
            if number not in full and len(lanes[number]) < self._mapping.batch_size:
                lanes[number].append(record)
            else:
                full.add(number)
                left.append(record)
        shard.pending = left
        return [lane for lane in lanes if lane]

    def _discover_shards(self) -> None:
        description = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self._shards:
                self._shards[shard_id] = _Shard(shard_id, shard.get("ParentShardId"))

    def _ready_shards(self) -> list[_Shard]:
        # A child shard waits until its parent is fully read and delivered (ordering per key).
        def parent_done(shard: _Shard) -> bool:
            parent = self._shards.get(shard.parent or "")
            return parent is None or (parent.closed and not parent.pending)

        return [s for s in self._shards.values() if not (s.closed and not s.pending) and parent_done(s)]

    def _read(self, shard: _Shard) -> bool:
        if shard.closed:
            return False
        if shard.iterator is None:
            shard.iterator = self._streams.get_shard_iterator(
                StreamArn=self._arn, ShardId=shard.shard_id, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
        response = self._streams.get_records(ShardIterator=shard.iterator, Limit=GET_RECORDS_LIMIT)
        shard.iterator = response.get("NextShardIterator")
        if shard.iterator is None:
            shard.closed = True
        records = response.get("Records", [])
        kept = [
            self._stream_record_for_lambda(r)
            for r in records
            if r.get("eventName") in self._mapping.event_names
        ]
        self._add(records_filtered=len(records) - len(kept))
        if kept and not shard.pending:
            shard.first_pending_at = time.monotonic()
        shard.pending.extend(kept)
        return bool(records)

    def _stream_record_for_lambda(self, record: Mapping[str, Any]) -> dict[str, Any]:
        return stream_record_for_lambda(record, self._arn, self._region)

    # -- mapping semantics ---------------------------------------------------------

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        work: deque[tuple[list[dict[str, Any]], int, int]] = deque([(records, 0, 0)])
        while work:
            batch, retries, invocations = work.popleft()
            failed_from, error = self._invoke(batch)
            invocations += 1
            if failed_from is None:
                continue
            remainder = batch[failed_from:]
            if self._mapping.bisect_batch_on_function_error and len(remainder) > 1:
                self._add(bisections=1)
                middle = len(remainder) // 2
                work.appendleft((remainder[middle:], retries, 0))
                work.appendleft((remainder[:middle], retries, 0))
            elif self._mapping.maximum_retry_attempts < 0 or retries < self._mapping.maximum_retry_attempts:
                self._add(retries=1)
                work.appendleft((remainder, retries + 1, invocations))
            else:
                self._park(shard_id, remainder, invocations, error)

    def _add(self, **counts: int) -> None:
        with self._stats_lock:
            for name, count in counts.items():
                setattr(self.stats, name, getattr(self.stats, name) + count)

    def _invoke(self, batch: Sequence[dict[str, Any]]) -> tuple[int | None, str]:
        """Index of the first record to retry (None: all done) and the error, as the mapping reads them."""
        self._add(invocations=1, records_delivered=len(batch))
        invocation = self._function.invoke({"Records": list(batch)})
        if invocation.failed:
            self._add(function_errors=1)
            return 0, f"{invocation.error_type}: {invocation.error_message}"
        response = invocation.payload
        failures = (response or {}).get("batchItemFailures") if isinstance(response, dict) else None
        if not failures:
            return None, ""
        self._add(partial_failures=1)
        positions = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(batch)}
        identifiers = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
        if any(i not in positions for i in identifiers):
            return 0, "batchItemFailures names a record that is not in the batch: the whole batch failed"
        return min(positions[i] for i in identifiers), "batchItemFailures"

    def _park(self, shard_id: str, batch: Sequence[dict[str, Any]], invocations: int, error: str) -> None:
        """Send the batch's metadata to the on-failure destination, as Lambda does, and move on."""
        self._add(batches_parked=1, records_parked=len(batch))
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        record = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self._function.spec.arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": invocations,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled" if error != "batchItemFailures" else "",
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _arrival(first),
                "approximateArrivalOfLastRecord": _arrival(last),
                "batchSize": len(batch),
                "streamArn": self._arn,
            },
            # Not in Lambda's stream records (it is in async-invocation ones): the last error, for operators.
            "responsePayload": {"errorMessage": error},
        }
        self._sqs.send_message(QueueUrl=self._on_failure, MessageBody=json.dumps(record))
        log.warning("parked %d stream records of %s: %s", len(batch), shard_id, error)


def _arrival(dynamodb: Mapping[str, Any]) -> str:
    created = dynamodb.get("ApproximateCreationDateTime", 0)
    return datetime.fromtimestamp(float(created), UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _lane(record: Mapping[str, Any], factor: int) -> int:
    """The lane of a record's partition key (its table keys), stable across processes."""
    if factor == 1:
        return 0
    keys = json.dumps(record.get("dynamodb", {}).get("Keys", {}), sort_keys=True)
    return zlib.crc32(keys.encode()) % factor
