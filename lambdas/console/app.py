"""The console's pages: server-rendered HTML with inline SVG charts, no script, no CDN.

    GET  /                 overview of a team: verdicts and 429s per minute, ingest latency
    GET  /flow             queues and DLQs, Kafka lag, the lake's last run and checks, functions
    POST /flow/redrive     move a DLQ back to its queue (platform_core.redrive, as the script does)
    GET  /trace?id=        every hop of an event (event_id) or a request (correlation id)
    GET  /kpis             the lake's KPI queries as charts (the static report draws the same)
    GET  /invoices         the invoices' PDFs, the selected one's first page inline as an image (rendered
                           by PDFium: no PDF viewer needed); /invoices/pdf?key= redirects to the PDF (a
                           presigned S3 URL: the bytes never go through the console or API Gateway)
    GET  /documents?q=     the document service's search API, as the documents team
    GET  /notifications    the notification service's deliveries: status per channel, the latest ones
    GET  /notifications/inbox?customer=   one customer's in-app inbox, read and unread (a customer the
                           inbox channel delivered to)
    GET  /healthz          200

A POST must come from the console's own pages (its Origin or Referer names the console's host):
a page elsewhere cannot make a signed-in browser redrive a queue.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from lambdas.console import charts, sources
from lambdas.console.kafka_lag import consumer_lag, kafka_groups
from lambdas.console.kpis import kpi_sections
from lambdas.console.sources import Platform
from platform_core.aws import client
from platform_core.redrive import FANOUT_FAILURES, RedriveReport, queue_pair, redrive, replay_stream_failures
from platform_core.resources import FANOUT

TEMPLATES = Path(__file__).parent / "templates"
RANGES = {15: "15 minutes", 60: "1 hour", 360: "6 hours", 1440: "24 hours"}
DEFAULT_RANGE = 60
INVOICE_SERVICE, INVOICE_BUCKET = "invoices", "invoices"

Response = tuple[int, dict[str, str], bytes]
# Every answer's: no script, no source but the console itself (charts are inline SVG, previews data: URIs).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    # Where the console's pages are in the browser's URL: "" at a host's root, "/<stage>/console"
    # behind the REST API. Links and redirects start with it; `path` does not.
    base: str = ""
    # The REST API's stage URL when the console runs behind it (the services' views call their APIs).
    api_url: str | None = None

    @classmethod
    def parse(cls, method: str, target: str, headers: dict[str, str], body: bytes) -> Request:
        url = urlsplit(target)
        form = parse_form(body)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        return cls(method, url.path, query, form, {k.lower(): v for k, v in headers.items()})


def parse_form(body: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (the last value of a repeated field)."""
    return {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()} if body else {}


