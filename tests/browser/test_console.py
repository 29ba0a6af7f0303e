"""The console in a real browser (Debian's chromium through Playwright) against the whole local platform:
every page loads and passes axe-core's WCAG 2 A/AA rules; an accepted and a rejected event are traced;
a DLQ is redriven and its depth falls; a document is found. CONSOLE_SCREENSHOTS=<dir> keeps a screenshot
of each main page (docs/images holds the published ones)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.console import ConsoleHistory, axe_violations

pytestmark = [pytest.mark.integration, pytest.mark.kafka, pytest.mark.browser]

PAGES = {
    "overview": "/?team=orders&minutes=15",
    "flow": "/flow",
    "trace": "/trace",
    "kpis": "/kpis",
    "invoices": "/invoices",
    "documents": "/documents",
    "notifications": "/notifications",
    "inbox": "/notifications/inbox",
}


def _screenshot(page: Any, name: str) -> None:
    directory = os.environ.get("CONSOLE_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        # The KPI page is long: its first screen says what it is.
        page.screenshot(path=str(Path(directory) / f"console-{name}.png"), full_page=name != "kpis")


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_loads_and_meets_wcag_a_and_aa(
    console_history: ConsoleHistory, page: Any, name: str
) -> None:
    response = page.goto(console_history.console_url + PAGES[name])
    assert response.status == 200
    assert page.locator("h1").count() == 1
    assert axe_violations(page) == []
    _screenshot(page, name)


def test_the_overview_counts_the_teams_verdicts_and_charts_them(
    console_history: ConsoleHistory, page: Any
) -> None:
    page.goto(console_history.console_url + "/")
    page.select_option("#team", "orders")
    page.select_option("#minutes", "15")
    page.get_by_role("button", name="Show").click()
    # The traffic's orders events, and the invoice request the orders team sent.
    accepted = sum(1 for team, _ in console_history.accepted if team == "orders") + 1
    assert page.locator('[data-total="accepted"]').inner_text() == str(accepted)
    assert page.locator('[data-total="rejected"]').inner_text() == str(
        sum(1 for team, _ in console_history.accepted if team == "orders")
    )
    charts = page.get_by_role("img")
    assert charts.count() >= 2  # verdicts per minute and the lake's latency (no 429 in this history)
    assert "Events per minute by verdict" in (charts.first.get_attribute("aria-label") or "")


def test_tracing_an_accepted_event_shows_each_hop(console_history: ConsoleHistory, page: Any) -> None:
    team, event = console_history.accepted[0]
    page.goto(console_history.console_url + "/trace")
    page.get_by_label("event_id or correlation id").fill(event["event_id"])
    page.keyboard.press("Enter")
    assert page.locator("[data-verdict]").inner_text() == "accepted"
    hops = page.locator("ol.hops > li")
    text = hops.all_inner_texts()
    names = [hops.nth(i).get_attribute("data-hop") for i in range(hops.count())]
    assert names[:2] == ["ingest: accepted (DynamoDB item)", "DynamoDB stream record"]
    assert any(re.search(r"raw zone.*\n.*line \d+", t) for t in text)
    assert any(t.startswith("curated zone") and f"team={team}" in t for t in text)
    functions = page.locator('[data-hop^="what the functions did"] tbody tr').all_inner_texts()
    assert any("ingest" in row for row in functions) and any("fanout" in row for row in functions)
    if event["event_type"] in console_history.platform.config.kafka_event_types:
        assert any(t.startswith("Kafka") and "offset" in t for t in text)
    _screenshot(page, "trace-accepted")


def test_tracing_a_rejected_event_shows_its_reasons_and_object(
    console_history: ConsoleHistory, page: Any
) -> None:
    event_id, _ = console_history.rejected[0]
    page.goto(console_history.console_url + f"/trace?id={event_id}")
    assert page.locator("[data-verdict]").inner_text() == "rejected"
    rejected = page.locator('[data-hop="ingest: rejected (rejected zone)"]')
    assert "s3://" in rejected.inner_text() and "/rejected/team=" in rejected.inner_text()
    assert rejected.locator("li.bad").count() >= 1  # the reasons, one per line
    _screenshot(page, "trace-rejected")


def test_tracing_a_correlation_id_shows_the_requests_accepted_and_rejected_events(
    console_history: ConsoleHistory, page: Any
) -> None:
    rejected_id, correlation_id = console_history.rejected[0]
    page.goto(console_history.console_url + "/trace")
    page.get_by_label("event_id or correlation id").fill(correlation_id)
    page.get_by_role("button", name="Trace").click()
    assert page.locator("[data-verdict]").inner_text() == "accepted"  # the request's valid event
    hops = page.locator("ol.hops > li")
    names = [hops.nth(i).get_attribute("data-hop") for i in range(hops.count())]
    assert "ingest: accepted (DynamoDB item)" in names and "ingest: rejected (rejected zone)" in names
    rejected = page.locator('[data-hop="ingest: rejected (rejected zone)"]')
    assert rejected_id in str(rejected.locator("pre").text_content())  # the invalid copy, in the details


def test_redriving_a_dead_letter_queue_empties_it(console_history: ConsoleHistory, page: Any) -> None:
    page.goto(console_history.console_url + "/flow")
    row = page.locator(f'tr[data-queue="{console_history.parked_team}-events-dlq"]')
    assert int(row.locator("[data-depth]").inner_text()) == 1
    row.get_by_role("button", name=re.compile("^Redrive")).click()
    assert "1 message(s) moved back" in page.get_by_role("status").inner_text()
    row = page.locator(f'tr[data-queue="{console_history.parked_team}-events-dlq"]')
    assert int(row.locator("[data-depth]").inner_text()) == 0


def test_an_issued_invoice_is_listed_previewed_and_traced(console_history: ConsoleHistory, page: Any) -> None:
    import requests

    page.goto(console_history.console_url + "/invoices")
    links = page.locator("tbody a")
    assert links.count() == 1
    pdf_link = page.get_by_role("link", name="Open the PDF").get_attribute("href")
    pdf = requests.get(console_history.console_url + str(pdf_link), timeout=30)
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    preview = page.get_by_role("img", name=re.compile(r"^First page of invoices\W"))
    assert preview.evaluate("image => image.complete && image.naturalWidth") > 800
    _screenshot(page, "invoices")
    page.goto(console_history.console_url + f"/trace?id={console_history.invoice_request['event_id']}")
    functions = page.locator('[data-hop^="what the functions did"] tbody tr').all_inner_texts()
    assert any("invoices" in row and "invoice issued" in row for row in functions)


def test_a_document_is_found_by_its_words(console_history: ConsoleHistory, page: Any) -> None:
    page.goto(console_history.console_url + "/documents")
    page.get_by_label("Search the documents team's documents").fill(console_history.document_words)
    page.get_by_role("button", name="Search").click()
    assert page.locator(f'[data-document="{console_history.document_id}"]').count() == 1


def test_keyboard_users_skip_to_the_content_and_see_the_focus(
    console_history: ConsoleHistory, page: Any
) -> None:
    page.goto(console_history.console_url + "/flow")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Skip to the content"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_a_redrive_posted_from_another_site_is_refused(console_history: ConsoleHistory) -> None:
    import requests

    response = requests.post(
        console_history.console_url + "/flow/redrive",
        data={"queue": console_history.parked_team},
        headers={"Origin": "http://elsewhere.example"},
        timeout=30,
        allow_redirects=False,
    )
    assert response.status_code == 403


def test_the_console_runs_as_a_lambda_behind_the_api_gateway_through_the_tunnel(
    console_history: ConsoleHistory, page: Any
) -> None:
    """The declared `console` service: the local runtime imports lambdas.console.handler with nothing but
    its environment and the gateway routes /console to it, behind the API key, which the tunnel of
    `python -m tools console --aws` adds for the browser."""
    import requests

    from tools.console.tunnel import ConsoleTunnel

    platform = console_history.platform
    gateway = platform.gateway_url
    assert requests.get(f"{gateway}/console", timeout=60).status_code == 401  # the API key, as every route
    with ConsoleTunnel(gateway, platform.api_keys["orders"].value) as tunnel:
        response = page.goto(f"{tunnel.url}?team=orders&minutes=15")
        assert response.status == 200
        assert page.locator("h1").inner_text().startswith("Overview")
        accepted = sum(1 for team, _ in console_history.accepted if team == "orders") + 1
        assert page.locator('[data-total="accepted"]').inner_text() == str(accepted)
        page.get_by_role("link", name="Flow").click()
        assert page.url.startswith(f"{tunnel.origin}/console/flow")
        assert "CloudWatch's Lambda metrics" in page.locator("main").inner_text()
        assert axe_violations(page) == []
        page.goto(tunnel.origin + str(page.get_by_role("link", name="Invoices").get_attribute("href")))
        preview = page.get_by_role("img", name=re.compile(r"^First page of invoices\W"))
        assert str(preview.get_attribute("src")).startswith(
            "data:image/png;base64,"
        )  # no binary through the API
        pdf = requests.get(
            tunnel.origin + str(page.get_by_role("link", name="Open the PDF").get_attribute("href")),
            timeout=60,
        )
        assert pdf.history[0].status_code == 303 and pdf.content.startswith(b"%PDF")  # from S3, presigned
        assert preview.evaluate("image => image.complete && image.naturalWidth") > 800
        elsewhere = requests.post(
            f"{tunnel.origin}/console/flow/redrive",
            data={"queue": console_history.parked_team},
            headers={"Origin": "https://elsewhere.example"},
            timeout=60,
        )
        assert elsewhere.status_code == 403


def test_a_customers_inbox_shows_what_is_read_and_what_is_not(
    console_history: ConsoleHistory, page: Any
) -> None:
    """The invoice the fixture issued reached its customer's in-app inbox (billing.invoice_issued: inbox
    and push); marking it read as the notifications API does shows it read."""
    from datetime import UTC, datetime

    from lambdas.notifications.store import DynamoInbox
    from platform_core.aws import client

    platform = console_history.platform
    platform.component("triggers").run_until_idle(timeout=120)  # type: ignore[attr-defined]
    page.goto(console_history.console_url + "/notifications")
    page.get_by_role("link", name="A customer's in-app inbox").click()
    customer = page.locator("#customer").input_value()
    assert customer, "the inbox channel delivered to nobody"
    row = page.locator("tr[data-entry]").first
    assert row.locator("[data-state]").inner_text() == "unread"
    unread = int(page.locator("[data-unread]").inner_text())
    table = platform.resources.service_tables("notification-sender")["inbox"]
    inbox = DynamoInbox(client("dynamodb"), table)
    [newest], _ = inbox.page(customer, limit=1)
    assert inbox.mark_read(customer, str(newest["sk"]), datetime.now(UTC)) is not None
    page.reload()
    assert page.locator("tr[data-entry]").first.locator("[data-state]").inner_text().startswith("read ")
    assert int(page.locator("[data-unread]").inner_text()) == unread - 1
    assert axe_violations(page) == []
    _screenshot(page, "inbox")
