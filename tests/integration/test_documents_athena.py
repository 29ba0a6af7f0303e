"""The documents KPIs (athena/views/document_outcomes.sql, athena/queries/documents_*.sql) on the real lake
path: the service's events in the raw zone -> the Glue job (Spark local) -> curated Parquet -> the local
Athena engine; every answer compared with one computed independently in Python from the same events."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from local_platform.lake import pipeline
from local_platform.lake.layout import lake_root
from local_platform.provision import provision
from local_platform.query.engine import LocalEngine
from local_platform.query.lint import ATHENA_DIR
from platform_core.aws import client
from platform_core.envelope import Event
from platform_core.resources import Resources
from tests.fixtures.aws import isolated_config
from tools.traffic import put_objects, raw_objects

pytestmark = [pytest.mark.integration, pytest.mark.spark, pytest.mark.needs_glue, pytest.mark.needs_athena]

NOW = datetime.now(UTC).replace(microsecond=0)
TYPES = ("invoice", "credit_note", "delivery_note", "purchase_order", "quote", "other")
QUERIES = ("documents_by_type_language_status", "documents_ocr_share", "documents_time_to_process")


def _event(event_type: str, version: str, at: datetime, payload: dict[str, Any]) -> Event:
    return Event.model_validate(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "schema_version": version,
            "occurred_at": at.isoformat(),
            "source": "documents-processor",
            "payload": payload,
            "team": "documents",
            "received_at": (at + timedelta(milliseconds=40)).isoformat(),
            "ingest_id": "req-1",
            "correlation_id": f"document-{payload['document_id']}",
        }
    )


def documents_events(seed: int = 3) -> tuple[list[Event], list[dict[str, Any]]]:
    """The service's events for 40 documents, and the truth about each (what the queries should find)."""
    rng = random.Random(seed)
    events, truth = [], []
    for n in range(40):
        document_id = f"doc-{n:03d}"
        owner = rng.choice(("billing", "orders"))
        uploaded = NOW - timedelta(hours=rng.randint(1, 40), seconds=rng.randint(0, 3599))
        finished = uploaded + timedelta(seconds=rng.randint(2, 90))
        common = {"document_id": document_id, "owner_team": owner}
        roll = rng.random()
        if roll < 0.7:
            pages = rng.randint(1, 8)
            ocr = rng.choice((0, 0, pages, 1))
            kind, language = rng.choice(TYPES), rng.choice(("fr", "en"))
            processing_ms = rng.randint(50, 9000)
            events.append(
                _event(
                    "documents.document_processed",
                    "1",
                    finished,
                    {
                        **common,
                        "document_type": kind,
                        "confidence": 0.93,
                        "needs_review": False,
                        "language": language,
                        "pages": pages,
                        "ocr_pages": ocr,
                        "text_chars": 1200,
                        "content_type": "application/pdf",
                        "size_bytes": 20_000,
                        "sha256": f"{rng.getrandbits(256):064x}",
                        "storage_uri": f"s3://bucket/documents/{owner}/{document_id}/original",
                        "uploaded_at": uploaded.isoformat().replace("+00:00", "Z"),
                        "processed_at": finished.isoformat().replace("+00:00", "Z"),
                        "processing_ms": processing_ms,
                        "fields": {},
                    },
                )
            )
            truth.append(
                dict(
                    owner=owner,
                    status="processed",
                    type=kind,
                    language=language,
                    pages=pages,
                    ocr=ocr,
                    seconds=(finished - uploaded).total_seconds(),
                    processing_ms=processing_ms,
                )
            )
        elif roll < 0.9:
            events.append(
                _event(
                    "documents.document_rejected",
                    "1",
                    finished,
                    {
                        **common,
                        "reason": rng.choice(("too_large", "malformed", "encrypted")),
                        "detail": "refused",
                        "size_bytes": 10,
                        "rejected_uri": f"s3://bucket/rejected/{owner}/{document_id}/original",
                        "rejected_at": finished.isoformat().replace("+00:00", "Z"),
                        "uploaded_at": uploaded.isoformat().replace("+00:00", "Z"),
                    },
                )
            )
            # A file refused for its size never had its processing time measured.
            truth.append(
                dict(
                    owner=owner,
                    status="rejected",
                    type="none",
                    language="und",
                    pages=None,
                    ocr=None,
                    seconds=(finished - uploaded).total_seconds(),
                    processing_ms=None,
                )
            )
        else:
            events.append(
                _event(
                    "documents.document_uploaded",
                    "2",
                    uploaded,
                    {
                        **common,
                        "file_name": "copy.pdf",
                        "content_type": "application/pdf",
                        "size_bytes": 20_000,
                        "sha256": f"{rng.getrandbits(256):064x}",
                        "storage_uri": f"s3://bucket/inbox/{owner}/{document_id}",
                        "uploaded_at": uploaded.isoformat().replace("+00:00", "Z"),
                        "duplicate_of": "doc-000",
                    },
                )
            )
            truth.append(
                dict(
                    owner=owner,
                    status="duplicate",
                    type="none",
                    language="und",
                    pages=None,
                    ocr=None,
                    seconds=None,
                    processing_ms=None,
                )
            )
        # Every document was uploaded first: an upload event without duplicate_of is not an outcome.
        if truth[-1]["status"] != "duplicate":
            events.append(
                _event(
                    "documents.document_uploaded",
                    "2",
                    uploaded,
                    {
                        **common,
                        "file_name": "a.pdf",
                        "content_type": "application/pdf",
                        "size_bytes": 20_000,
                        "sha256": f"{rng.getrandbits(256):064x}",
                        "storage_uri": f"s3://bucket/inbox/{owner}/{document_id}",
                        "uploaded_at": uploaded.isoformat().replace("+00:00", "Z"),
                    },
                )
            )
    return events, truth


