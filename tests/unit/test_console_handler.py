"""The console's Lambda handler as API Gateway calls it (a REST proxy event): the app sees its page's
path, the base its links need (the stage on the execute-api host) and the API's URL; a PNG goes back
base64-encoded; a page that fails answers 500 and says so."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from lambdas.console import handler
from lambdas.console.app import Request
from local_platform.gateway import ApiKey, rest_proxy_event
from platform_core.lambda_context import LocalLambdaContext

HOST = "abc123.execute-api.eu-west-1.amazonaws.com"


class RecordingApp:
    def __init__(self, answer: tuple[int, dict[str, str], bytes] | Exception):
        self.answer = answer
        self.requests: list[Request] = []

    def handle(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingApp]:
    recording = RecordingApp((200, {"Content-Type": "text/html; charset=utf-8"}, b"<h1>Flow</h1>"))
    monkeypatch.setattr(handler, "console", lambda: recording)
    yield recording


def _call(
    path: str, host: str = HOST, stage: str = "dev", method: str = "GET", body: bytes = b""
) -> dict[str, Any]:
    key = ApiKey("orders", "k1", "secret")
    event = rest_proxy_event(
        method,
        path,
        path,
        key=key,
        headers=[("Host", host), ("X-Forwarded-Proto", "https" if host == HOST else "http")],
        body=body,
        query="minutes=15",
        stage=stage,
    )
    return handler.lambda_handler(event, LocalLambdaContext("stockoss-dev-orders-console"))


def test_a_page_behind_the_execute_api_host_links_under_its_stage(app: RecordingApp) -> None:
    answer = _call("/console/flow")
    assert answer["statusCode"] == 200 and answer["body"] == "<h1>Flow</h1>"
    [request] = app.requests
    assert request.path == "/flow" and request.query == {"minutes": "15"}
    assert request.base == "/dev/console"
    assert request.api_url == f"https://{HOST}/dev"
    assert answer["multiValueHeaders"]["Content-Security-Policy"][0].startswith("default-src 'self'")


def test_the_overview_is_the_consoles_root_and_a_custom_domain_has_no_stage(app: RecordingApp) -> None:
    _call("/console", host="127.0.0.1:8080", stage="local")
    [request] = app.requests
    assert request.path == "/" and request.base == "/console"


def test_a_png_goes_back_base64_encoded(app: RecordingApp) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    app.answer = (200, {"Content-Type": "image/png"}, png)
    answer = _call("/console/invoices/preview.png")
    assert answer["isBase64Encoded"] is True
    assert base64.b64decode(answer["body"]) == png


def test_the_redrive_form_reaches_the_app_as_a_form(app: RecordingApp) -> None:
    app.answer = (303, {"Location": "/dev/console/flow?moved=1"}, b"")
    answer = _call("/console/flow/redrive", method="POST", body=b"queue=billing")
    assert answer["statusCode"] == 303
    assert app.requests[0].form == {"queue": "billing"} and app.requests[0].method == "POST"


def test_a_page_that_fails_answers_500_and_says_so(app: RecordingApp) -> None:
    app.answer = RuntimeError("Athena query FAILED: TABLE_NOT_FOUND")
    answer = _call("/console/kpis")
    assert answer["statusCode"] == 500
    assert "could not read this page's data" in answer["body"]
