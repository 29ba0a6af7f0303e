"""`make demo`: start the local platform, push StockOSS traffic through it, show what happened, stop.

The demo is a list of named steps run in order against one LocalPlatform
(`default_steps()`): the ingest steps here, the fan-out's
(tools/demo_steps/fanout.py), then each declared service's own steps, then the
lake's (tools/demo_steps/lake.py). A step gets the DemoContext: the running
platform, the console, what was sent and answered so far, and
`add_summary(title, table)` to contribute a table to the final summary. A
declared service adds steps without editing this file: a module
`tools/demo_steps/<package>.py` (its handler's package name) defining `STEPS`
(see tools/demo_steps/__init__.py). A step that finds the platform misbehaving
calls `ctx.fail(message)`: the demo still runs to the end, prints everything,
and exits 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import requests
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from local_platform.runtime import LocalPlatform
from platform_core.aws import client
from platform_core.config import PlatformConfig, get_config
from platform_core.events_table import PK
from platform_core.local_state import STATE_PATH, running_state
from platform_core.producer import RETRYABLE_STATUSES
from tools import demo_steps
from tools.status import count_objects
from tools.traffic import IngestClient, Kind, Sent, TrafficGenerator, batches

EXPECTED = {Kind.VALID: "accepted", Kind.DUPLICATE: "duplicate", Kind.INVALID: "rejected"}
BATCH_SIZES = {
    "orders": 25,
    "billing": 10,
    "documents": 1,
}  # events per request; documents sends them one by one
ORDERS_PER_ROUND = 10


@dataclass
class DemoContext:
    platform: LocalPlatform
    console: Console
    seed: int = 7
    orders: int = 60
    # team -> counts of verdicts ("accepted", ...) and of HTTP statuses ("http_429", ...)
    tallies: dict[str, Counter[str]] = field(default_factory=dict)
    # The events table keys ("<team>#<event_id>") of what the demo's producers had accepted.
    accepted_keys: set[str] = field(default_factory=set)
    sent_events: int = 0
    unexpected_verdicts: list[str] = field(default_factory=list)
    summaries: list[tuple[str, Table]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def tally(self, team: str, key: str, count: int = 1) -> None:
        self.tallies.setdefault(team, Counter())[key] += count

    def tally_retries(self, team: str, statuses: Counter[int]) -> None:
        """The answers a producer was sent back with before it got its verdicts (429, a 5xx)."""
        for status, count in statuses.items():
            self.tally(team, f"http_{status}", count)

    def add_summary(self, title: str, table: Table) -> None:
        self.summaries.append((title, table))

    def fail(self, message: str) -> None:
        self.failures.append(message)
        self.console.print(f"[red]✗ {message}[/]")

    def client(self, team: str) -> IngestClient:
        return IngestClient(self.platform.gateway_url, self.platform.api_keys[team].value)


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[DemoContext], None]


# -- steps --------------------------------------------------------------------


def send_traffic(ctx: DemoContext) -> None:
    """Order lifecycles from the three teams, with retries (duplicates) and invalid events, in batches.

    Generated a few orders at a time, just before they are sent, as producers send what just
    happened: occurred_at is then seconds before received_at, and the lake's latency KPI
    measures the platform rather than the demo.
    """
    generator = TrafficGenerator(ctx.seed, live_services=True)
    with _progress(ctx.console) as progress:
        bars: dict[str, TaskID] = {}
        totals: Counter[str] = Counter()
        for first in range(0, ctx.orders, ORDERS_PER_ROUND):
            traffic = generator.mix(
                min(ORDERS_PER_ROUND, ctx.orders - first), duplicate_rate=0.08, invalid_rate=0.05
            )
            ctx.sent_events += len(traffic)
            work: dict[str, list[list[Sent]]] = {}
            for team, batch in _batches_by_team(traffic, BATCH_SIZES):
                work.setdefault(team, []).append(batch)
            totals.update(s.team for s in traffic)
            for team in work:
                if team not in bars:
                    bars[team] = progress.add_task(team, total=0)
                progress.update(bars[team], total=totals[team])
            with ThreadPoolExecutor(max_workers=len(work)) as pool:
                for future in [
                    pool.submit(_send_batches, ctx, team, batches, partial(progress.advance, bars[team]))
                    for team, batches in work.items()
                ]:
                    future.result()


def _send_batches(
    ctx: DemoContext, team: str, batches: list[list[Sent]], sent: Callable[[int], None]
) -> None:
    """One producer: its batches in order, each sent again after a 429 until admitted."""
    client = ctx.client(team)
    try:
        for batch in batches:
            response, retried = client.post_until_admitted([s.event for s in batch])
            ctx.tally_retries(team, retried)
            _record(ctx, team, batch, response)
            sent(len(batch))
    finally:
        client.close()


def send_bad_requests(ctx: DemoContext) -> None:
    """Requests refused as a whole: not JSON, wrong content type, an unknown key. Nothing is lost."""
    url = f"{ctx.platform.gateway_url}/v1/events"
    key = ctx.platform.api_keys["billing"].value
    cases = [
        ("not JSON", {"x-api-key": key, "Content-Type": "application/json"}, b'{"event_id": "oops"'),
        (
            "wrong content type",
            {"x-api-key": key, "Content-Type": "text/csv"},
            b"order_id,total\nORD-1,10.00\n",
        ),
        ("unknown API key", {"x-api-key": "not-a-key", "Content-Type": "application/json"}, b"{}"),
        ("no API key", {"Content-Type": "application/json"}, b"{}"),
    ]
    table = Table("request", "status", "message")
    for label, headers, body in cases:
        response = requests.post(url, data=body, headers=headers, timeout=30)
        table.add_row(label, str(response.status_code), response.json().get("message", ""))
        if response.status_code in (400, 415):
            ctx.tally("billing", f"http_{response.status_code}")
    ctx.console.print(table)


def over_limit_burst(ctx: DemoContext) -> None:
    """One team fires more single-event requests at once than its usage plan's burst allows.

    Open loop: every request leaves at the same instant (a barrier), as from many
    producers at once; the gateway admits the burst and answers 429 to the rest.
    What it admits can still exceed the ingest function's reserved concurrency:
    those requests are throttled by Lambda, which API Gateway answers 500. The
    producers send both again (after Retry-After, or a backoff), as a
    well-behaved client does.
    """
    team = "orders"
    limits = ctx.platform.config.teams[team].api
    generator = TrafficGenerator(ctx.seed + 1, live_services=True)
    events = [e for t, e in generator.events(limits.burst_limit) if t == team][: 2 * limits.burst_limit]
    ctx.sent_events += len(events)
    ctx.console.print(
        f"{team}: {len(events)} requests at once against rate {limits.rate_limit:g}/s, burst {limits.burst_limit}"
    )
    sent_back: list[dict[str, Any]] = []
    lock = threading.Lock()
    start = threading.Barrier(len(events))
    key = ctx.platform.api_keys[team].value
    url = f"{ctx.platform.gateway_url}/v1/events"

    departures: list[float] = []

    def fire(event: dict[str, Any]) -> None:
        start.wait()
        departures.append(time.monotonic())
        response = requests.post(
            url,
            data=json.dumps(event),
            headers={"x-api-key": key, "Content-Type": "application/json"},
            timeout=120,
        )
        with lock:
            if response.status_code in RETRYABLE_STATUSES:
                ctx.tally(team, f"http_{response.status_code}")
                sent_back.append(event)
            else:
                _record(ctx, team, [Sent(team, event, Kind.VALID)], response)

    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        list(pool.map(fire, events))
    spread = max(departures) - min(departures)
    throttled = ctx.tallies.get(team, Counter())["http_429"]
    ctx.console.print(
        f"  {throttled} throttled with 429, {len(sent_back) - throttled} sent back with a 5xx; "
        "sending them again"
    )
    client = ctx.client(team)
    try:
        for event in sent_back:
            response, retried = client.post_until_admitted(event)
            ctx.tally_retries(team, retried)
            _record(ctx, team, [Sent(team, event, Kind.VALID)], response)
    finally:
        client.close()
    # Something must have pushed back: the usage plan (429) or, when the gateway admitted more at once
    # than the function's reserved concurrency, Lambda's throttle (API Gateway answers it 500). Which one
    # depends on how fast the requests reach the gateway (on a loaded machine, slower than they left).
    if not sent_back:
        ctx.fail(f"the burst of {len(events)} requests in {spread:.1f} s was never throttled")
    elif not throttled:
        ctx.console.print(
            f"  [yellow]the usage plan's bucket ({limits.burst_limit}, {limits.rate_limit:g}/s) kept up "
            f"(the requests reached the gateway over more than {(len(events) - limits.burst_limit) / limits.rate_limit:.0f} s); "
            "the function's reserved concurrency throttled them instead[/]"
        )


def check_stores(ctx: DemoContext) -> None:
    """What the stores hold must match the verdicts: one item per accepted event, the rejected kept.

    The services answer the traffic meanwhile (the order saga's events, the notifications'
    outcomes): their items are counted apart, as events the platform accepted from them.
    """
    resources = ctx.platform.resources
    keys = stored_keys(resources.events_table)
    rejected_objects = count_objects(resources.rejected_bucket)
    missing = ctx.accepted_keys - keys
    emitted = Counter(key.split("#", 1)[0] for key in keys - ctx.accepted_keys)
    table = Table("store", "count")
    table.add_row(f"items in {resources.events_table}", str(len(keys)))
    table.add_row("  of which the demo's accepted events", str(len(ctx.accepted_keys & keys)))
    table.add_row(
        "  of which the services' own events",
        f"{sum(emitted.values())} ({', '.join(f'{t} {n}' for t, n in sorted(emitted.items())) or '-'})",
    )
    table.add_row(f"objects in {resources.rejected_bucket}", str(rejected_objects))
    ctx.add_summary("Stores", table)
    if missing:
        ctx.fail(f"{len(missing)} accepted events are not in the table, e.g. {sorted(missing)[:3]}")
    if rejected_objects == 0:
        ctx.fail("nothing in the rejected zone, yet invalid events were sent")


def stored_keys(table: str) -> set[str]:
    """The key (`<team>#<event_id>`) of every item of the events table."""
    pages = client("dynamodb").get_paginator("scan").paginate(TableName=table, ProjectionExpression=PK)
    return {item[PK]["S"] for page in pages for item in page["Items"]}


def service_steps(config: PlatformConfig) -> list[Step]:
    """The steps of every declared service that has a module in tools/demo_steps, in declaration order."""
    steps: list[Step] = []
    seen: set[str] = set()
    for service in config.services.values():
        module_name = f"{demo_steps.__name__}.{service.package.rsplit('.', 1)[-1]}"
        if module_name in seen:
            continue  # services sharing a package (e.g. an API and its processor) share its steps
        seen.add(module_name)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # this service has no demo step; a missing dependency still raises
                continue
            raise
        steps.extend(module.STEPS)
    return steps


def default_steps(config: PlatformConfig | None = None) -> list[Step]:
    from tools.demo_steps.fanout import fanout_step
    from tools.demo_steps.lake import lake_step

    return [
        Step("Send StockOSS traffic (3 teams, duplicates, invalid events)", send_traffic),
        Step("Send requests the API refuses as a whole", send_bad_requests),
        Step("Over-limit burst", over_limit_burst),
        Step("Check the stores", check_stores),
        Step("Fan-out: team queues, Kafka topics, raw zone, DLQs", fanout_step),
        *service_steps(config or get_config()),
        Step("Lake: Glue job, data-quality checks, KPI queries", lake_step),
    ]


# -- helpers ------------------------------------------------------------------


def _batches_by_team(traffic: list[Sent], sizes: dict[str, int]) -> list[tuple[str, list[Sent]]]:
    out: list[tuple[str, list[Sent]]] = []
    for team in sizes:
        out.extend(batches([s for s in traffic if s.team == team], sizes[team]))
    out.extend(batches([s for s in traffic if s.team not in sizes], 20))
    return out


def _record(ctx: DemoContext, team: str, batch: list[Sent], response: requests.Response) -> None:
    if response.status_code not in (202, 400):
        ctx.tally(team, f"http_{response.status_code}")
        ctx.fail(f"{team}: unexpected HTTP {response.status_code}: {response.text[:200]}")
        return
    body = response.json()
    results = body.get("results", [])
    if len(results) != len(batch):
        ctx.fail(f"{team}: {len(batch)} events sent, {len(results)} verdicts received")
    for sent, result in zip(batch, results, strict=False):
        ctx.tally(team, result["status"])
        if result["status"] == "accepted":
            ctx.accepted_keys.add(f"{team}#{result['event_id']}")
        if result["status"] != EXPECTED[sent.kind]:
            ctx.unexpected_verdicts.append(
                f"{team} {sent.kind} -> {result['status']}: {result.get('reasons')}"
            )


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:>10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _ingestion_table(ctx: DemoContext) -> Table:
    table = Table(
        "team", "accepted", "duplicate", "rejected", "429 (sent again)", "5xx (sent again)", "other 4xx"
    )
    for team in sorted(ctx.tallies):
        counts = ctx.tallies[team]
        statuses = {int(k[5:]): v for k, v in counts.items() if k.startswith("http_")}
        table.add_row(
            team,
            str(counts["accepted"]),
            str(counts["duplicate"]),
            str(counts["rejected"]),
            str(statuses.get(429, 0)),
            str(sum(v for status, v in statuses.items() if status >= 500)),
            str(sum(v for status, v in statuses.items() if 400 <= status < 500 and status != 429)),
        )
    return table


def run_demo(
    steps: list[Step] | None = None, console: Console | None = None, seed: int = 7, orders: int = 60
) -> int:
    console = console or Console()
    # Keep the console for the demo: the handler's JSON logs and EMF metrics would flood it.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    started = time.monotonic()
    console.rule("[bold]StockOSS platform demo")
    # A `make up` already running keeps its .local/platform.json: the demo then runs unlisted.
    state_path = None if running_state() is not None else STATE_PATH
    with console.status("starting the local platform (AWS endpoint, resources, API gateway)..."):
        platform = LocalPlatform(state_path=state_path).start()
    try:
        console.print(f"platform up: gateway {platform.gateway_url}, AWS endpoint {platform.endpoint_url}")
        ctx = DemoContext(platform, console, seed=seed, orders=orders)
        for number, step in enumerate(steps or default_steps(), start=1):
            console.rule(f"{number}. {step.name}")
            try:
                step.run(ctx)
            except Exception as exc:  # a broken step must not hide the others' results
                ctx.fail(f"step {step.name!r} crashed: {exc!r}")
    finally:
        with console.status("stopping the local platform..."):
            platform.stop()

    console.rule("[bold]Summary")
    console.print(f"{ctx.sent_events} events sent in {time.monotonic() - started:.1f} s")
    console.print(_ingestion_table(ctx))
    for title, table in ctx.summaries:
        table.title = title
        console.print(table)
    if ctx.unexpected_verdicts:
        ctx.fail(f"{len(ctx.unexpected_verdicts)} unexpected verdicts, e.g. {ctx.unexpected_verdicts[0]}")
    else:
        console.print("[green]every event got the verdict it should have[/]")
    if ctx.failures:
        console.print(json.dumps(ctx.failures, indent=2))
        return 1
    console.print("[green]demo complete; the platform is stopped[/]")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7, help="traffic seed (same seed, same events)")
    parser.add_argument("--orders", type=int, default=60, help="order lifecycles to send")
    args = parser.parse_args(argv)
    return run_demo(seed=args.seed, orders=args.orders)
