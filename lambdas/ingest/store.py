"""Persistence of the ingest Lambda: idempotent event writes to DynamoDB, rejected requests to S3.

Idempotency rests on one conditional write per event
(`attribute_not_exists(pk)`): DynamoDB then guarantees exactly one item, and
so exactly one stream INSERT, per (team, event_id), whatever the retries or
concurrent duplicates. The writes of a batch go out concurrently rather than
in a serial loop. TransactWriteItems was the alternative; it was not chosen
because one existing event cancels the whole transaction (a retried batch
then costs a second round trip) and transactional writes cost twice the
capacity of plain conditional puts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from platform_core.aws import client, is_transient
from platform_core.events_table import PK

MAX_CONCURRENT_WRITES = 16  # in-flight PutItem calls per invocation; the client's connection pool is 32


class StoreUnavailable(Exception):
    """The platform could not persist the request now (throttled, a service fault, no connection):
    not the client's fault, and the same request will succeed later (it is idempotent)."""


class StoreMisconfigured(Exception):
    """The platform's own storage refuses the write for a reason no retry cures: a missing table or
    bucket, access denied, a request DynamoDB finds invalid (every event is checked before it is
    written, its size included, so an invalid item means the table and the code disagree).
    A platform fault to alarm on, never the client's."""


def storage_error(exc: ClientError | BotoCoreError, call: str) -> StoreUnavailable | StoreMisconfigured:
    """The exception a failed storage call becomes: retry later (503) or fix the platform (500)."""
    if is_transient(exc):
        return StoreUnavailable(f"{call} failed, retry later: {exc}")
    return StoreMisconfigured(f"{call} failed, a retry cannot help: {exc}")


def rfc3339(at: datetime) -> str:
    """A UTC timestamp as pydantic writes it in the envelope JSON, so item and envelope never disagree."""
    return at.isoformat().replace("+00:00", "Z")


class EventStore(Protocol):
    def put_new(self, items: Sequence[dict[str, dict[str, str]]]) -> list[bool]:
        """Write each item unless its key exists; True where written, False where it already existed."""
        ...


class RejectedStore(Protocol):
    def put(self, key: str, document: dict[str, Any]) -> None: ...


class DynamoEventStore:
    def __init__(self, dynamodb: Any, table: str, max_concurrency: int = MAX_CONCURRENT_WRITES):
        self._dynamodb = dynamodb
        self._table = table
        self._max_concurrency = max_concurrency
        # Created once per execution environment and reused across invocations.
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="ingest-put")

    def put_new(self, items: Sequence[dict[str, dict[str, str]]]) -> list[bool]:
        if len(items) <= 1:
            return [self._put(item) for item in items]
        # One task per worker over an interleaved slice: submitting one task per
        # item would cost more in scheduling than the in-process work itself.
        workers = min(self._max_concurrency, len(items))
        slices = [range(start, len(items), workers) for start in range(workers)]
        written = [False] * len(items)

        def run(indexes: range) -> None:
            for i in indexes:
                written[i] = self._put(items[i])

        for future in [self._pool.submit(run, s) for s in slices]:
            future.result()
        return written

    def _put(self, item: dict[str, dict[str, str]]) -> bool:
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=item,
                # Not "or expires_at < now": overwriting an expired item would be a
                # stream MODIFY, which the fan-out ignores, and the event would be lost.
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": PK},
            )
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise storage_error(exc, "DynamoDB PutItem") from exc
        except BotoCoreError as exc:
            raise storage_error(exc, "DynamoDB PutItem") from exc


class S3RejectedStore:
    def __init__(self, bucket: str, s3: Any = None):
        self._bucket = bucket
        self._s3 = s3

    def put(self, key: str, document: dict[str, Any]) -> None:
        if self._s3 is None:
            # Created on first use: most invocations reject nothing, and the S3 client
            # (its service model is large) would lengthen every cold start.
            self._s3 = client("s3")
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                # ASCII escapes: a client's raw text may hold unpaired surrogates, which
                # UTF-8 cannot encode; escaped, the document keeps them exactly.
                Body=json.dumps(document).encode("ascii"),
                ContentType="application/json",
                # The organisation's SCP denies S3 puts that do not ask for KMS encryption.
                ServerSideEncryption="aws:kms",
            )
        except (ClientError, BotoCoreError) as exc:
            raise storage_error(exc, "S3 PutObject to the rejected zone") from exc