def expected(truth: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_status: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for t in truth:
        row = by_status[(t["owner"], t["status"], t["type"], t["language"])]
        row[0] += 1
        row[1] += t["pages"] or 0
    status_rows: list[dict[str, Any]] = sorted(
        (
            {
                "owner_team": k[0],
                "status": k[1],
                "document_type": k[2],
                "language": k[3],
                "documents": v[0],
                "pages": v[1],
            }
            for k, v in by_status.items()
        ),
        key=lambda r: (r["owner_team"], r["status"], -r["documents"], r["document_type"], r["language"]),
    )
    ocr_rows = []
    for owner in sorted({t["owner"] for t in truth if t["status"] == "processed"}):
        mine = [t for t in truth if t["owner"] == owner and t["status"] == "processed"]
        pages, ocr = sum(t["pages"] for t in mine), sum(t["ocr"] for t in mine)
        ocr_rows.append(
            {
                "owner_team": owner,
                "documents": len(mine),
                "documents_with_ocr": sum(1 for t in mine if t["ocr"]),
                "pages": pages,
                "ocr_pages": ocr,
                "ocr_page_share": round(ocr / pages, 4),
            }
        )
    timing: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for t in truth:
        if t["status"] in ("processed", "rejected"):
            timing[(t["status"], t["type"])].append(t)
    time_rows = []
    for (status, kind), rows in sorted(timing.items()):
        measured = [r["processing_ms"] for r in rows if r["processing_ms"] is not None]
        time_rows.append(
            {
                "status": status,
                "document_type": kind,
                "documents": len(rows),
                "avg_seconds_to_verdict": round(sum(r["seconds"] for r in rows) / len(rows), 3),
                "max_seconds_to_verdict": round(max(r["seconds"] for r in rows), 3),
                "avg_processing_ms": round(sum(measured) / len(measured), 1) if measured else None,
            }
        )
    return {
        "documents_by_type_language_status": status_rows,
        "documents_ocr_share": ocr_rows,
        "documents_time_to_process": time_rows,
    }


def test_the_documents_kpis_answer_as_computed_from_the_events(
    aws_endpoint_url: str, spark: SparkSession, tmp_path: Path
) -> None:
    resources = Resources(isolated_config(), "dev")
    provision(resources)
    events, truth = documents_events()
    put_objects(client("s3"), resources.raw_bucket, raw_objects(events, batch_size=25))
    result = pipeline.run_lake(resources, tmp_path, spark=spark)
    assert result.ok, result.error
    engine = LocalEngine(lake_root(tmp_path))
    try:
        actual = {
            name: engine.run_file(ATHENA_DIR / "queries" / f"{name}.sql").to_pylist() for name in QUERIES
        }
    finally:
        engine.close()
    for name, rows in expected(truth).items():
        assert rows, name
        got = [
            {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()} for row in actual[name]
        ]
        assert got == rows, name
