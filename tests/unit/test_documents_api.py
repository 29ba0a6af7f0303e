"""documents-api on in-memory stores: who the caller is, what it may ask, and the OpenAPI document saying
the same as the models and the contract."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest
import yaml

from lambdas.documents.api import ApiConfig, ApiError, DocumentsApi
from lambdas.documents.models import UploadRequest
from lambdas.documents.search import MAX_OFFSET, Hit, SearchFilters
from lambdas.documents.settings import contract_limits
from lambdas.documents.storage import DocumentStorage
from lambdas.documents.store import InMemoryDocumentStore, Status
from local_platform.gateway import OPENAPI_PATH


class RecordingIndex:
    def __init__(self) -> None:
        self.searched: list[tuple[str, str, SearchFilters, int]] = []

    def upsert(self, team: str, document: Any) -> None:
        raise AssertionError("the API never writes the index")

    def search(self, team: str, query: str, filters: SearchFilters, limit: int, offset: int = 0) -> list[Hit]:
        self.searched.append((team, query, filters, offset))
        return []


@pytest.fixture
def api() -> DocumentsApi:
    # Presigning is computed locally: no endpoint is contacted.
    s3 = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    config = ApiConfig(
        limits=contract_limits(), upload_expiry_seconds=900, download_expiry_seconds=60, max_text_bytes=100
    )
    return DocumentsApi(
        InMemoryDocumentStore(), DocumentStorage(s3, "bucket"), RecordingIndex(), {"key-1": "billing"}, config
    )


def test_the_team_is_the_owner_of_the_api_key(api: DocumentsApi) -> None:
    assert api.team_for("key-1") == "billing"
    with pytest.raises(ApiError) as missing:
        api.team_for(None)
    with pytest.raises(ApiError) as unknown:
        api.team_for("key-2")
    assert (missing.value.status, unknown.value.status) == (401, 403)


def test_an_upload_is_a_presigned_post_s3_limits_to_the_contract(api: DocumentsApi) -> None:
    status, response = api.create_upload(
        "billing", UploadRequest(file_name="a.pdf", content_type="application/pdf")
    )
    assert status == 201 and response.upload is not None
    fields = response.upload["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert ["content-length-range", 1, 50 * 1024 * 1024] in policy["conditions"]
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert {"key": f"inbox/billing/{response.document_id}"} in policy["conditions"]
    record = api._store.get("billing", response.document_id)
    assert record is not None and record.status is Status.AWAITING_UPLOAD and record.expires_at


@pytest.mark.parametrize(
    ("request_body", "status"),
    [
        ({"file_name": "a.zip", "content_type": "application/zip"}, 415),
        ({"file_name": "a.pdf", "content_type": "application/pdf", "size_bytes": 50 * 1024 * 1024 + 1}, 413),
    ],
)
def test_uploads_the_contract_refuses_are_refused_at_once(
    api: DocumentsApi, request_body: dict[str, Any], status: int
) -> None:
    with pytest.raises(ApiError) as refused:
        api.create_upload("billing", UploadRequest.model_validate(request_body))
    assert refused.value.status == status


def test_another_teams_document_is_not_found(api: DocumentsApi) -> None:
    _, response = api.create_upload(
        "billing", UploadRequest(file_name="a.pdf", content_type="application/pdf")
    )
    with pytest.raises(ApiError) as missing:
        api.get("orders", response.document_id)
    assert missing.value.status == 404
    assert api.get("billing", response.document_id).status == "awaiting_upload"


def test_search_needs_words_and_searches_the_callers_index_only(api: DocumentsApi) -> None:
    with pytest.raises(ApiError) as empty:
        api.search("billing", "  ", SearchFilters(), 10)
    assert empty.value.status == 400
    api.search("billing", "facture", SearchFilters(language="fr"), 10)
    assert api._index.searched == [("billing", "facture", SearchFilters(language="fr"), 0)]  # type: ignore[attr-defined]
    assert api.search("billing", "facture", SearchFilters(), 10, offset=20).offset == 20
    assert api._index.searched[-1][3] == 20  # type: ignore[attr-defined]


def test_the_openapi_request_body_is_the_model_and_the_contract() -> None:
    document = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
    schema = document["components"]["schemas"]["DocumentUploadRequest"]
    limits = contract_limits()
    assert set(schema["properties"]) == set(UploadRequest.model_fields)
    assert schema["required"] == [n for n, f in UploadRequest.model_fields.items() if f.is_required()]
    assert tuple(schema["properties"]["content_type"]["enum"]) == limits.content_types
    assert str(limits.max_bytes) in schema["properties"]["size_bytes"]["description"]
    assert "413" in document["paths"]["/v1/documents"]["post"]["responses"]
    operations = {
        op["operationId"]: op
        for path in document["paths"].values()
        for op in path.values()
        if isinstance(op, dict)
    }
    for name in ("createDocumentUpload", "searchDocuments", "getDocument"):
        assert operations[name]["x-platform-function"] == "documents-api"
    [offset] = [p for p in operations["searchDocuments"]["parameters"] if p["name"] == "offset"]
    assert offset["schema"]["maximum"] == MAX_OFFSET


def test_the_api_function_needs_none_of_the_processors_native_libraries() -> None:
    """documents-api is a zip over the platform's layer: importing it loads no PDF, image or OCR library."""
    import subprocess
    import sys

    probe = (
        "import sys, lambdas.documents.api_handler; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pikepdf', 'PIL', 'tesserocr', 'pypdfium2', 'lingua', 'puremagic', 'stdnum', 'babel', 'numpy'}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert loaded == "[]"
