"""Correlation ids read at the API edge: the client's when usable, else the request's own id."""

from __future__ import annotations

import pytest

from platform_core.observability import proxy_correlation_id


def proxy_event(headers: dict[str, str] | None) -> dict[str, object]:
    return {"headers": headers, "requestContext": {"requestId": "req-1"}}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Correlation-Id": "checkout-7"}, "checkout-7"),
        ({"x-correlation-id": "checkout-8"}, "checkout-8"),  # header names are case-insensitive
        ({"X-Correlation-Id": "two words"}, "req-1"),
        ({"X-Correlation-Id": "y" * 129}, "req-1"),
        ({}, "req-1"),
        (None, "req-1"),  # API Gateway sends null when a request has no headers
    ],
)
def test_a_proxy_events_correlation_id_is_the_clients_when_usable(
    headers: dict[str, str] | None, expected: str
) -> None:
    assert proxy_correlation_id(proxy_event(headers)) == expected
