"""The document service end to end against the moto server: the API issues a presigned POST, the file is
uploaded over HTTP to S3, S3's notification reaches the service's queue, the processor handler takes
the real SQS messages, events go through the real ingest API; then search and retrieval per team.

The service's resources are what the local platform's provisioning makes from its declarations in
config/platform.yaml (tables, bucket with its lifecycle, the notification to its queue).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from lambdas.documents import processor_handler
from platform_core.aws import client
from platform_core.events_table import ENVELOPE_ATTRIBUTE
from platform_core.lambda_context import LocalLambdaContext
from tests.fixtures.aws import RunningGateway
from tests.fixtures.documents import samples
from tests.fixtures.documents_service import LocalDocumentService, handler_environment
from tools.documents import hostile

pytestmark = pytest.mark.integration


class DocumentsService(LocalDocumentService):
    def stored_events(self, event_type: str) -> list[dict[str, Any]]:
        """The events the platform accepted (its events table), of one type."""
        items = client("dynamodb").scan(TableName=self.resources.events_table)["Items"]
        envelopes = [json.loads(item[ENVELOPE_ATTRIBUTE]["S"]) for item in items]
        return [e for e in envelopes if e["event_type"] == event_type]


@pytest.fixture
def service(
    ingest_gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> Iterator[DocumentsService]:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    documents = DocumentsService(ingest_gateway.resources, ingest_gateway.url, ingest_gateway.api_keys)
    with handler_environment(documents.environment()):
        yield documents


def test_an_uploaded_invoice_is_processed_searchable_and_retrievable(service: DocumentsService) -> None:
    sample = samples()["invoice-text.pdf"]
    status, created = service.upload(
        "billing", sample.data, sample.content_type, "facture.pdf", order_id="ORD-1"
    )
    assert status == 201
    fields = created["upload"]["fields"]
    policy = json.loads(__import__("base64").b64decode(fields["policy"]))
    assert ["content-length-range", 1, 52428800] in policy["conditions"]
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert created["upload"]["fields"]["key"] == f"inbox/billing/{created['document_id']}"

    assert service.process_inbox() == []

    status, document = service.api(
        "GET",
        "/v1/documents/{document_id}",
        f"/v1/documents/{created['document_id']}",
        "billing",
        document_id=created["document_id"],
    )
    assert status == 200
    assert (document["status"], document["document_type"], document["language"]) == (
        "processed",
        "invoice",
        "fr",
    )
    assert document["fields"]["invoice_number"] == sample.source.fields["invoice_number"]
    assert document["fields"]["iban"] == sample.source.fields["iban"]
    assert document["sha256"] == hashlib.sha256(sample.data).hexdigest()
    assert requests.get(document["download_url"], timeout=30).content == sample.data

    number = sample.source.fields["invoice_number"]
    status, found = service.api(
        "GET",
        "/v1/documents/search",
        "/v1/documents/search",
        "billing",
        query=f"q={number}&type=invoice&language=fr",
    )
    assert status == 200 and [h["document_id"] for h in found["hits"]] == [created["document_id"]]
    assert "<mark>" in found["hits"][0]["snippet"]

    [processed] = service.stored_events("documents.document_processed")
    assert processed["payload"]["document_id"] == created["document_id"]
    assert processed["payload"]["owner_team"] == "billing" and processed["payload"]["order_id"] == "ORD-1"
    assert len(service.stored_events("documents.document_uploaded")) == 1


def test_with_the_opensearch_opt_in_an_upload_is_indexed_and_found_there(
    service: DocumentsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambdas.documents import api_handler
    from local_platform.emulators.opensearch import OpenSearchEmulator

    with OpenSearchEmulator(require_signature=True) as opensearch:
        monkeypatch.setenv("SEARCH_BACKEND", "opensearch")
        monkeypatch.setenv("OPENSEARCH_ENDPOINT", opensearch.url)
        api_handler.documents_api.reset()
        processor_handler.document_processor.reset()
        sample = samples()["invoice-text.pdf"]
        _, created = service.upload("billing", sample.data, sample.content_type, "facture.pdf")
        assert service.process_inbox() == []

        number = sample.source.fields["invoice_number"]
        _, found = service.search("billing", f"q={number}&type=invoice")
        assert [h["document_id"] for h in found["hits"]] == [created["document_id"]]
        assert "<mark>" in found["hits"][0]["snippet"]
        assert service.search("orders", f"q={number}")[1]["hits"] == []
        assert opensearch.requests > 0
        listed = client("s3").list_objects_v2(Bucket=service.bucket, Prefix="index/")
        assert listed.get("KeyCount", 0) == 0  # nothing went to the default index file


def test_another_team_can_neither_search_nor_read_a_teams_documents(service: DocumentsService) -> None:
    sample = samples()["invoice-text.pdf"]
    _, created = service.upload("billing", sample.data, sample.content_type, "facture.pdf")
    service.process_inbox()
    word = sample.source.fields["invoice_number"]
    _, own = service.api("GET", "/v1/documents/search", "/v1/documents/search", "billing", query=f"q={word}")
    _, other = service.api("GET", "/v1/documents/search", "/v1/documents/search", "orders", query=f"q={word}")
    assert len(own["hits"]) == 1 and other["hits"] == []
    status, _ = service.api(
        "GET",
        "/v1/documents/{document_id}",
        f"/v1/documents/{created['document_id']}",
        "orders",
        document_id=created["document_id"],
    )
    assert status == 404


def test_an_exact_duplicate_returns_the_existing_document_and_is_not_processed_twice(
    service: DocumentsService,
) -> None:
    sample = samples()["invoice-text.pdf"]
    _, first = service.upload("billing", sample.data, sample.content_type, "a.pdf")
    service.process_inbox()
    _, second = service.upload("billing", sample.data, sample.content_type, "copy.pdf")
    service.process_inbox()
    _, copy = service.api(
        "GET",
        "/v1/documents/{document_id}",
        f"/v1/documents/{second['document_id']}",
        "billing",
        document_id=second["document_id"],
    )
    assert (copy["status"], copy["duplicate_of"]) == ("duplicate", first["document_id"])
    assert len(service.stored_events("documents.document_processed")) == 1
    # Declaring the hash up front returns the existing document without an upload.
    status, known = service.api(
        "POST",
        "/v1/documents",
        "/v1/documents",
        "billing",
        body={
            "file_name": "again.pdf",
            "content_type": "application/pdf",
            "sha256": hashlib.sha256(sample.data).hexdigest(),
        },
    )
    assert (status, known["document_id"], known["duplicate"]) == (200, first["document_id"], True)
    assert "upload" not in known
    # Another team uploading the same bytes has its own document.
    service.upload("orders", sample.data, sample.content_type, "a.pdf")
    service.process_inbox()
    assert len(service.stored_events("documents.document_processed")) == 2


def test_a_file_over_50_mib_that_reaches_the_inbox_is_rejected_and_kept(service: DocumentsService) -> None:
    """moto does not enforce POST policy conditions (S3 does): the processor enforces the limit again."""
    data = hostile.pdf_of_exact_size(50 * 1024 * 1024 + 1)
    status, _ = service.upload("billing", data, "application/pdf", "big.pdf")
    assert status == 201
    service.process_inbox()
    [rejected] = service.stored_events("documents.document_rejected")
    assert rejected["payload"]["reason"] == "too_large" and rejected["payload"]["size_bytes"] == len(data)
    key = rejected["payload"]["rejected_uri"].split("/", 3)[3]
    assert client("s3").head_object(Bucket=service.bucket, Key=key)["ContentLength"] == len(data)
    assert service.stored_events("documents.document_uploaded") == []


def test_a_declared_size_over_the_limit_or_a_type_not_accepted_is_refused_at_once(
    service: DocumentsService,
) -> None:
    status, body = service.api(
        "POST",
        "/v1/documents",
        "/v1/documents",
        "billing",
        body={"file_name": "a.pdf", "content_type": "application/pdf", "size_bytes": 50 * 1024 * 1024 + 1},
    )
    assert status == 413 and "limit" in body["message"]
    status, _ = service.api(
        "POST",
        "/v1/documents",
        "/v1/documents",
        "billing",
        body={"file_name": "a.zip", "content_type": "application/zip"},
    )
    assert status == 415


@pytest.mark.parametrize("name", ["encrypted", "pdf-zip-polyglot", "png-declared-pdf"])
def test_a_bad_file_is_rejected_with_its_reason_and_kept_in_the_rejected_zone(
    service: DocumentsService, name: str
) -> None:
    bad = next(h for h in hostile.HOSTILE if h.name == name)
    data = bad.make()
    _, created = service.upload("billing", data, bad.declared_type, bad.file_name)
    assert service.process_inbox() == []
    [rejected] = service.stored_events("documents.document_rejected")
    assert rejected["payload"]["reason"] == bad.reason
    key = f"rejected/billing/{created['document_id']}/"
    s3 = client("s3")
    assert s3.get_object(Bucket=service.bucket, Key=key + "original")["Body"].read() == data
    reason = json.loads(s3.get_object(Bucket=service.bucket, Key=key + "reason.json")["Body"].read())
    assert reason["reason"] == bad.reason
    assert s3.list_objects_v2(Bucket=service.bucket, Prefix="inbox/").get("KeyCount", 0) == 0


def test_a_redelivered_notification_sends_no_second_event(service: DocumentsService) -> None:
    sample = samples()["invoice-text.pdf"]
    service.upload("billing", sample.data, sample.content_type, "a.pdf")
    sqs = client("sqs")
    while True:  # S3 sends an s3:TestEvent when the notification is configured: skip it
        [message] = sqs.receive_message(QueueUrl=service.queue_url, WaitTimeSeconds=1)["Messages"]
        sqs.delete_message(QueueUrl=service.queue_url, ReceiptHandle=message["ReceiptHandle"])
        if "Records" in json.loads(message["Body"]):
            body = message["Body"]
            break
    from tests.fixtures.documents import sqs_event

    for _ in range(2):
        processor_handler.lambda_handler(
            sqs_event([body]), LocalLambdaContext("documents-processor", "eu-west-1")
        )
    assert len(service.stored_events("documents.document_processed")) == 1
    assert len(service.stored_events("documents.document_uploaded")) == 1


def test_concurrent_index_writers_lose_no_document(service: DocumentsService, tmp_path: Any) -> None:
    """Two processors update one team's index at once: the one whose conditional write fails replays."""
    from lambdas.documents.search import IndexedDocument, S3SearchIndex, SearchFilters

    first = S3SearchIndex(client("s3"), service.bucket, cache_dir=tmp_path / "a")
    second = S3SearchIndex(client("s3"), service.bucket, cache_dir=tmp_path / "b")
    first.upsert("billing", IndexedDocument("d0", "other", "en", "2026-01-01", "zero.pdf", "zero"))
    second.search("billing", "zero", SearchFilters(), 10)  # both now hold the same version
    calls: list[str] = []
    original = first._store

    def store_after_the_other_writer(team: str, path: Any) -> None:
        if not calls:  # between this writer's read and its write, the other one writes
            second.upsert("billing", IndexedDocument("d2", "other", "en", "2026-01-01", "two.pdf", "pallets"))
        calls.append(team)
        original(team, path)

    first._store = store_after_the_other_writer  # type: ignore[method-assign]
    first.upsert("billing", IndexedDocument("d1", "other", "en", "2026-01-01", "one.pdf", "pallets"))
    assert len(calls) == 2, "the first write was refused (412) and the update replayed"
    reader = S3SearchIndex(client("s3"), service.bucket, cache_dir=tmp_path / "c")
    assert {h.document_id for h in reader.search("billing", "pallets", SearchFilters(), 10)} == {"d1", "d2"}


def test_the_textract_adapter_calls_detect_document_text_as_aws_documents_it(
    service: DocumentsService,
) -> None:
    """moto's Textract validates and answers the call (with no blocks: it has no OCR of its own); the
    parsing of a real answer is tests/unit/test_documents_ocr.py's."""
    from PIL import Image

    from lambdas.documents.ocr import OcrResult, TextractOcr

    assert TextractOcr(client("textract")).read(Image.new("L", (200, 100), 255)) == OcrResult("", 0.0)