class ConsoleApp:
    def __init__(
        self,
        platform: Platform,
        *,
        gateway_url: str | None = None,
        api_keys: Mapping[str, str] | None = None,
    ):
        """gateway_url and api_keys: the platform's API, for the services' views (the console calls
        the documents search as the documents team, as a signed-in member of it would)."""
        self.platform = platform
        self.gateway_url = gateway_url
        self.api_keys: Mapping[str, str] = api_keys or {}
        self._templates = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True
        )
        self._templates.filters["age"] = _age
        self._routes: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("GET", "/"): self.overview,
            ("GET", "/flow"): self.flow,
            ("POST", "/flow/redrive"): self.redrive,
            ("GET", "/trace"): self.trace,
            ("GET", "/kpis"): self.kpis,
            ("GET", "/invoices"): self.invoices,
            ("GET", "/invoices/pdf"): self.invoice_pdf,
            ("GET", "/documents"): self.documents,
            ("GET", "/notifications"): self.notifications,
            ("GET", "/notifications/inbox"): self.inbox,
            ("GET", "/healthz"): lambda request: (200, {"Content-Type": "text/plain"}, b"ok"),
        }

    @property
    def teams(self) -> list[str]:
        return list(self.platform.resources.config.teams)

    def handle(self, request: Request) -> Response:
        route = self._routes.get((request.method, request.path))
        if route is None:
            known = any(path == request.path for _, path in self._routes)
            return self._page(request, 405 if known else 404, "error.html", message="No such page.")
        if request.method == "POST" and not self._same_origin(request):
            return self._page(
                request, 403, "error.html", message="Refused: the form did not come from this console."
            )
        try:
            return route(request)
        except ValueError as exc:
            return self._page(request, 400, "error.html", message=str(exc))

    def _same_origin(self, request: Request) -> bool:
        host = request.headers.get("host", "")
        origin = request.headers.get("origin") or request.headers.get("referer") or ""
        return bool(host) and urlsplit(origin).netloc == host

    def _page(self, request: Request, status: int, template: str, **context: Any) -> Response:
        body = self._templates.get_template(template).render(
            project=self.platform.resources.project,
            env=self.platform.resources.env,
            base=request.base,
            **context,
        )
        return (
            status,
            {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
            body.encode(),
        )

    # -- pages ---------------------------------------------------------------------------------------

    def overview(self, request: Request) -> Response:
        started = time.monotonic()
        team = request.query.get("team") or self.teams[0]
        if team not in self.teams:
            raise ValueError(f"unknown team {team!r}")
        minutes = int(request.query.get("minutes") or DEFAULT_RANGE)
        if minutes not in RANGES:
            raise ValueError(f"range must be one of {sorted(RANGES)} minutes")
        start, end = sources.minute_window(minutes)
        period = sources.period_for(minutes)
        resolution = "each minute" if period == 60 else f"mean over {period // 60} min"
        verdicts = sources.verdicts_per_minute(self.platform, team, start, end)
        throttled = sources.throttled_per_minute(self.platform, team, start, end)
        latency = sources.latency_per_minute(self.platform, team, start)
        totals = sources.totals(verdicts)
        totals["429"] = sources.totals(throttled).get(sources.THROTTLED_METRIC, 0)
        chart_verdicts = charts.svg(
            charts.time_series(
                verdicts,
                x="minute",
                y="per_minute",
                series="series",
                title="Events per minute by verdict",
                y_title=f"events per minute ({resolution})",
            )
        )
        chart_throttled = charts.svg(
            charts.time_series(
                throttled,
                x="minute",
                y="per_minute",
                series=None,
                title="429 answers per minute",
                y_title=f"requests per minute ({resolution})",
            )
        )
        chart_latency = charts.svg(
            charts.time_series(
                latency,
                x="minute",
                y="seconds",
                series="series",
                title="Ingest latency (occurred_at to received_at), curated events",
                y_title="seconds",
            )
        )
        return self._page(
            request,
            200,
            "overview.html",
            page="overview",
            team=team,
            teams=self.teams,
            minutes=minutes,
            ranges=RANGES,
            start=start,
            end=end,
            totals=totals,
            verdicts=sources.VERDICTS,
            charts=[Markup(c) for c in (chart_verdicts, chart_throttled, chart_latency)],
            chart_titles=["Events per minute by verdict", "429 answers per minute", "Ingest latency"],
            seconds=time.monotonic() - started,
        )

    def flow(self, request: Request) -> Response:
        queues = sources.queues(self.platform)
        lag = []
        if self.platform.kafka is not None:
            lag = consumer_lag(self.platform.kafka, kafka_groups(self.platform.resources))
        live_source, functions = sources.live_status(self.platform)
        return self._page(
            request,
            200,
            "flow.html",
            page="flow",
            queues=queues,
            short=self.platform.short,
            lag=lag,
            lake=sources.lake_status(self.platform),
            functions=functions,
            live_source=live_source,
            moved=request.query.get("moved"),
            redriven=request.query.get("queue"),
            problem=request.query.get("problem"),
        )

    def redrive(self, request: Request) -> Response:
        name = request.form.get("queue", "")
        resources = self.platform.resources
        report: RedriveReport
        if name == FANOUT_FAILURES:
            report = replay_stream_failures(resources.fanout_failure_queue, resources.function_name(FANOUT))
        else:
            if name != "outbox" and name not in resources.config.sqs_subscriber_teams:
                raise ValueError(f"no dead-letter queue {name!r}")
            source, dlq = queue_pair(resources, name)
            report = redrive(source, dlq)
        query = {"queue": name, "moved": str(report.moved)}
        if report.failed:
            query["problem"] = f"{report.failed} message(s) could not be moved"
        return 303, {"Location": f"{request.base}/flow?{urlencode(query)}"}, b""

    def trace(self, request: Request) -> Response:
        key = request.query.get("id", "").strip()
        result = sources.trace(self.platform, key) if key else None
        return self._page(request, 200, "trace.html", page="trace", key=key, result=result, dumps=_dumps)

    def kpis(self, request: Request) -> Response:
        sections = kpi_sections(self.platform.lake.kpis()) if self.platform.lake is not None else []
        return self._page(request, 200, "kpis.html", page="kpis", sections=sections)

    def invoices(self, request: Request) -> Response:
        bucket = self._invoice_bucket()
        objects: list[dict[str, Any]] = []
        if bucket:
            for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket):
                objects.extend(o for o in page.get("Contents", []) if o["Key"].endswith(".pdf"))
        objects.sort(key=lambda o: o["LastModified"], reverse=True)
        selected = request.query.get("key") or (objects[0]["Key"] if objects else None)
        return self._page(
            request,
            200,
            "invoices.html",
            page="invoices",
            objects=objects[:200],
            selected=selected,
            preview=self._preview(selected) if selected else None,
            count=len(objects),
        )

    def invoice_pdf(self, request: Request) -> Response:
        location = client("s3").generate_presigned_url(
            "get_object",
            Params={
                **self._invoice_object(request.query.get("key", "")),
                "ResponseContentType": "application/pdf",
                "ResponseContentDisposition": "inline",
            },
            ExpiresIn=PDF_LINK_SECONDS,
        )
        return 303, {"Location": location}, b""

    def _invoice_object(self, key: str) -> dict[str, str]:
        """{Bucket, Key} of an invoice PDF that exists; ValueError otherwise."""
        bucket = self._invoice_bucket()
        if not bucket or not key.endswith(".pdf"):
            raise ValueError("no such invoice")
        s3 = client("s3")
        try:
            s3.head_object(Bucket=bucket, Key=key)
        except s3.exceptions.ClientError:
            raise ValueError("no such invoice") from None
        return {"Bucket": bucket, "Key": key}

    def _preview(self, key: str) -> str:
        """The PDF's first page as a data: URI (the page carries it: no second request, no binary
        response through API Gateway)."""
        pdf = client("s3").get_object(**self._invoice_object(key))["Body"].read()
        return "data:image/png;base64," + base64.b64encode(first_page_png(pdf)).decode("ascii")

    def _invoice_bucket(self) -> str | None:
        """The invoice service's bucket of PDFs, when the configuration declares the service."""
        if INVOICE_SERVICE not in self.platform.resources.config.services:
            return None
        return self.platform.resources.service_buckets(INVOICE_SERVICE).get(INVOICE_BUCKET)

    def notifications(self, request: Request) -> Response:
        return _notifications_page(self, request)

    def inbox(self, request: Request) -> Response:
        customers = sources.inbox_customers(sources.notification_deliveries(self.platform))
        customer = request.query.get("customer", "").strip() or (customers[0] if customers else "")
        entries = sources.inbox(self.platform, customer) if customer else []
        return self._page(
            request,
            200,
            "inbox.html",
            page="notifications",
            customers=customers,
            customer=customer,
            entries=entries,
            unread=sum(1 for e in entries if e["read_at"] is None),
        )

    def documents(self, request: Request) -> Response:
        query = request.query.get("q", "").strip()
        hits: list[dict[str, Any]] = []
        error = None
        if query:
            key = self.api_keys.get("documents")
            api_url = request.api_url or self.gateway_url
            if not api_url or not key:
                error = "The documents API is not reachable from this console."
            else:
                response = requests.get(
                    f"{api_url}/v1/documents/search",
                    params={"q": query, "limit": "20"},
                    headers={"x-api-key": key},
                    timeout=15,
                )
                if response.status_code == 200:
                    body = response.json()
                    hits = list(body.get("hits") or body.get("items") or [])
                else:
                    error = f"The documents API answered {response.status_code}: {response.text[:300]}"
        return self._page(
            request,
            200,
            "documents.html",
            page="documents",
            query=query,
            hits=hits,
            error=error,
            Markup=Markup,
        )


