"""The PDFs in the service's bucket: SSE-KMS, a deterministic key, Object Lock retention in compliance mode.

A document is written once. Its key is derived from its number, so a retry finds it; its
content is byte-identical on a re-render by the same build, so a retry that finds it checks its
digest instead of writing again. A retry by another build (a new engine or library version, after
a crash between storing and recording) renders other bytes: the stored object, written for that
same invoice and order, stays the document. An object at that key for another invoice is an
error, never overwritten.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime, time
from typing import Any, Protocol

from botocore.exceptions import ClientError

from lambdas.invoices.models import Invoice
from lambdas.invoices.store import StoredDocument


class DocumentMismatch(Exception):
    """A stored document has other content than the one rendered now: never overwritten, investigate."""


def document_key(invoice: Invoice) -> str:
    return f"invoices/{invoice.seller_key}/{invoice.year}/{invoice.number}.pdf"


def retain_until(invoice: Invoice, years: int) -> date:
    issued = invoice.issue_date
    try:
        return issued.replace(year=issued.year + years)
    except ValueError:  # 29 February
        return issued.replace(year=issued.year + years, day=28)


class DocumentStore(Protocol):
    def put(self, invoice: Invoice, pdf: bytes) -> StoredDocument: ...

    def get(self, document: StoredDocument) -> bytes: ...


class S3DocumentStore:
    def __init__(self, s3: Any, bucket: str, retention_years: int):
        self._s3 = s3
        self._bucket = bucket
        self._years = retention_years

    def put(self, invoice: Invoice, pdf: bytes) -> StoredDocument:
        key = document_key(invoice)
        digest = hashlib.sha256(pdf).hexdigest()
        until = retain_until(invoice, self._years)
        stored = StoredDocument(f"s3://{self._bucket}/{key}", digest, len(pdf), until)
        existing = self._head(key)
        if existing is not None:
            metadata = existing.get("Metadata", {})
            if metadata.get("sha256") == digest:
                return stored
            if (
                metadata.get("invoice-number") == invoice.number
                and metadata.get("order-id") == invoice.order_id
            ):
                # Rendered for this very document by an earlier build: that PDF is the one issued.
                return StoredDocument(stored.uri, metadata["sha256"], int(existing["ContentLength"]), until)
            raise DocumentMismatch(
                f"{stored.uri} exists for invoice {metadata.get('invoice-number')} of order "
                f"{metadata.get('order-id')}, not invoice {invoice.number} of order {invoice.order_id}"
            )
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=pdf,
            ContentType="application/pdf",
            ServerSideEncryption="aws:kms",
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=base64.b64encode(hashlib.sha256(pdf).digest()).decode("ascii"),
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=datetime.combine(until, time(0, 0), tzinfo=UTC),
            Metadata={"sha256": digest, "invoice-number": invoice.number, "order-id": invoice.order_id},
        )
        return stored

    def get(self, document: StoredDocument) -> bytes:
        key = document.uri.removeprefix(f"s3://{self._bucket}/")
        body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        if hashlib.sha256(body).hexdigest() != document.sha256:
            raise DocumentMismatch(f"{document.uri} does not have the digest recorded when it was stored")
        return bytes(body)

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return dict(self._s3.head_object(Bucket=self._bucket, Key=key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
