"""Ingest benchmark: handler CPU per event, cold start, and end to end through the local gateway and moto.

1. Handler CPU, persistence faked in-process (in-memory stores behind the
   real service): the full handler (powertools resolver, logging, EMF
   metrics, the verdicts, item and response building) on REST proxy events
   carrying 1, 100 and 500 events. Reported against the floor measured in the
   same run on the same events: bare pydantic envelope parsing + compiled
   JSON Schema validation of the payload + JSON serialisation.
   Targets: <= 30 us/event at 500 events, <= 1 ms for a single-event request.
2. Cold start in a fresh process with Lambda's environment (tracing Active):
   import of the handler module, then the first invocation (config, schema
   registry, boto3 client; a schema compiles at its first payload). Measured
   on the packaged artifact (`make package`: layer + thin zip, bytecode
   included) run by CPython 3.12 when one is found, else in this
   virtualenv; the artifact without its bytecode is measured too. Targets: < 500 ms, RSS < 150 MB.
3. End to end: HTTP client -> local gateway -> handler -> moto server
   (DynamoDB conditional puts). moto bounds these figures; the DynamoDB share
   is measured too.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from lambdas.ingest import handler as ingest
from lambdas.ingest.service import IngestService
from local_platform.gateway import api_key_teams, generate_api_keys, rest_proxy_event
from platform_core.config import ApiLimits, PlatformConfig, get_config
from platform_core.dependencies import hosted
from platform_core.envelope import EventIn
from platform_core.lambda_context import LocalLambdaContext
from platform_core.registry import get_registry
from scripts import package
from tools.traffic import TrafficGenerator

BATCH_SIZES = (1, 100, 500)
TARGET_US_PER_EVENT_AT_500 = 30.0
TARGET_SINGLE_REQUEST_MS = 1.0
TARGET_COLD_START_MS = 500.0
TARGET_RSS_MB = 150.0
TEAM = "orders"


class MemoryEvents:
    """The event store, faked in-process: conditional-put semantics over a dict."""

    def __init__(self) -> None:
        self.items: dict[str, Any] = {}

    def put_new(self, items: Any) -> list[bool]:
        written = []
        for item in items:
            key = item["pk"]["S"]
            written.append(key not in self.items)
            self.items.setdefault(key, item)
        return written


class MemoryRejected:
    def put(self, key: str, document: dict[str, Any]) -> None:
        json.dumps(document)  # the serialisation S3 would need


@contextmanager
def stdout_to_devnull() -> Iterator[None]:
    """The handler logs and writes EMF to stdout, as in Lambda; keep its cost, drop the text."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)


def _calls_per_round(call: Callable[[], None], round_seconds: float) -> int:
    call()  # warm up
    start = time.process_time()
    calls = 0
    while time.process_time() - start < 0.05:
        call()
        calls += 1
    return max(1, int(calls * round_seconds / max(time.process_time() - start, 1e-6)))


