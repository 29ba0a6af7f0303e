"""The API's request and response bodies (pydantic: validated in, serialised out)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lambdas.documents.store import DocumentRecord

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file_name: str = Field(min_length=1, max_length=255)
    content_type: str = Field(
        max_length=100, description="One of the accepted types; S3 holds the upload to it"
    )
    size_bytes: int | None = Field(
        default=None, ge=1, description="Optional: refused at once when over the limit"
    )
    sha256: str | None = Field(
        default=None, pattern=r"^[a-f0-9]{64}$", description="Optional: a copy of a known document returns it"
    )
    order_id: str | None = Field(default=None, max_length=64, pattern=ID_PATTERN)
    customer_id: str | None = Field(default=None, max_length=64, pattern=ID_PATTERN)


class UploadResponse(BaseModel):
    document_id: str
    status: str
    duplicate: bool
    upload: dict[str, Any] | None = None


class DocumentView(BaseModel):
    document_id: str
    status: str
    file_name: str
    created_at: str
    uploaded_at: str | None = None
    processed_at: str | None = None
    content_type: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    pages: int | None = None
    ocr_pages: int | None = None
    document_type: str | None = None
    confidence: float | None = None
    needs_review: bool | None = None
    language: str | None = None
    fields: dict[str, Any] = {}
    order_id: str | None = None
    customer_id: str | None = None
    duplicate_of: str | None = None
    reason: str | None = None
    detail: str | None = None
    text: str | None = None
    text_truncated: bool = False
    download_url: str | None = None

    @classmethod
    def from_record(
        cls, record: DocumentRecord, text: str | None, text_truncated: bool, download_url: str | None
    ) -> DocumentView:
        names = set(cls.model_fields) - {"status", "text", "text_truncated", "download_url"}
        values = {name: getattr(record, name) for name in names}
        return cls(
            status=record.status.value,
            text=text,
            text_truncated=text_truncated,
            download_url=download_url,
            **values,
        )


class SearchResponse(BaseModel):
    query: str
    offset: int = 0  # of the first hit; the next page starts at offset + len(hits) when hits fill the limit
    hits: list[dict[str, Any]]
