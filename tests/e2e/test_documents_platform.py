"""The document service as deployed on the local platform: its two declared services in their execution
environments, the API behind the local API Gateway (routes from api/openapi.yaml), the processor fed by
its S3 inbox queue's poller. A client uploads over HTTP and follows its documents through the API; the
demo's documents step runs on the same platform."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from rich.console import Console

from local_platform.runtime import LocalPlatform
from platform_core.config import get_config
from tests.fixtures.aws import isolated_config
from tests.fixtures.documents import samples
from tools.demo import DemoContext, service_steps
from tools.demo_steps import documents as documents_demo
from tools.documents import hostile

pytestmark = pytest.mark.integration

VERDICT_SECONDS = 180.0  # a loaded machine: the processor's cold start loads the OCR and language models


@pytest.fixture(scope="module")
def platform(aws_endpoint_url: str) -> Iterator[LocalPlatform]:
    with LocalPlatform(isolated_config(), state_path=None) as running:
        yield running


def _call(platform: LocalPlatform, team: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"x-api-key": platform.api_keys[team].value}
    return requests.request(method, f"{platform.gateway_url}{path}", headers=headers, timeout=60, **kwargs)


def _upload(platform: LocalPlatform, team: str, data: bytes, content_type: str, name: str) -> str:
    created = _call(
        platform, team, "POST", "/v1/documents", json={"file_name": name, "content_type": content_type}
    )
    assert created.status_code == 201, created.text
    upload = created.json()["upload"]
    stored = requests.post(
        upload["url"], data=upload["fields"], files={"file": (name, data, content_type)}, timeout=60
    )
    assert stored.status_code in (200, 201, 204), stored.text
    return str(created.json()["document_id"])


def _verdict(platform: LocalPlatform, team: str, document_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + VERDICT_SECONDS
    while True:
        response = _call(platform, team, "GET", f"/v1/documents/{document_id}")
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        if document["status"] != "awaiting_upload":
            return document
        assert time.monotonic() < deadline, f"no verdict for {document_id} after {VERDICT_SECONDS} s"
        time.sleep(0.5)


def test_a_scan_uploaded_through_the_gateway_is_read_and_found_by_its_team_only(
    platform: LocalPlatform,
) -> None:
    sample = samples()["invoice-scan.pdf"]
    document_id = _upload(platform, "billing", sample.data, sample.content_type, "scan.pdf")
    document = _verdict(platform, "billing", document_id)
    assert (document["status"], document["document_type"], document["language"]) == (
        "processed",
        "invoice",
        "fr",
    )
    assert document["ocr_pages"] == 1 and sample.source.fields["invoice_number"] in document["text"]

    number = sample.source.fields["invoice_number"]
    mine = _call(platform, "billing", "GET", "/v1/documents/search", params={"q": number})
    theirs = _call(platform, "orders", "GET", "/v1/documents/search", params={"q": number})
    assert [h["document_id"] for h in mine.json()["hits"]] == [document_id]
    assert theirs.status_code == 200 and theirs.json()["hits"] == []
    assert _call(platform, "orders", "GET", f"/v1/documents/{document_id}").status_code == 404


def test_a_malformed_pdf_gets_its_rejection_through_the_platform(platform: LocalPlatform) -> None:
    document_id = _upload(platform, "orders", hostile.truncated_pdf(), "application/pdf", "cut.pdf")
    document = _verdict(platform, "orders", document_id)
    assert (document["status"], document["reason"]) == ("rejected", "malformed")
    functions = platform.status()["functions"]
    assert functions["documents-processor"]["errors"] == 0 and functions["documents-api"]["errors"] == 0


def test_the_demo_step_gives_every_upload_its_expected_verdict(platform: LocalPlatform) -> None:
    ctx = DemoContext(platform=platform, console=Console(record=True, width=160))
    documents_demo.documents_step(ctx)
    assert ctx.failures == []
    titles = [title for title, _ in ctx.summaries]
    assert titles[0] == "Documents: uploads and their verdicts" and titles[1].startswith("Documents: search")
    assert {u.expected for u in documents_demo.uploads()} >= {
        "invoice",
        "duplicate",
        "too_large",
        "malformed",
    }


def test_services_sharing_a_package_contribute_their_demo_steps_once() -> None:
    names = [step.name for step in service_steps(get_config())]
    assert names.count(documents_demo.STEPS[0].name) == 1


def test_with_a_declared_search_domain_the_platform_indexes_and_searches_in_opensearch(
    aws_endpoint_url: str,
) -> None:
    """The opt-in as a team declares it: `search` on the processor. The local platform then starts the
    OpenSearch emulator and gives both functions its endpoint; the workers sign their requests."""
    from local_platform.emulators.external_systems import ExternalSystems
    from platform_core.aws import client
    from platform_core.config import SearchDomain

    base = isolated_config()
    processor = base.services["documents-processor"].model_copy(update={"search": SearchDomain()})
    config = base.model_copy(update={"services": {**base.services, "documents-processor": processor}})
    with LocalPlatform(config, state_path=None) as platform:
        sample = samples()["invoice-text.pdf"]
        document_id = _upload(platform, "billing", sample.data, sample.content_type, "facture.pdf")
        assert _verdict(platform, "billing", document_id)["status"] == "processed"
        number = sample.source.fields["invoice_number"]
        found = _call(platform, "billing", "GET", "/v1/documents/search", params={"q": number})
        assert [h["document_id"] for h in found.json()["hits"]] == [document_id]
        systems = platform.component("external-systems")
        assert isinstance(systems, ExternalSystems)
        assert systems.opensearch.requests >= 3  # the index created, the document indexed, the search
        bucket = platform.resources.service_buckets("documents-processor")["documents"]
        assert client("s3").list_objects_v2(Bucket=bucket, Prefix="index/")["KeyCount"] == 0  # no S3 file
        functions = platform.status()["functions"]
        assert functions["documents-processor"]["errors"] == 0 and functions["documents-api"]["errors"] == 0
