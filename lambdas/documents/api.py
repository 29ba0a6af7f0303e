"""The document service's API for a team: a presigned upload, a document's record and text, search.

The caller's team is the owner of its API key; every read is addressed by (team, document id) or
goes to the team's own index, so a team can neither see nor learn of another team's documents (an
unknown id and another team's id give the same 404).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lambdas.documents.limits import Limits
from lambdas.documents.models import DocumentView, SearchResponse, UploadRequest, UploadResponse
from lambdas.documents.search import SearchFilters, SearchIndex
from lambdas.documents.storage import DocumentStorage, inbox_key
from lambdas.documents.store import DocumentRecord, DocumentStore, Status


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ApiConfig:
    limits: Limits
    upload_expiry_seconds: int
    download_expiry_seconds: int
    max_text_bytes: int
    # How long an upload that never came is remembered (the record's TTL).
    abandoned_after: timedelta = timedelta(days=7)


class DocumentsApi:
    def __init__(
        self,
        store: DocumentStore,
        storage: DocumentStorage,
        index: SearchIndex,
        api_key_teams: dict[str, str],
        config: ApiConfig,
    ):
        self._store = store
        self._storage = storage
        self._index = index
        self._teams = api_key_teams
        self._config = config

    def team_for(self, api_key_id: str | None) -> str:
        if not api_key_id:
            raise ApiError(401, "missing API key: send it in the x-api-key header")
        team = self._teams.get(api_key_id)
        if team is None:
            raise ApiError(403, "unknown API key")
        return team

    def create_upload(self, team: str, request: UploadRequest) -> tuple[int, UploadResponse]:
        limits = self._config.limits
        if request.content_type not in limits.content_types:
            raise ApiError(415, f"content_type must be one of {', '.join(limits.content_types)}")
        if request.size_bytes is not None and request.size_bytes > limits.max_bytes:
            raise ApiError(
                413, f"size_bytes {request.size_bytes} is over the limit of {limits.max_bytes} bytes"
            )
        if request.sha256:
            existing = self._store.owner_of(team, request.sha256)
            if existing is not None:
                record = self._store.get(team, existing)
                return 200, UploadResponse(
                    document_id=existing,
                    status=record.status.value if record else "processing",
                    duplicate=True,
                )
        now = datetime.now(UTC)
        document_id = str(uuid.uuid4())
        self._store.put(
            DocumentRecord(
                owner_team=team,
                document_id=document_id,
                status=Status.AWAITING_UPLOAD,
                file_name=request.file_name,
                declared_content_type=request.content_type,
                created_at=now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                order_id=request.order_id,
                customer_id=request.customer_id,
                expires_at=int(time.time() + self._config.abandoned_after.total_seconds()),
            )
        )
        post = self._storage.presigned_post(
            inbox_key(team, document_id),
            request.content_type,
            limits.max_bytes,
            self._config.upload_expiry_seconds,
        )
        expires = now + timedelta(seconds=self._config.upload_expiry_seconds)
        return 201, UploadResponse(
            document_id=document_id,
            status=Status.AWAITING_UPLOAD.value,
            duplicate=False,
            upload={
                "method": "POST",
                "url": post["url"],
                "fields": post["fields"],
                "max_bytes": limits.max_bytes,
                "expires_at": expires.isoformat(timespec="seconds").replace("+00:00", "Z"),
            },
        )

    def get(self, team: str, document_id: str) -> DocumentView:
        record = self._store.get(team, document_id)
        if record is None:
            raise ApiError(404, f"no document {document_id}")
        text, cut = (None, False)
        if record.text_key:
            text, cut = self._storage.read_text(record.text_key, self._config.max_text_bytes)
        download = (
            self._storage.presigned_get(
                record.storage_key, record.file_name, self._config.download_expiry_seconds
            )
            if record.storage_key and record.status is Status.PROCESSED
            else None
        )
        return DocumentView.from_record(record, text=text, text_truncated=cut, download_url=download)

    def search(
        self, team: str, query: str | None, filters: SearchFilters, limit: int, offset: int = 0
    ) -> SearchResponse:
        if not query or not query.strip():
            raise ApiError(400, "q is required: the words to search for")
        hits = self._index.search(team, query, filters, limit, offset)
        return SearchResponse(query=query, offset=offset, hits=[hit.__dict__ for hit in hits])


def search_filters(parameters: dict[str, Any]) -> SearchFilters:
    return SearchFilters(
        document_type=parameters.get("type") or None,
        language=parameters.get("language") or None,
        date_from=parameters.get("from") or None,
        date_to=parameters.get("to") or None,
    )
