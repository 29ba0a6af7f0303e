"""Services emit events through the real ingest API (platform_core.producer), never into the table directly."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from platform_core.envelope import EventIn
from platform_core.producer import EmitRejected, EmitUnavailable, EventProducer, derived_event_id
from tests.fixtures.aws import RunningGateway
from tools.traffic import TrafficGenerator

pytestmark = pytest.mark.integration


def _issued_payload() -> dict[str, Any]:
    generator = TrafficGenerator(7)
    while True:
        for _team, event in generator.order_flow():
            if event["event_type"] == "billing.invoice_issued":
                return dict(event["payload"])


def invoice_issued(cause: str, total: str | None = None) -> EventIn:
    payload = _issued_payload()
    if total is not None:
        payload["total"] = {**payload["total"], "amount": total}
    return EventIn.model_validate(
        {
            "event_id": str(derived_event_id(cause, "invoice_issued")),
            "event_type": "billing.invoice_issued",
            "schema_version": "1",
            "occurred_at": datetime.now(UTC).isoformat(),
            "source": "invoice-service",
            "payload": payload,
        }
    )


def test_a_retried_emit_is_a_duplicate_not_a_second_event(ingest_gateway: RunningGateway) -> None:
    producer = EventProducer(ingest_gateway.url, ingest_gateway.api_keys["billing"].value)
    event = invoice_issued("3f1c0f5e-0000-4000-8000-000000000001")

    first = producer.emit([event], correlation_id="order-1")
    again = producer.emit([invoice_issued("3f1c0f5e-0000-4000-8000-000000000001")], correlation_id="order-1")

    assert first.accepted == (str(event.event_id),) and first.duplicate == ()
    assert again.accepted == () and again.duplicate == (str(event.event_id),)


def test_an_event_the_platform_refuses_raises_with_its_reasons(ingest_gateway: RunningGateway) -> None:
    producer = EventProducer(ingest_gateway.url, ingest_gateway.api_keys["billing"].value)
    bad = invoice_issued("3f1c0f5e-0000-4000-8000-000000000002", total="twelve")

    with pytest.raises(EmitRejected, match=r"payload\.total\.amount"):
        producer.emit([bad])


def test_an_event_type_of_another_team_is_refused(ingest_gateway: RunningGateway) -> None:
    producer = EventProducer(ingest_gateway.url, ingest_gateway.api_keys["orders"].value)

    with pytest.raises(EmitRejected, match=r"billing\.invoice_issued"):
        producer.emit([invoice_issued("3f1c0f5e-0000-4000-8000-000000000003")])


class _Unavailable(BaseHTTPRequestHandler):
    calls = 0

    def do_POST(self) -> None:
        type(self).calls += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(503)
        self.send_header("Retry-After", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def unavailable_api() -> Iterator[str]:
    _Unavailable.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_an_unavailable_api_is_retried_then_reported_as_retryable(unavailable_api: str) -> None:
    producer = EventProducer(unavailable_api, "key", retries=2)

    with pytest.raises(EmitUnavailable, match="503"):
        producer.emit([invoice_issued("3f1c0f5e-0000-4000-8000-000000000004")])
    assert _Unavailable.calls == 3  # the first attempt and two retries


def test_derived_ids_are_stable_and_distinct_per_purpose() -> None:
    cause = "3f1c0f5e-0000-4000-8000-000000000005"
    assert derived_event_id(cause, "a") == derived_event_id(cause, "a")
    assert derived_event_id(cause, "a") != derived_event_id(cause, "b")