PDF_LINK_SECONDS = 300  # how long the PDF link of a page works
PREVIEW_SCALE = 1.5  # 108 dpi: an A4 page about 890 pixels wide


def first_page_png(pdf: bytes) -> bytes:
    """The PDF's first page as a PNG (PDFium, as the document service renders pages)."""
    import io

    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=PREVIEW_SCALE).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _by_channel(deliveries: list[dict[str, Any]]) -> tuple[list[str], dict[str, dict[str, int]]]:
    """(statuses, {channel: {status: count}}) for the summary table."""
    counts: dict[str, dict[str, int]] = {}
    statuses: list[str] = []
    for delivery in deliveries:
        status = delivery["status"]
        if status not in statuses:
            statuses.append(status)
        row = counts.setdefault(delivery["channel"], {})
        row[status] = row.get(status, 0) + 1
    return sorted(statuses), dict(sorted(counts.items()))


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _notifications_page(app: ConsoleApp, request: Request) -> Response:
    deliveries = sources.notification_deliveries(app.platform)
    statuses, by_channel = _by_channel(deliveries)
    return app._page(
        request,
        200,
        "notifications.html",
        page="notifications",
        deliveries=deliveries[:100],
        total=len(deliveries),
        statuses=statuses,
        by_channel=by_channel,
    )


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, default=str, ensure_ascii=False)
