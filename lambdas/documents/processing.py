"""One uploaded object -> checked, read, classified, indexed -> its record and its events.

The steps, for `inbox/<team>/<document_id>`:
 1. the size from the notification (too large or empty: refused without downloading);
 2. download to /tmp, hashing; the team's first document with these bytes owns the hash, a later
    one is its duplicate (recorded, the copy deleted, nothing processed twice);
 3. `documents.document_uploaded`; the checks (checks.py); a refusal moves the file to the rejected
    zone with its reason and emits `documents.document_rejected`;
 4. text page by page (text.py), language, type, fields; the original and its text are stored, the
    team's index updated, the record saved, `documents.document_processed` emitted, the inbox
    object deleted.

Retries are safe: every event id is derived from (team, document, event type), so a message
delivered twice, or retried after a crash between any two steps, repeats idempotent writes and
sends duplicates the platform recognises. A document already in a final state is not read again;
its final event is sent again (a crash may have happened before it was) and the inbox cleaned.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote_plus

from lambdas.documents.checks import Limits, Refusal, RejectReason, check_size, inspect
from lambdas.documents.classify import DocumentClassifier
from lambdas.documents.fields import extract_invoice_fields
from lambdas.documents.language import LanguageDetector
from lambdas.documents.ocr import OcrEngine
from lambdas.documents.search import IndexedDocument, SearchIndex
from lambdas.documents.storage import (
    DocumentStorage,
    document_key,
    parse_inbox_key,
    rejected_key,
    text_key,
)
from lambdas.documents.store import TERMINAL, DocumentRecord, DocumentStore, Status
from lambdas.documents.text import UnreadableDocument, read_pages
from platform_core.envelope import EventIn
from platform_core.producer import derived_event_id

UPLOADED = "documents.document_uploaded"
PROCESSED = "documents.document_processed"
REJECTED = "documents.document_rejected"
SOURCE = "documents-processor"
INVOICE_LIKE = ("invoice", "credit_note")


class Emitter(Protocol):
    def emit(self, events: Sequence[EventIn], correlation_id: str | None = None) -> Any: ...


@dataclass(frozen=True)
class S3Object:
    key: str
    size: int
    event_time: str  # when it landed (the notification's eventTime)


def objects_in_notification(body: dict[str, Any]) -> list[S3Object]:
    """The created objects an S3 event notification names; none for s3:TestEvent and other events."""
    objects = []
    for record in body.get("Records") or []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        obj = record["s3"]["object"]
        objects.append(
            S3Object(
                key=unquote_plus(obj["key"]),  # keys arrive URL-encoded in notifications
                size=int(obj.get("size", 0)),
                event_time=str(record.get("eventTime") or _now()),
            )
        )
    return objects


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DocumentProcessor:
    def __init__(
        self,
        *,
        store: DocumentStore,
        storage: DocumentStorage,
        index: SearchIndex,
        emitter: Emitter,
        ocr: OcrEngine,
        languages: LanguageDetector,
        classifier: DocumentClassifier,
        limits: Limits,
        clock: Callable[[], str] = _now,
    ):
        self._store = store
        self._storage = storage
        self._index = index
        self._emitter = emitter
        self._ocr = ocr
        self._languages = languages
        self._classifier = classifier
        self.limits = limits
        self._clock = clock

    def handle(self, obj: S3Object) -> str:
        """Process one inbox object; what happened (for logs and metrics)."""
        parsed = parse_inbox_key(obj.key)
        if parsed is None:
            return "ignored"  # not an upload this service issued (the key layout is its own)
        team, document_id = parsed
        record = self._store.get(team, document_id) or DocumentRecord(
            owner_team=team,
            document_id=document_id,
            status=Status.AWAITING_UPLOAD,
            file_name=document_id,
            declared_content_type="",
            created_at=obj.event_time,
        )
        if record.status in TERMINAL:
            self._send_final(record)
            self._storage.delete(obj.key)
            return f"replayed {record.status}"
        record = record.but(uploaded_at=obj.event_time, size_bytes=obj.size, expires_at=None)
        try:
            check_size(obj.size, self.limits)
        except Refusal as refusal:
            return self._reject(record, obj.key, refusal)
        with tempfile.TemporaryDirectory(prefix="document-") as folder:
            path = Path(folder) / "upload"
            record = record.but(sha256=self._storage.download(obj.key, path))
            return self._process(record, obj.key, path)

    def _process(self, record: DocumentRecord, key: str, path: Path) -> str:
        assert record.sha256 is not None
        owner = self._store.claim_hash(record.owner_team, record.sha256, record.document_id)
        if owner != record.document_id:
            record = record.but(status=Status.DUPLICATE, duplicate_of=owner, processed_at=self._clock())
            self._store.put(record)
            self._send_final(record)
            self._storage.delete(key)
            return "duplicate"
        self._emit(self._uploaded(record))
        started = time.monotonic()
        try:
            inspection = inspect(path, record.declared_content_type or None, self.limits)
            pages = list(read_pages(path, inspection.content_type, self._ocr))
        except Refusal as refusal:
            return self._reject(record, key, refusal)
        except UnreadableDocument as exc:
            return self._reject(
                record, key, Refusal(RejectReason.MALFORMED, f"the document cannot be read: {exc}")
            )
        text = "\n\n".join(page.text for page in pages)
        ocr_pages = sum(1 for page in pages if page.ocr)
        classification = self._classifier.classify(text)
        fields = extract_invoice_fields(text) if classification.document_type in INVOICE_LIKE else {}
        language = self._languages.detect(text)
        stored_key = document_key(record.owner_team, record.document_id)
        self._storage.copy(key, stored_key)
        self._storage.put_text(text_key(record.owner_team, record.document_id), text)
        processed_at = self._clock()
        record = record.but(
            status=Status.PROCESSED,
            content_type=inspection.content_type,
            storage_key=stored_key,
            text_key=text_key(record.owner_team, record.document_id),
            pages=inspection.pages,
            ocr_pages=ocr_pages,
            ocr_engine=self._ocr.name if ocr_pages else None,
            text_chars=len(text),
            document_type=classification.document_type,
            confidence=round(classification.confidence, 4),
            needs_review=classification.needs_review,
            language=language,
            fields=fields,
            processed_at=processed_at,
            processing_ms=int((time.monotonic() - started) * 1000),
        )
        self._index.upsert(
            record.owner_team,
            IndexedDocument(
                document_id=record.document_id,
                document_type=classification.document_type,
                language=language,
                document_date=str(fields.get("issue_date") or (record.uploaded_at or processed_at)[:10]),
                file_name=record.file_name,
                text=text,
            ),
        )
        self._store.put(record)
        self._send_final(record)
        self._storage.delete(key)
        return "processed"

    def _reject(self, record: DocumentRecord, key: str, refusal: Refusal) -> str:
        kept = rejected_key(record.owner_team, record.document_id)
        self._storage.copy(key, kept)
        record = record.but(
            status=Status.REJECTED,
            reason=refusal.reason.value,
            detail=refusal.detail,
            detected_type=refusal.detected_type,
            pages=refusal.pages,
            rejected_key=kept,
            processed_at=self._clock(),
        )
        self._storage.put_json(
            kept.rsplit("/", 1)[0] + "/reason.json",
            {
                "reason": record.reason,
                "detail": record.detail,
                "document_id": record.document_id,
                "owner_team": record.owner_team,
                "file_name": record.file_name,
                "rejected_at": record.processed_at,
            },
        )
        self._store.put(record)
        self._send_final(record)
        self._storage.delete(key)
        return f"rejected {refusal.reason}"

    # -- events ---------------------------------------------------------------------------------------

    def _send_final(self, record: DocumentRecord) -> None:
        if record.status is Status.PROCESSED:
            self._emit(self._processed(record))
        elif record.status is Status.REJECTED:
            self._emit(self._rejected(record))
        elif record.status is Status.DUPLICATE:
            self._emit(self._uploaded(record))

    def _emit(self, event: EventIn) -> None:
        self._emitter.emit([event], correlation_id=f"document-{event.payload['document_id']}")

    def _event(
        self, record: DocumentRecord, event_type: str, version: str, payload: dict[str, Any], at: str
    ) -> EventIn:
        optional = {k: getattr(record, k) for k in ("order_id", "customer_id") if getattr(record, k)}
        return EventIn.model_validate(
            {
                "event_id": derived_event_id(f"{record.owner_team}/{record.document_id}", event_type),
                "event_type": event_type,
                "schema_version": version,
                "occurred_at": at,
                "source": SOURCE,
                "payload": {
                    "document_id": record.document_id,
                    "owner_team": record.owner_team,
                    **payload,
                    **optional,
                },
            }
        )

    def _uploaded(self, record: DocumentRecord) -> EventIn:
        payload: dict[str, Any] = {
            "file_name": record.file_name,
            "content_type": record.declared_content_type or "application/pdf",
            "size_bytes": record.size_bytes,
            "sha256": record.sha256,
            "storage_uri": self._storage.uri(f"inbox/{record.owner_team}/{record.document_id}"),
            "uploaded_at": record.uploaded_at,
        }
        if record.duplicate_of:
            payload["duplicate_of"] = record.duplicate_of
        return self._event(record, UPLOADED, "2", payload, str(record.uploaded_at))

    def _processed(self, record: DocumentRecord) -> EventIn:
        payload = {
            "document_type": record.document_type,
            "confidence": record.confidence,
            "needs_review": record.needs_review,
            "language": record.language,
            "pages": record.pages,
            "ocr_pages": record.ocr_pages,
            "text_chars": record.text_chars,
            "content_type": record.content_type,
            "size_bytes": record.size_bytes,
            "sha256": record.sha256,
            "storage_uri": self._storage.uri(str(record.storage_key)),
            "file_name": record.file_name,
            "uploaded_at": record.uploaded_at,
            "processed_at": record.processed_at,
            "processing_ms": record.processing_ms,
            "fields": record.fields,
        }
        if record.ocr_engine:
            payload["ocr_engine"] = record.ocr_engine
        return self._event(record, PROCESSED, "1", payload, str(record.processed_at))

    def _rejected(self, record: DocumentRecord) -> EventIn:
        payload: dict[str, Any] = {
            "reason": record.reason,
            "detail": record.detail,
            "size_bytes": record.size_bytes or 0,
            "rejected_uri": self._storage.uri(str(record.rejected_key)),
            "rejected_at": record.processed_at,
            "file_name": record.file_name,
        }
        for name in ("sha256", "detected_type", "pages", "uploaded_at"):
            if getattr(record, name) is not None:
                payload[name] = getattr(record, name)
        if record.declared_content_type:
            payload["declared_content_type"] = record.declared_content_type
        return self._event(record, REJECTED, "1", payload, str(record.processed_at))
