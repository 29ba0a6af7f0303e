"""The document service's demo step, on fresh resources: every upload gets its expected verdict and the
search finds the invoice for its team only; the demo runs the step once although two services share it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from platform_core.config import get_config
from tests.fixtures.aws import RunningGateway
from tools.demo import DemoContext, service_steps
from tools.demo_steps import documents

pytestmark = pytest.mark.integration


def test_the_demo_step_gives_every_upload_its_expected_verdict(
    ingest_gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    resources = ingest_gateway.resources
    platform = SimpleNamespace(
        config=resources.config,
        env=resources.env,
        gateway_url=ingest_gateway.url,
        api_keys=ingest_gateway.api_keys,
    )
    ctx = DemoContext(platform=platform, console=Console(record=True, width=160))  # type: ignore[arg-type]
    documents.documents_step(ctx)
    assert ctx.failures == []
    titles = [title for title, _ in ctx.summaries]
    assert titles[0] == "Documents: uploads and their verdicts" and titles[1].startswith("Documents: search")
    assert {u.expected for u in documents.uploads()} >= {"invoice", "duplicate", "too_large", "malformed"}


def test_services_sharing_a_package_contribute_their_steps_once() -> None:
    names = [step.name for step in service_steps(get_config())]
    assert names.count(documents.STEPS[0].name) == 1