def _cpu_per_call(call: Callable[[], None], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        call()
    return (time.process_time() - start) / calls


def paired_cpu(
    subject: Callable[[], None], baseline: Callable[[], None], rounds: int = 9, round_seconds: float = 0.2
) -> tuple[float, float, float]:
    """Process CPU seconds per call of subject and baseline, and their ratio (medians over rounds).

    The two alternate round by round, so a change in the machine's load (other
    processes share these two cores) weighs on both sides of the ratio alike.
    """
    n_subject = _calls_per_round(subject, round_seconds)
    n_baseline = _calls_per_round(baseline, round_seconds)
    subject_s, baseline_s, ratios = [], [], []
    for _ in range(rounds):
        subject_s.append(_cpu_per_call(subject, n_subject))
        baseline_s.append(_cpu_per_call(baseline, n_baseline))
        ratios.append(subject_s[-1] / baseline_s[-1])
    return statistics.median(subject_s), statistics.median(baseline_s), statistics.median(ratios)


def team_events(count: int, seed: int = 1) -> list[dict[str, Any]]:
    generator = TrafficGenerator(seed)
    events: list[dict[str, Any]] = []
    while len(events) < count:
        events.extend(e for t, e in generator.order_flow() if t == TEAM)
    return events[:count]


def handler_cpu() -> dict[str, Any]:
    config = get_config()
    registry = get_registry()
    keys = generate_api_keys(tuple(config.teams))
    store = MemoryEvents()
    service = IngestService(config, registry, store, MemoryRejected(), api_key_teams(keys))
    handler = hosted(ingest.lambda_handler, {ingest.ingest_service: service})
    context = LocalLambdaContext("ingest", config.region)
    rows = []
    with stdout_to_devnull():
        for size in BATCH_SIZES:
            events = team_events(size, seed=size)
            body = json.dumps(events).encode()
            event = rest_proxy_event(
                "POST",
                "/v1/events",
                "/v1/events",
                key=keys[TEAM],
                headers=[("Content-Type", "application/json")],
                body=body,
            )
            first = handler(event, context)
            assert first["statusCode"] == 202 and json.loads(first["body"])["summary"]["accepted"] == size

            def invoke(event: dict[str, Any] = event) -> None:
                store.items.clear()  # every call stores its events anew: the accepted path
                handler(event, context)

            def floor(body: bytes = body) -> None:
                for raw in json.loads(body):
                    envelope = EventIn.model_validate(raw)
                    registry.validate_payload(envelope.event_type, envelope.schema_version, envelope.payload)
                    envelope.model_dump_json()

            handler_s, floor_s, ratio = paired_cpu(invoke, floor)
            rows.append(
                {
                    "events_per_request": size,
                    "request_ms": round(handler_s * 1e3, 3),
                    "us_per_event": round(handler_s / size * 1e6, 2),
                    "floor_us_per_event": round(floor_s / size * 1e6, 2),
                    "ratio_to_floor": round(ratio, 2),
                }
            )
    return {"rows": rows}


# Run in the cold process: sys.path from argv (the packaged layout, or nothing to add), the
# REST proxy event on stdin, the figures as JSON on stdout.
COLD_START_SCRIPT = """
import json, sys, time
started, cpu_started = time.perf_counter(), time.process_time()
sys.path[:0] = json.loads(sys.argv[1])
import lambdas.ingest.handler as module
imported = time.perf_counter()
class Context:
    function_name, function_version, memory_limit_in_mb = "ingest", "$LATEST", 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:ingest"
    aws_request_id = "cold-start"
    def get_remaining_time_in_millis(self): return 30000
response = module.lambda_handler(json.loads(sys.stdin.read()), Context())
assert response["statusCode"] == 200, response
ready = time.perf_counter()
print(json.dumps({
    "import_ms": (imported - started) * 1e3,
    "first_invocation_ms": (ready - imported) * 1e3,
    "init_cpu_ms": (time.process_time() - cpu_started) * 1e3,
    # VmHWM: this process's peak RSS (ru_maxrss would inherit the parent's peak across fork/exec).
    "rss_mb": next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024,
}))
"""

# The floor of any cold start of this handler: importing the libraries it cannot do
# without (the AWS SDK, the X-Ray SDK the Tracer needs, powertools, pydantic).
LIBRARY_IMPORT_SCRIPT = """
import json, sys, time
started = time.perf_counter()
sys.path[:0] = json.loads(sys.argv[1])
import boto3, aws_xray_sdk.core, aws_lambda_powertools.event_handler, aws_lambda_powertools.metrics, pydantic
print((time.perf_counter() - started) * 1e3)
"""


@dataclass(frozen=True)
class ColdRuntime:
    """Where a cold process finds the handler: an interpreter, its flags and the paths to prepend."""

    label: str
    python: str
    flags: tuple[str, ...]
    paths: tuple[str, ...]
    task_root: str


def packaged_runtime(workdir: Path) -> tuple[ColdRuntime, ColdRuntime] | None:
    """The ingest artifact as Lambda runs it, with and without its bytecode; None without a CPython 3.12.

    `make package` output (the layer and the thin zip, .pyc compiled by the
    runtime's Python) extracted to a task root and an /opt, run by CPython 3.12
    with nothing else on sys.path (-I -S) and no bytecode written (-B: Lambda's
    file system is read-only). The second layout is the same files without
    their __pycache__: what a zip without bytecode costs.
    """
    python = package.lambda_python()
    if python is None:
        return None
    out = workdir / "artifacts"
    package.build(package.REPO_ROOT, out, {"layer", "functions"}, ["ingest"], python)
    runtimes = []
    for variant, keep_bytecode in (("", True), ("-source-only", False)):
        task, opt = workdir / f"task{variant}", workdir / f"opt{variant}"
        for archive, dest in (("ingest.zip", task), ("dependencies-layer.zip", opt)):
            shutil.rmtree(dest, ignore_errors=True)
            with zipfile.ZipFile(out / "lambda" / archive) as zipped:
                names = [n for n in zipped.namelist() if keep_bytecode or "__pycache__/" not in n]
                zipped.extractall(dest, members=names)
        label = f"the packaged artifact (make package) on CPython {package.LAMBDA_PYTHON}, " + (
            "with its .pyc" if keep_bytecode else "its .pyc removed"
        )
        runtimes.append(
            ColdRuntime(label, python, ("-I", "-S", "-B"), (str(task), str(opt / "python")), str(task))
        )
    return runtimes[0], runtimes[1]


def dev_runtime() -> ColdRuntime:
    """Fallback without a CPython 3.12: this virtualenv, the handler's own modules compiled first."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package.REPO_ROOT / "lambdas")], check=True)
    root = str(package.REPO_ROOT)
    return ColdRuntime(
        f"the dev virtualenv (Python {sys.version.split()[0]}, no CPython 3.12 found)",
        sys.executable,
        (),
        (),
        root,
    )


def lambda_environment(runtime: ColdRuntime, event_keys: dict[str, str]) -> dict[str, str]:
    """What the Lambda service and Terraform put in the function's environment (tracing Active, sampled)."""
    config = get_config()
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": runtime.task_root,
        "AWS_LAMBDA_FUNCTION_NAME": "ingest",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_REGION": config.region,
        "AWS_DEFAULT_REGION": config.region,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        # Active tracing: the Tracer patches boto3 and records subsegments; the UDP
        # datagrams go to a port nobody listens on.
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "POWERTOOLS_SERVICE_NAME": "ingest",
        "POWERTOOLS_METRICS_NAMESPACE": config.project,
        "PLATFORM_ENV": "dev",
        "API_KEY_TEAMS": json.dumps(event_keys),
        "EVENTS_TABLE": "bench-events",
        "REJECTED_BUCKET": "bench-rejected",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _run_cold(runtime: ColdRuntime, script: str, env: dict[str, str], stdin: str = "") -> tuple[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [runtime.python, *runtime.flags, "-c", script, json.dumps(runtime.paths)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=runtime.task_root,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"cold process ({runtime.label}) failed: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1], (time.perf_counter() - started) * 1e3


def measure_cold_start(runtime: ColdRuntime, runs: int) -> dict[str, Any]:
    """Median figures of `runs` fresh processes, and the library floor in the same runtime."""
    keys = generate_api_keys((TEAM,))
    # GET /v1/schemas builds the whole service (config, schema registry, boto3 clients) without AWS I/O.
    event = json.dumps(rest_proxy_event("GET", "/v1/schemas", "/v1/schemas", key=keys[TEAM]))
    env = lambda_environment(runtime, api_key_teams(keys))
    samples = []
    for _ in range(runs):
        line, wall_ms = _run_cold(runtime, COLD_START_SCRIPT, env, event)
        samples.append({**json.loads(line), "process_wall_ms": wall_ms})
    median = {key: round(statistics.median(s[key] for s in samples), 1) for key in samples[0]}
    median["init_ms"] = round(median["import_ms"] + median["first_invocation_ms"], 1)
    floor = [float(_run_cold(runtime, LIBRARY_IMPORT_SCRIPT, env)[0]) for _ in range(runs)]
    median["library_import_ms"] = round(statistics.median(floor), 1)
    median["ratio_to_library_import"] = round(median["init_ms"] / median["library_import_ms"], 2)
    return median


def cold_start(runs: int = 5) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as workdir:
        packaged = packaged_runtime(Path(workdir))
        if packaged is None:
            runtime = dev_runtime()
            return {"runtime": runtime.label, **measure_cold_start(runtime, runs)}
        with_pyc, source_only = packaged
        figures = {"runtime": with_pyc.label, **measure_cold_start(with_pyc, runs)}
        without = measure_cold_start(source_only, runs)
        figures["without_bytecode_init_ms"] = without["init_ms"]
        figures["bytecode_speedup"] = round(without["init_ms"] / figures["init_ms"], 2)
        return figures


def _lifted(config: PlatformConfig) -> PlatformConfig:
    """The configuration with usage plans out of the way: this measures the pipeline, not throttling."""
    unlimited = ApiLimits(rate_limit=1e6, burst_limit=10**6, quota_per_day=10**9)
    teams = {name: team.model_copy(update={"api": unlimited}) for name, team in config.teams.items()}
    return config.model_copy(update={"teams": teams})


def _percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": round(ordered[len(ordered) // 2] * 1e3, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3, 2),
    }


def _drive(url: str, key: str, batches: list[list[dict[str, Any]]], clients: int) -> dict[str, Any]:
    latencies: list[float] = []
    lock = threading.Lock()
    work = iter(batches)

    def worker() -> None:
        session = requests.Session()
        session.headers.update({"x-api-key": key, "Content-Type": "application/json"})
        while True:
            with lock:
                batch = next(work, None)
            if batch is None:
                return
            body = json.dumps(batch)
            started = time.perf_counter()
            response = session.post(f"{url}/v1/events", data=body, timeout=60)
            elapsed = time.perf_counter() - started
            if response.status_code != 202:
                raise RuntimeError(f"unexpected {response.status_code}: {response.text[:200]}")
            with lock:
                latencies.append(elapsed)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    events = sum(len(b) for b in batches)
    return {
        "clients": clients,
        "events_per_request": len(batches[0]),
        "requests": len(batches),
        "requests_per_s": round(len(batches) / seconds, 1),
        "events_per_s": round(events / seconds, 1),
        **_percentiles(latencies),
    }


def end_to_end() -> dict[str, Any]:
    from local_platform.runtime import LocalPlatform
    from platform_core.aws import client

    with (
        stdout_to_devnull(),
        LocalPlatform(_lifted(get_config()), components=[], state_path=None) as platform,
    ):
        url, key = platform.gateway_url, platform.api_keys[TEAM].value
        singles = [[e] for e in team_events(600, seed=101)]
        batches = [team_events(100, seed=200 + i) for i in range(20)]
        scenarios = [
            _drive(url, key, singles[:300], clients=1),
            _drive(url, key, singles[300:], clients=4),
            _drive(url, key, batches, clients=1),
        ]
        # moto's share: the same conditional PutItem, straight from this process, no gateway or handler.
        dynamodb = client("dynamodb")
        latencies = []
        for i in range(300):
            started = time.perf_counter()
            dynamodb.put_item(
                TableName=platform.resources.events_table,
                Item={"pk": {"S": f"bench#{i}"}, "envelope": {"S": json.dumps(singles[i][0])}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            latencies.append(time.perf_counter() - started)
    return {"scenarios": scenarios, "moto_put_item": _percentiles(latencies)}


def _markdown(cpu: dict[str, Any], cold: dict[str, Any], e2e: dict[str, Any]) -> str:
    lines = [
        "Handler CPU per request, persistence faked in-process (process CPU time, median of 9 rounds",
        "alternating with the floor; the ratio is the median of the per-round ratios).",
        "The floor is bare pydantic envelope parsing + compiled JSON Schema validation + JSON serialisation",
        "of the same events, measured in the same run.",
        "",
        "| events/request | CPU per request | per event | floor per event | ratio to floor |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in cpu["rows"]:
        lines.append(
            f"| {row['events_per_request']} | {row['request_ms']:.3f} ms | {row['us_per_event']:.1f} us "
            f"| {row['floor_us_per_event']:.1f} us | {row['ratio_to_floor']:.2f}x |"
        )
    at_500 = next(r for r in cpu["rows"] if r["events_per_request"] == 500)
    single = next(r for r in cpu["rows"] if r["events_per_request"] == 1)
    lines += [
        "",
        f"Targets: <= {TARGET_US_PER_EVENT_AT_500:g} us/event at 500 events: {at_500['us_per_event']:.1f} us "
        f"({'met' if at_500['us_per_event'] <= TARGET_US_PER_EVENT_AT_500 else 'NOT met'}); "
        f"<= {TARGET_SINGLE_REQUEST_MS:g} ms for a single-event request: {single['request_ms']:.3f} ms "
        f"({'met' if single['request_ms'] <= TARGET_SINGLE_REQUEST_MS else 'NOT met'}).",
        "",
        f"Cold start of {cold['runtime']} (fresh process with Lambda's environment, tracing Active; "
        f"median of 5): import {cold['import_ms']:.0f} ms + first invocation "
        f"(config, schema registry, boto3 client) {cold['first_invocation_ms']:.0f} ms = {cold['init_ms']:.0f} ms "
        f"(target < {TARGET_COLD_START_MS:g} ms: {'met' if cold['init_ms'] < TARGET_COLD_START_MS else 'NOT met'}); "
        f"CPU time of that init {cold['init_cpu_ms']:.0f} ms (less sensitive to the machine's load); "
        f"whole process incl. interpreter start {cold['process_wall_ms']:.0f} ms; "
        f"baseline in the same run and runtime: importing boto3 + the X-Ray SDK + powertools + pydantic alone "
        f"takes {cold['library_import_ms']:.0f} ms (ratio {cold['ratio_to_library_import']:.2f}x); "
        f"RSS {cold['rss_mb']:.0f} MB (target < {TARGET_RSS_MB:g} MB: "
        f"{'met' if cold['rss_mb'] < TARGET_RSS_MB else 'NOT met'}).",
        *(
            [
                "",
                f"The same artifact without its .pyc files: {cold['without_bytecode_init_ms']:.0f} ms "
                f"({cold['bytecode_speedup']:.2f}x slower; Lambda's read-only file system means every cold "
                "start would compile from source), which is why `make package` ships bytecode.",
            ]
            if "without_bytecode_init_ms" in cold
            else []
        ),
        "",
        "End to end: HTTP client -> local gateway -> handler -> moto server (usage plans lifted; one",
        "handler invocation at a time, as in one Lambda execution environment).",
        "",
        "| clients | events/request | requests | req/s | events/s | p50 | p99 |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in e2e["scenarios"]:
        lines.append(
            f"| {s['clients']} | {s['events_per_request']} | {s['requests']} | {s['requests_per_s']:.0f} "
            f"| {s['events_per_s']:.0f} | {s['p50_ms']:.1f} ms | {s['p99_ms']:.1f} ms |"
        )
    moto = e2e["moto_put_item"]
    lines += [
        "",
        f"moto bounds these figures: one conditional PutItem against the moto server alone takes "
        f"p50 {moto['p50_ms']:.1f} ms / p99 {moto['p99_ms']:.1f} ms from the same process, against a handler CPU "
        f"cost of {single['request_ms']:.2f} ms per single-event request. They say nothing of DynamoDB's latency.",
    ]
    return "\n".join(lines)


def run() -> dict[str, Any]:
    cpu = handler_cpu()
    cold = cold_start()
    e2e = end_to_end()
    return {
        "handler_cpu": cpu,
        "cold_start": cold,
        "end_to_end": e2e,
        "targets": {
            "us_per_event_at_500": TARGET_US_PER_EVENT_AT_500,
            "single_request_ms": TARGET_SINGLE_REQUEST_MS,
            "cold_start_ms": TARGET_COLD_START_MS,
            "rss_mb": TARGET_RSS_MB,
        },
        "markdown": _markdown(cpu, cold, e2e),
    }
