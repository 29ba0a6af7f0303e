"""Document records (DynamoDB `documents`, keyed by owner team and document id) and the per-team
SHA-256 claims that make an exact copy a duplicate (DynamoDB `document-hashes`).

The owner team is the partition key of both: a team's reads can only ever address its own items.
A claim is a conditional put (attribute_not_exists): of two uploads of the same bytes processed at
the same moment, exactly one owns the hash and the other is its duplicate.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from botocore.exceptions import ClientError


class Status(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    PROCESSED = "processed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


TERMINAL = frozenset({Status.PROCESSED, Status.REJECTED, Status.DUPLICATE})


@dataclass(frozen=True)
class DocumentRecord:
    owner_team: str
    document_id: str
    status: Status
    file_name: str
    declared_content_type: str
    created_at: str
    order_id: str | None = None
    customer_id: str | None = None
    expires_at: int | None = None  # TTL of an upload that never came (removed once it arrives)
    uploaded_at: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    content_type: str | None = None
    storage_key: str | None = None
    text_key: str | None = None
    pages: int | None = None
    ocr_pages: int | None = None
    ocr_engine: str | None = None
    text_chars: int | None = None
    document_type: str | None = None
    confidence: float | None = None
    needs_review: bool | None = None
    language: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    processed_at: str | None = None
    processing_ms: int | None = None
    duplicate_of: str | None = None
    reason: str | None = None
    detail: str | None = None
    rejected_key: str | None = None
    detected_type: str | None = None

    def but(self, **changes: Any) -> DocumentRecord:
        return replace(self, **changes)


class DocumentStore(Protocol):
    def get(self, team: str, document_id: str) -> DocumentRecord | None: ...
    def put(self, record: DocumentRecord) -> None: ...
    def claim_hash(self, team: str, sha256: str, document_id: str) -> str:
        """The document that owns these bytes for the team: `document_id` if it is the first, else the owner."""
        ...

    def owner_of(self, team: str, sha256: str) -> str | None: ...


def to_item(record: DocumentRecord) -> dict[str, dict[str, str]]:
    body = {
        k: v for k, v in asdict(record).items() if v is not None and k not in ("owner_team", "document_id")
    }
    item = {
        "owner_team": {"S": record.owner_team},
        "document_id": {"S": record.document_id},
        "status": {"S": record.status.value},
        "record": {"S": json.dumps(body, sort_keys=True, default=str)},
    }
    if record.expires_at is not None:
        item["expires_at"] = {"N": str(record.expires_at)}
    return item


def from_item(item: dict[str, dict[str, str]]) -> DocumentRecord:
    body = json.loads(item["record"]["S"])
    body["status"] = Status(item["status"]["S"])
    return DocumentRecord(owner_team=item["owner_team"]["S"], document_id=item["document_id"]["S"], **body)


class DynamoDocumentStore:
    def __init__(self, dynamodb: Any, documents_table: str, hashes_table: str):
        self._dynamodb = dynamodb
        self._documents = documents_table
        self._hashes = hashes_table

    def get(self, team: str, document_id: str) -> DocumentRecord | None:
        response = self._dynamodb.get_item(
            TableName=self._documents,
            Key={"owner_team": {"S": team}, "document_id": {"S": document_id}},
            ConsistentRead=True,
        )
        return from_item(response["Item"]) if "Item" in response else None

    def put(self, record: DocumentRecord) -> None:
        self._dynamodb.put_item(TableName=self._documents, Item=to_item(record))

    def claim_hash(self, team: str, sha256: str, document_id: str) -> str:
        try:
            self._dynamodb.put_item(
                TableName=self._hashes,
                Item={"owner_team": {"S": team}, "sha256": {"S": sha256}, "document_id": {"S": document_id}},
                ConditionExpression="attribute_not_exists(sha256)",
            )
            return document_id
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
        owner = self.owner_of(team, sha256)
        if owner is None:  # claimed and released in between cannot happen (claims are never deleted)
            raise RuntimeError(f"hash {sha256} of team {team} is claimed but has no owner")
        return owner

    def owner_of(self, team: str, sha256: str) -> str | None:
        response = self._dynamodb.get_item(
            TableName=self._hashes,
            Key={"owner_team": {"S": team}, "sha256": {"S": sha256}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return item["document_id"]["S"] if item else None


class InMemoryDocumentStore:
    """The same contract in dicts (unit tests)."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], DocumentRecord] = {}
        self.hashes: dict[tuple[str, str], str] = {}

    def get(self, team: str, document_id: str) -> DocumentRecord | None:
        return self.records.get((team, document_id))

    def put(self, record: DocumentRecord) -> None:
        self.records[(record.owner_team, record.document_id)] = record

    def claim_hash(self, team: str, sha256: str, document_id: str) -> str:
        return self.hashes.setdefault((team, sha256), document_id)

    def owner_of(self, team: str, sha256: str) -> str | None:
        return self.hashes.get((team, sha256))
