"""The invoice service as deployed: declared in config/platform.yaml, run by the local platform in its own
execution environment, triggered by billing's queue, emitting through the ingest API, mailing
through the local mail sink. Nothing here wires the service by hand."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
import requests

from local_platform.emulators.mail_sink import MailSink
from local_platform.kafka_broker import KafkaBroker
from local_platform.pollers.wiring import Triggers
from local_platform.runtime import LocalPlatform
from tests.fixtures.aws import isolated_config
from tests.fixtures.invoices import invoice_request

pytestmark = [pytest.mark.integration, pytest.mark.kafka]


def test_an_invoice_request_sent_to_the_platform_is_issued_stored_and_mailed_once(
    aws_endpoint_url: str, tmp_path: Path
) -> None:
    sink = MailSink(tmp_path / "mail")
    platform = LocalPlatform(
        isolated_config(), components=[KafkaBroker(), sink, Triggers()], state_path=tmp_path / "platform.json"
    )
    with platform:
        event = {
            "event_id": str(uuid.uuid4()),
            "event_type": "billing.invoice_requested",
            "schema_version": "2",
            "occurred_at": datetime.now(UTC).isoformat(),
            "source": "orders-service",
            "payload": invoice_request(
                f"ORD-{uuid.uuid4().hex[:8]}", ordered_at=datetime.now(UTC).isoformat()
            ),
        }
        headers = {"x-api-key": platform.api_keys["orders"].value, "X-Correlation-Id": "invoice-e2e"}
        url = f"{platform.gateway_url}/v1/events"
        assert requests.post(url, json=event, headers=headers, timeout=30).status_code == 202
        assert requests.post(url, json=event, headers=headers, timeout=30).json()["summary"]["duplicate"] == 1

        bucket = platform.resources.service_buckets("invoices")["invoices"]
        s3 = boto3.client("s3")
        deadline = time.monotonic() + 240
        while not sink.messages:
            assert time.monotonic() < deadline, (
                f"no invoice mailed; functions: {platform.status()['functions']}"
            )
            time.sleep(0.5)
        platform.component("triggers").run_until_idle(timeout=120)  # type: ignore[attr-defined]

        [message] = sink.messages
        year = datetime.now(UTC).year
        assert message["Subject"] == f"Votre facture F-{year}-000001"
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        assert keys == [f"invoices/stockoss-fr/{year}/F-{year}-000001.pdf"]
        assert list((tmp_path / "mail").glob("*.eml"))
        invoices = platform.function("invoices")
        assert invoices is not None
        status = platform.status()["functions"]["invoices"]
        assert status["errors"] == 0 and status["invocations"] >= 1
        items = boto3.client("dynamodb").scan(TableName=platform.resources.events_table)["Items"]
        issued = [i for i in items if i["event_type"]["S"] == "billing.invoice_issued"]
        assert len(issued) == 1 and issued[0]["team"]["S"] == "billing"
        assert issued[0]["correlation_id"]["S"] == "invoice-e2e"
