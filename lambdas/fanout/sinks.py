"""The three destinations of the fan-out: team SQS queues, the Kafka outbox queue, the S3 raw zone."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.fanout.retry import DEFAULT_BACKOFF, Backoff
from platform_core import naming
from platform_core.aws import is_transient
from platform_core.envelope import Event
from platform_core.raw_zone import CONTENT_TYPE, encode_lines, hour_of

SQS_BATCH_ENTRIES = 10  # SendMessageBatch limit
SQS_BATCH_BYTES = 256 * 1024  # the classic SQS payload limit (per message and per batch): the safe floor
MANIFEST_PREFIX = "manifests/fanout/"  # outside raw/, so the raw-zone readers never see it


@dataclass(frozen=True, slots=True)
class OutMessage:
    ref: int  # the caller's index of the event this message carries
    body: str
    attributes: dict[str, dict[str, str]]

    @property
    def size(self) -> int:
        # What SQS counts against the payload limit: body plus attribute names, types and values.
        return len(self.body.encode()) + sum(
            len(name) + len(value["DataType"]) + len(value["StringValue"])
            for name, value in self.attributes.items()
        )


def chunks(messages: Sequence[OutMessage]) -> Iterator[list[OutMessage]]:
    """SendMessageBatch-sized groups: at most 10 entries and 256 KiB."""
    chunk: list[OutMessage] = []
    size = 0
    for message in messages:
        if chunk and (len(chunk) == SQS_BATCH_ENTRIES or size + message.size > SQS_BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(message)
        size += message.size
    if chunk:
        yield chunk


class SqsSender:
    """Batched sends to SQS queues, concurrently across chunks and queues.

    A whole call that fails transiently (throttling, 5xx, connection) is retried
    with backoff; entries a successful call reports as failed are retried one by
    one with SendMessage, unless SQS says the fault is the sender's (retrying
    cannot help: the event fails and the stream retries or parks it).
    """

    def __init__(self, sqs: Any, backoff: Backoff = DEFAULT_BACKOFF, max_workers: int = 8):
        self._sqs = sqs
        self._backoff = backoff
        self._urls: dict[str, str] = {}
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="fanout-sqs")

    def queue_url(self, name: str) -> str:
        url = self._urls.get(name)
        if url is None:
            url = self._backoff.call(lambda: self._sqs.get_queue_url(QueueName=name)["QueueUrl"])
            self._urls[name] = url
        return url

    def send(self, by_queue: dict[str, list[OutMessage]]) -> set[int]:
        """Send every message to its queue (by name); the refs of the messages that could not be sent."""
        jobs = [(name, chunk) for name, messages in by_queue.items() for chunk in chunks(messages)]
        if len(jobs) == 1:
            return self._send_chunk(*jobs[0])
        failed: set[int] = set()
        for result in self._pool.map(lambda job: self._send_chunk(*job), jobs):
            failed |= result
        return failed

    def _send_chunk(self, queue: str, chunk: list[OutMessage]) -> set[int]:
        try:
            url = self.queue_url(queue)
            response = self._backoff.call(
                lambda: self._sqs.send_message_batch(
                    QueueUrl=url,
                    Entries=[
                        {"Id": str(i), "MessageBody": m.body, "MessageAttributes": m.attributes}
                        for i, m in enumerate(chunk)
                    ],
                )
            )
        except (ClientError, BotoCoreError):
            return {m.ref for m in chunk}
        failed: set[int] = set()
        for entry in response.get("Failed", []):
            message = chunk[int(entry["Id"])]
            if entry.get("SenderFault") or not self._send_one(url, message):
                failed.add(message.ref)
        return failed

    def _send_one(self, url: str, message: OutMessage) -> bool:
        # The batch call itself succeeded, so this entry failed on the server side:
        # count the failed batch as the first attempt.
        for attempt in range(1, self._backoff.attempts):
            self._backoff.sleep(self._backoff.delay(attempt))
            try:
                self._sqs.send_message(
                    QueueUrl=url, MessageBody=message.body, MessageAttributes=message.attributes
                )
                return True
            except (ClientError, BotoCoreError) as exc:
                if not is_transient(exc):
                    return False
        return False


class RawZoneWriter:
    """Writes the committed events of one stream batch: one gzip JSON-lines object per team and hour.

    Exactly once: keys are raw_key(team, hour, batch_id) and batch_id depends
    only on the batch's first record, so a retry starting at the same record
    overwrites the same keys. A retry that is smaller (bisected, or failing
    earlier) may cover fewer team/hours than an earlier attempt that wrote raw
    objects but never returned (a crash or timeout after the write); the
    manifest of the batch id lists every key any attempt wrote, and each
    attempt deletes those it did not rewrite. The manifest is written before
    the objects, so a crash in between leaves no key unlisted.
    """

    def __init__(self, s3: Any, bucket: str, backoff: Backoff = DEFAULT_BACKOFF):
        self._s3 = s3
        self._bucket = bucket
        self._backoff = backoff

    def write(self, batch: str, events: Sequence[tuple[Event, str]]) -> list[str]:
        """Write (event, envelope JSON) pairs under batch id `batch`; the keys written."""
        groups: dict[tuple[str, datetime], list[str]] = defaultdict(list)
        for event, body in events:
            groups[(event.team, hour_of(event.received_at))].append(body)
        objects = {naming.raw_key(team, hour, batch): lines for (team, hour), lines in groups.items()}
        manifest = MANIFEST_PREFIX + batch + ".json"
        previous = self._read_manifest(manifest)
        stale = sorted(previous - objects.keys())
        if objects.keys() - previous:
            self._put(
                manifest, json.dumps({"keys": sorted(previous | objects.keys())}).encode(), "application/json"
            )
        for key, lines in objects.items():
            self._put(key, encode_lines(lines), CONTENT_TYPE)
        if stale:
            for key in stale:
                self._delete(key)
            self._put(manifest, json.dumps({"keys": sorted(objects)}).encode(), "application/json")
        return sorted(objects)

    def _read_manifest(self, key: str) -> set[str]:
        # Listed first, never inferred from a 404: S3 answers a GET of a missing key with 404 only
        # to a caller that may list the whole bucket, and the fan-out's role may list the manifests'
        # prefix alone (an s3:prefix condition), so it would get 403 for every new batch.
        listed = self._backoff.call(
            lambda: self._s3.list_objects_v2(Bucket=self._bucket, Prefix=key, MaxKeys=1)
        )
        if not [o for o in listed.get("Contents", []) if o["Key"] == key]:
            return set()
        response = self._backoff.call(lambda: self._s3.get_object(Bucket=self._bucket, Key=key))
        return set(json.loads(response["Body"].read())["keys"])

    def _delete(self, key: str) -> None:
        self._backoff.call(lambda: self._s3.delete_object(Bucket=self._bucket, Key=key))

    def _put(self, key: str, body: bytes, content_type: str) -> None:
        self._backoff.call(
            # The organisation's SCP denies S3 puts that do not ask for KMS encryption.
            lambda: self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                ServerSideEncryption="aws:kms",
            )
        )
