"""`make load`: drive the local gateway at a target event rate per team, open loop, and report.

    make load ARGS="--rate 100 --duration 60"                      # every team, 100 events/s each
    make load ARGS="--rate 200 --duration 30 --teams orders,billing --batch 20"
    make load ARGS="--rate 50 --soak-minutes 10"                   # then check nothing was lost

Traffic is the StockOSS mix (tools/traffic.py: order lifecycles, with
a few retries of sent events and a few invalid events). `--rate` is events per
second per team, sent in requests of `--batch` events: the API's usage plans
limit requests (config/platform.yaml), so a producer at 1,000 events/s batches,
as real ones do. A request over the plan gets 429 and is counted, not retried.

Open loop: request i of a team is due at start + i * batch / rate, whatever
happened to the previous ones, and its latency runs from when it was due to
when its response arrived. A slow platform therefore shows as latency (and
queueing in the bounded worker pool), never as a quietly lower offered rate
(coordinated omission). When more than `--max-backlog-seconds` of requests
wait for a worker, the generator sheds the next ones and counts them: the run
stays bounded in time and memory, and says it could not offer the rate.

Target: the running platform of .local/platform.json (`make up`), else a
platform started here. A soak (`--soak-minutes`) always starts its own, so
every sink starts empty and all of them can be counted afterwards: the events
table, each team queue (+ DLQ, + what the orders processor consumed), the
Kafka topics, the raw zone, the fan-out failure queue; each must hold what
the routing in config/platform.yaml says. With its own platform the run also
reports where the CPU went (the moto server process, the broker, and in this
process the ingest handler, its DynamoDB writes, the pollers and fan-out).
Only 127.0.0.1 is ever targeted.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import statistics
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import psutil
import requests
from rich.console import Console
from rich.live import Live
from rich.table import Table

from local_platform.pollers.wiring import Triggers
from local_platform.runtime import LocalPlatform
from platform_core.config import ROOT, PlatformConfig, get_config
from platform_core.local_state import running_state
from tools import sinks
from tools.traffic import Kind, TrafficGenerator

LOCALHOST = ("127.0.0.1", "localhost")
LAMBDA_LOG = ROOT / ".local" / "load" / "lambda-logs.jsonl"
REQUEST_TIMEOUT_SECONDS = 30.0
DRAIN_SECONDS = 60.0  # after the last request is due: how long in-flight requests may still take


# -- traffic -----------------------------------------------------------------------------------


class TeamTraffic:
    """Per-team request bodies drawn from one StockOSS traffic stream (each team keeps its order)."""

    def __init__(
        self, config: PlatformConfig, teams: list[str], seed: int, duplicate_rate: float, invalid_rate: float
    ):
        self._generator = TrafficGenerator(seed=seed, config=config, live_services=True)
        self._pending: dict[str, deque[tuple[dict[str, Any], Kind]]] = {team: deque() for team in teams}
        self._duplicate_rate = duplicate_rate
        self._invalid_rate = invalid_rate

    def batch(self, team: str, size: int) -> list[tuple[dict[str, Any], Kind]]:
        pending = self._pending[team]
        while len(pending) < size:
            for sent in self._generator.mix(10, self._duplicate_rate, self._invalid_rate):
                if sent.team in self._pending:
                    self._pending[sent.team].append((sent.event, sent.kind))
        return [pending.popleft() for _ in range(size)]


# -- results ----------------------------------------------------------------------------------


@dataclass
class TeamStats:
    requests: int = 0
    events: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    throttled: int = 0  # requests answered 429
    errors: int = 0  # other statuses, timeouts, connection errors
    shed: int = 0  # requests the generator could not offer (worker backlog over the bound)
    latencies_ms: list[float] = field(default_factory=list)
    accepted_types: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)

    def summary(self, seconds: float, rate: float) -> dict[str, Any]:
        latencies = sorted(self.latencies_ms)
        return {
            "target_events_per_s": rate,
            "offered_events_per_s": round(self.events / seconds, 1) if seconds else 0.0,
            "accepted_events_per_s": round(self.accepted / seconds, 1) if seconds else 0.0,
            "requests": self.requests,
            "events": self.events,
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "throttled_requests": self.throttled,
            "errors": self.errors,
            "shed_requests": self.shed,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "latency_ms": {
                "p50": _percentile(latencies, 50),
                "p95": _percentile(latencies, 95),
                "p99": _percentile(latencies, 99),
                "max": round(latencies[-1], 1) if latencies else None,
                "mean": round(statistics.fmean(latencies), 1) if latencies else None,
            },
        }


def _percentile(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    rank = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return round(ordered[rank], 1)


@dataclass
class LoadPlan:
    rate: float  # events per second per team
    duration: float
    teams: list[str]
    batch: int = 50
    workers: int = 32
    seed: int = 1
    duplicate_rate: float = 0.02
    invalid_rate: float = 0.01
    max_backlog_seconds: float = 5.0

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.duration <= 0 or self.batch < 1 or self.workers < 1:
            raise ValueError("rate, duration, batch and workers must be positive")

    @property
    def interval(self) -> float:
        return self.batch / self.rate

    @property
    def requests_per_team(self) -> int:
        return max(1, math.floor(self.duration * self.rate / self.batch))


# -- the open-loop driver ---------------------------------------------------------------------


class OpenLoop:
    def __init__(self, gateway_url: str, api_keys: dict[str, str], plan: LoadPlan, config: PlatformConfig):
        host = urlsplit(gateway_url).hostname
        if host not in LOCALHOST:
            raise ValueError(f"the load generator only targets 127.0.0.1, not {host}")
        self._url = gateway_url.rstrip("/") + "/v1/events"
        self._keys = api_keys
        self.plan = plan
        self._traffic = TeamTraffic(config, plan.teams, plan.seed, plan.duplicate_rate, plan.invalid_rate)
        self.stats = {team: TeamStats() for team in plan.teams}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._in_flight = 0
        self.started = 0.0
        self.finished = 0.0

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _send(self, team: str, due: float, events: list[tuple[dict[str, Any], Kind]]) -> None:
        body = json.dumps([event for event, _ in events])
        # By verdict, not by kind: a retry whose original was throttled is the one accepted.
        types = {str(event.get("event_id")): str(event.get("event_type")) for event, _ in events}
        status = 0
        payload: dict[str, Any] | None = None
        try:
            response = self._session().post(
                self._url,
                data=body,
                headers={"x-api-key": self._keys[team], "Content-Type": "application/json"},
                timeout=REQUEST_TIMEOUT_SECONDS,
            )
            status = response.status_code
            if status in (202, 400):
                payload = response.json()
        except (requests.RequestException, ValueError):
            status = 0
        latency_ms = (time.monotonic() - due) * 1000
        with self._lock:
            self._in_flight -= 1
            stats = self.stats[team]
            stats.statuses[status] += 1
            if status == 429:
                stats.throttled += 1
                return
            stats.latencies_ms.append(latency_ms)
            if payload is None or "summary" not in payload:
                stats.errors += 1
                return
            summary = payload["summary"]
            stats.accepted += summary["accepted"]
            stats.duplicate += summary["duplicate"]
            stats.rejected += summary["rejected"]
            for result in payload["results"]:
                if result["status"] == "accepted" and result["event_id"] in types:
                    stats.accepted_types[types[result["event_id"]]] += 1

    def run(self, on_tick: Callable[[OpenLoop], None] | None = None, tick_seconds: float = 0.5) -> None:
        plan = self.plan
        backlog_bound = max(plan.workers, int(plan.max_backlog_seconds * len(plan.teams) / plan.interval))
        self.started = time.monotonic() + 0.2
        # Teams start staggered across one interval, so their requests do not arrive in lockstep.
        first_due = {
            team: self.started + plan.interval * i / len(plan.teams) for i, team in enumerate(plan.teams)
        }
        schedule = [(due, team, 0) for team, due in first_due.items()]
        heapq.heapify(schedule)
        futures: list[Future[None]] = []
        next_tick = time.monotonic()
        with ThreadPoolExecutor(max_workers=plan.workers, thread_name_prefix="load") as pool:
            while schedule:
                due, team, number = heapq.heappop(schedule)
                while (now := time.monotonic()) < due:
                    if on_tick is not None and now >= next_tick:
                        on_tick(self)
                        next_tick = now + tick_seconds
                    time.sleep(min(due - now, 0.01))
                events = self._traffic.batch(team, plan.batch)
                with self._lock:
                    stats = self.stats[team]
                    if self._in_flight >= backlog_bound:
                        stats.shed += 1
                    else:
                        self._in_flight += 1
                        stats.requests += 1
                        stats.events += len(events)
                        futures.append(pool.submit(self._send, team, due, events))
                if number + 1 < plan.requests_per_team:
                    heapq.heappush(
                        schedule, (first_due[team] + (number + 1) * plan.interval, team, number + 1)
                    )
            deadline = time.monotonic() + DRAIN_SECONDS
            for future in futures:
                future.result(timeout=max(0.1, deadline - time.monotonic()))
                if on_tick is not None and time.monotonic() >= next_tick:
                    on_tick(self)
                    next_tick = time.monotonic() + tick_seconds
        self.finished = time.monotonic()

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def report(self) -> dict[str, Any]:
        seconds = self.plan.duration
        teams = {team: stats.summary(seconds, self.plan.rate) for team, stats in self.stats.items()}
        latencies = sorted(ms for stats in self.stats.values() for ms in stats.latencies_ms)
        return {
            "plan": {
                "rate_per_team": self.plan.rate,
                "duration_s": self.plan.duration,
                "batch": self.plan.batch,
                "workers": self.plan.workers,
                "teams": self.plan.teams,
            },
            "wall_seconds": round(self.elapsed, 1),
            "teams": teams,
            "total": {
                "target_events_per_s": self.plan.rate * len(self.plan.teams),
                "offered_events_per_s": round(sum(s.events for s in self.stats.values()) / seconds, 1),
                "accepted_events_per_s": round(sum(s.accepted for s in self.stats.values()) / seconds, 1),
                # Until the last answer: what the platform processed when it could not keep up.
                "answered_events_per_s_wall": round(
                    sum(s.accepted + s.duplicate + s.rejected for s in self.stats.values()) / self.elapsed, 1
                ),
                "throttled_requests": sum(s.throttled for s in self.stats.values()),
                "errors": sum(s.errors for s in self.stats.values()),
                "shed_requests": sum(s.shed for s in self.stats.values()),
                "latency_ms": {f"p{q}": _percentile(latencies, q) for q in (50, 95, 99)},
            },
        }


def progress_table(load: OpenLoop) -> Table:
    elapsed = max(0.001, min(time.monotonic(), load.started + load.plan.duration) - load.started)
    table = Table(
        "team",
        "events sent",
        "events/s",
        "accepted",
        "dup",
        "rejected",
        "429",
        "errors",
        "shed",
        "p95 ms",
        title=f"load: {load.plan.rate:g} events/s per team, batch {load.plan.batch}, {elapsed:.0f}/{load.plan.duration:g}s",
    )
    for team, stats in load.stats.items():
        latencies = sorted(stats.latencies_ms)
        table.add_row(
            team,
            str(stats.events),
            f"{stats.events / elapsed:.0f}",
            str(stats.accepted),
            str(stats.duplicate),
            str(stats.rejected),
            str(stats.throttled),
            str(stats.errors),
            str(stats.shed),
            str(_percentile(latencies, 95) or "-"),
        )
    return table


# -- CPU: where the time goes -----------------------------------------------------------------


class CpuMeter:
    """CPU seconds per process (this one, the moto server, the broker) and, here, per thread group.

    Threads are grouped by name: the pollers (named after their functions), the
    fan-out's SQS sender pool, the ingest handler's DynamoDB write pool; the
    handlers themselves run in the functions' worker processes.
    """

    GROUPS = (
        ("ingest-put", "ingest handler: DynamoDB writes (boto3)"),
        ("fanout-sqs", "fan-out: SQS sends (boto3)"),
        ("fanout-stream", "stream poller + fan-out handler"),
        ("kafka-bridge", "outbox poller + kafka-bridge handler"),
        ("order-saga", "orders poller + order saga"),
        ("load", "load generator workers (HTTP client)"),
    )

    def __init__(self) -> None:
        self._processes: dict[str, psutil.Process] = {}
        self._lock = threading.Lock()
        self._start: dict[str, float] = {}
        self._threads_start: dict[int, float] = {}

    def _process_cpu(self) -> dict[str, float]:
        result = {}
        for name, process in self._processes.items():
            times = process.cpu_times()
            result[name] = times.user + times.system
        return result

    def _threads(self) -> dict[int, float]:
        return {t.id: t.user_time + t.system_time for t in psutil.Process().threads()}

    def start(self, processes: dict[str, int]) -> None:
        self._processes = {name: psutil.Process(pid) for name, pid in processes.items()}
        self._start = self._process_cpu()
        self._threads_start = self._threads()

    def stop(self, events: int, requests_made: int, seconds: float, in_process: bool) -> dict[str, Any]:
        """The CPU spent since start(); per function only when the platform runs in this process."""
        end = self._process_cpu()
        threads = self._threads()
        names = {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}
        groups: dict[str, float] = {}
        for tid, cpu in threads.items():
            name = names.get(tid, "")
            for prefix, label in self.GROUPS:
                if prefix in name:
                    groups[label] = groups.get(label, 0.0) + cpu - self._threads_start.get(tid, 0.0)
                    break
        per_event = 1e6 / max(1, events)
        processes = {name: end[name] - self._start[name] for name in end}
        functions = dict(groups) if in_process else {}
        return {
            "events": events,
            "seconds": round(seconds, 1),
            "cpus": psutil.cpu_count(),
            "process_cpu_share": {name: round(cpu / seconds, 2) for name, cpu in processes.items()},
            "process_us_per_event": {name: round(cpu * per_event, 1) for name, cpu in processes.items()},
            "platform_process_us_per_event": {
                name: round(cpu * per_event, 1) for name, cpu in functions.items()
            },
            "requests": requests_made,
        }


class MeteredPlatform(LocalPlatform):
    """A LocalPlatform whose ingest handler is measured by a CpuMeter."""

    def __init__(self, config: PlatformConfig, meter: CpuMeter):
        super().__init__(config, state_path=None)
        self._meter = meter


def child_processes(pid: int) -> dict[str, int]:
    """The moto server and the Kafka broker started by a platform process (by their command lines)."""
    found: dict[str, int] = {}
    for child in psutil.Process(pid).children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if "moto.server" in command or "moto_server" in command:
            found["moto server"] = child.pid
        elif "tansu" in command:
            found["kafka broker (tansu)"] = child.pid
    return found


# -- soak: counts at every sink ---------------------------------------------------------------


def soak_report(platform: LocalPlatform, accepted: Counter[str], timeout: float) -> dict[str, Any]:
    """Every sink against what the accepted events (event type -> count) must have put there."""
    resources = platform.resources
    expected = sinks.expected_counts(resources.config, resources.env, accepted)
    sinks.wait_until_delivered(resources, expected, timeout)
    # Stopped first, so what the consumers took and what their queues hold are read at one moment.
    triggers = sinks.component(platform, Triggers)
    if triggers is not None:
        for team in resources.config.sqs_subscriber_teams:
            service = triggers.queue_consumer(team)
            if service is not None:
                triggers.poller(service).stop()
    held = sinks.observe(resources, sinks.broker_connection(platform), sinks.consumed_from_queues(platform))
    counts = sinks.account(resources.config, resources.env, expected, held)
    return {
        "sinks": {
            c.sink: {
                "guarantee": str(c.delivery),
                "expected": c.expected,
                "held": None if c.held is None else c.held.copies,
                "distinct": None if c.held is None else c.held.distinct,
                "ok": c.ok,
            }
            for c in counts
        },
        "problems": sinks.problems(counts),
        "every_sink_agrees": all(c.ok for c in counts),
    }


# -- command line -----------------------------------------------------------------------------


@dataclass
class Target:
    gateway_url: str
    api_keys: dict[str, str]
    description: str
    pid: int
    platform: MeteredPlatform | None  # when started here: every sink can be counted afterwards


def start_target(stack: ExitStack, config: PlatformConfig, meter: CpuMeter, *, fresh: bool) -> Target:
    """The running platform of .local/platform.json, or (fresh, or none running) one started here."""
    state = None if fresh else running_state()
    if state is not None:
        return Target(
            state["gateway_url"],
            state["api_keys"],
            f"the running platform (pid {state['pid']})",
            int(state["pid"]),
            None,
        )
    platform = MeteredPlatform(config, meter)
    stack.enter_context(platform)
    keys = {team: key.value for team, key in platform.api_keys.items()}
    return Target(
        platform.gateway_url, keys, "a platform started by the load generator", psutil.Process().pid, platform
    )


def warm_up(target: Target) -> None:
    """An authenticated GET per team builds the ingest service (the cold start) before anything is measured."""
    for key in target.api_keys.values():
        requests.get(
            f"{target.gateway_url}/v1/schemas", headers={"x-api-key": key}, timeout=30
        ).raise_for_status()


def drive(load: OpenLoop, console: Console, show_progress: bool) -> None:
    if not show_progress:
        load.run()
        return
    with Live(progress_table(load), console=console, refresh_per_second=4) as live:
        load.run(on_tick=lambda current: live.update(progress_table(current)))
        live.update(progress_table(load))


def run(
    plan: LoadPlan, *, soak: bool, console: Console, show_progress: bool = True, own_platform: bool = False
) -> dict[str, Any]:
    """One load run (against a running platform, or one started here); the report as a dict."""
    config = get_config()
    meter = CpuMeter()
    with ExitStack() as stack:
        target = start_target(stack, config, meter, fresh=soak or own_platform)
        unknown = set(plan.teams) - set(target.api_keys)
        if unknown:
            raise SystemExit(f"unknown teams: {', '.join(sorted(unknown))}")
        load = OpenLoop(target.gateway_url, target.api_keys, plan, config)
        warm_up(target)
        console.print(f"[bold]Load[/] against {target.description}: {target.gateway_url}")
        meter.start({"platform process": target.pid} | child_processes(target.pid))
        drive(load, console, show_progress)
        report = load.report()
        report["target"] = target.description
        report["cpu"] = meter.stop(
            sum(s.accepted + s.duplicate + s.rejected for s in load.stats.values()),
            sum(s.requests for s in load.stats.values()),
            load.elapsed,
            in_process=target.platform is not None,
        )
        if soak and target.platform is not None:
            accepted: Counter[str] = Counter()
            for stats in load.stats.values():
                accepted.update(stats.accepted_types)
            with console.status("soak: waiting for every sink to settle, then counting..."):
                report["soak"] = soak_report(target.platform, accepted, timeout=max(120.0, plan.duration))
    return report


def print_report(report: dict[str, Any], console: Console) -> None:
    table = Table(
        "team",
        "target ev/s",
        "offered ev/s",
        "accepted ev/s",
        "dup",
        "rejected",
        "429 req",
        "errors",
        "shed",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        title="Load result",
    )
    for team, r in report["teams"].items():
        latency = r["latency_ms"]
        table.add_row(
            team,
            f"{r['target_events_per_s']:g}",
            str(r["offered_events_per_s"]),
            str(r["accepted_events_per_s"]),
            str(r["duplicate"]),
            str(r["rejected"]),
            str(r["throttled_requests"]),
            str(r["errors"]),
            str(r["shed_requests"]),
            str(latency["p50"]),
            str(latency["p95"]),
            str(latency["p99"]),
        )
    console.print(table)
    total = report["total"]
    console.print(
        f"total: {total['accepted_events_per_s']} accepted events/s of {total['target_events_per_s']:g} targeted; "
        f"p50/p95/p99 {total['latency_ms']['p50']}/{total['latency_ms']['p95']}/{total['latency_ms']['p99']} ms; "
        f"429: {total['throttled_requests']}, errors: {total['errors']}, shed: {total['shed_requests']}"
    )
    cpu = report["cpu"]
    console.print(
        f"CPU share of one core over {cpu['seconds']}s (machine: {cpu['cpus']} cores): {cpu['process_cpu_share']}"
    )
    console.print(f"CPU per event (us): {cpu['process_us_per_event']}")
    if cpu["platform_process_us_per_event"]:
        console.print(f"  in the platform process (us/event): {cpu['platform_process_us_per_event']}")
    if "soak" in report:
        table = Table("sink", "guarantee", "expected", "held", "distinct", title="Soak: every sink")
        for name, counts in report["soak"]["sinks"].items():
            style = "" if counts["ok"] else "[red]"
            table.add_row(
                f"{style}{name}",
                counts["guarantee"],
                str(counts["expected"]),
                f"{style}{counts['held']}",
                "-" if counts["distinct"] is None else str(counts["distinct"]),
            )
        console.print(table)
        agrees = report["soak"]["every_sink_agrees"]
        console.print(
            "[green]nothing lost, nothing twice[/]"
            if agrees
            else "[red]" + "; ".join(report["soak"]["problems"])
        )


@contextmanager
def lambda_logs_to(path: Path) -> Iterator[TextIO]:
    """Send this process's stdout (the functions' JSON logs and EMF metrics) to a file; yield the terminal.

    With its own platform, the functions run in this process and write a line per
    request or batch: kept (an operator can follow a correlation id in them), but
    not mixed into the live table.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    terminal = os.fdopen(os.dup(1), "w", buffering=1)
    with path.open("ab") as log_file:
        os.dup2(log_file.fileno(), 1)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            os.dup2(terminal.fileno(), 1)
            terminal.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="events per second per team (default 50)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds (default 30)")
    parser.add_argument("--teams", default="", help="comma-separated teams (default: every team)")
    parser.add_argument("--batch", type=int, default=50, help="events per request (default 50)")
    parser.add_argument("--workers", type=int, default=32, help="concurrent requests at most (default 32)")
    parser.add_argument(
        "--soak-minutes", type=float, default=None, help="soak for N minutes, then count every sink"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--own-platform", action="store_true", help="start a platform even when `make up` runs (measurements)"
    )
    parser.add_argument("--json", type=Path, help="write the report here too")
    parser.add_argument("--no-progress", action="store_true", help="no live table (CI logs)")
    args = parser.parse_args(argv)
    config = get_config()
    teams = [t for t in args.teams.split(",") if t] or list(config.teams)
    duration = args.soak_minutes * 60 if args.soak_minutes else args.duration
    plan = LoadPlan(
        rate=args.rate, duration=duration, teams=teams, batch=args.batch, workers=args.workers, seed=args.seed
    )
    soak = args.soak_minutes is not None
    with ExitStack() as stack:
        console = Console()
        own = soak or args.own_platform or running_state() is None
        if own:
            console = Console(file=stack.enter_context(lambda_logs_to(LAMBDA_LOG)))
            console.print(f"the functions' JSON logs of this run: {LAMBDA_LOG}")
        report = run(plan, soak=soak, console=console, show_progress=not args.no_progress, own_platform=own)
        print_report(report, console)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    failed = report["total"]["errors"] > 0 or ("soak" in report and not report["soak"]["every_sink_agrees"])
    return 1 if failed else 0
