"""What the document service's two functions read from their environment, and the limits of its contract.

The size limit, the accepted content types and the page limit are those of the event schemas
(documents.document_uploaded v2, documents.document_processed v1): the contract is the one place
they are written, and the upload policy, the processor's checks and the events all read them there.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import field_validator, model_validator

from lambdas.documents.limits import Limits
from platform_core.registry import get_registry
from platform_core.settings import FunctionSettings, ProducerSettings


def contract_limits() -> Limits:
    registry = get_registry()
    uploaded = registry.get("documents.document_uploaded", "2")
    processed = registry.get("documents.document_processed", "1")
    if uploaded is None or processed is None:
        raise RuntimeError("the documents schemas are missing from schemas/")
    properties = uploaded.document["properties"]
    return Limits(
        max_bytes=int(properties["size_bytes"]["maximum"]),
        content_types=tuple(properties["content_type"]["enum"]),
        max_pages=int(processed.document["properties"]["pages"]["maximum"]),
    )


class _Storage(FunctionSettings):
    table_documents: str  # TABLE_DOCUMENTS
    table_document_hashes: str  # TABLE_DOCUMENT_HASHES
    bucket_documents: str  # BUCKET_DOCUMENTS


class SearchSettings(_Storage):
    """Where a team's search index lives: an SQLite FTS5 file in the bucket (default), or OpenSearch,
    set from the service's `search` declaration (SEARCH_BACKEND, OPENSEARCH_ENDPOINT)."""

    search_backend: Literal["sqlite", "opensearch"] = "sqlite"
    opensearch_endpoint: str | None = None  # https://<domain endpoint>
    opensearch_index_prefix: str = "documents-"  # one index per team: <prefix><team>

    @model_validator(mode="after")
    def _endpoint_when_opted_in(self) -> SearchSettings:
        if self.search_backend == "opensearch" and not self.opensearch_endpoint:
            raise ValueError("SEARCH_BACKEND=opensearch needs OPENSEARCH_ENDPOINT")
        return self


class ApiSettings(SearchSettings):
    """documents-api: uploads, retrieval and search for the calling team."""

    # {api_key_id: team}, as the ingest function gets it: the caller's team comes from its API key.
    api_key_teams: dict[str, str]
    upload_expiry_seconds: int = 900
    download_expiry_seconds: int = 300
    max_text_bytes: int = 1_000_000  # text returned by GET /v1/documents/{id} (Lambda answers 6 MB at most)

    @field_validator("api_key_teams", mode="before")
    @classmethod
    def _json(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value


class ProcessorSettings(SearchSettings, ProducerSettings):
    """documents-processor: checks, reads, classifies and indexes each upload."""

    ocr_engine: Literal["tesseract", "textract"] = "tesseract"
    tessdata_prefix: str = "/usr/share/tesseract-ocr/5/tessdata"
    ocr_languages: str = "fra+eng"  # Tesseract models
    languages: str = "fr,en"  # candidates of language detection (ISO 639-1)
    review_threshold: float = 0.7  # classifier confidence under which a person confirms the type
