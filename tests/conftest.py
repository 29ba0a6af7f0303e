"""Shared fixtures live in tests/fixtures/, one module per real part (AWS endpoint, Kafka broker, Spark)."""

from __future__ import annotations

import os

import pytest

pytest_plugins = [
    "tests.fixtures.aws",
    "tests.fixtures.kafka",
    "tests.fixtures.orders",
    "tests.fixtures.spark",
    "tests.fixtures.documents",
    "tests.fixtures.invoices",
    "tests.fixtures.notifications",
    "tests.fixtures.console",
]

# What LocalStack's free edition lacks. With AWS_ENDPOINT_URL set by the user
# (make test-localstack), tests that model these services are skipped with the
# reason; against the embedded moto server they all run.
NOT_IN_LOCALSTACK_FREE = {
    "needs_glue": "LocalStack's free edition has no Glue (run against the embedded moto server: make test)",
    "needs_athena": "LocalStack's free edition has no Athena (run against the embedded moto server: make test)",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("AWS_ENDPOINT_URL"):
        return
    for item in items:
        for marker, reason in NOT_IN_LOCALSTACK_FREE.items():
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))
                break
