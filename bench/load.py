"""The local runtime's ceiling: `make load` runs at rising rates, and where the CPU goes at each.

Each step starts a fresh local platform (moto server, Tansu, gateway, pollers)
and drives every team at the step's rate for STEP_SECONDS, open loop, in
requests of BATCH events (a producer at these rates batches; the usage plans
limit requests). A step is sustained when the offered rate is the target (no
shedding), nothing errs and the p95 latency stays under SUSTAINED_P95_MS. The
steps stop once the platform saturates (the generator sheds, or it answers
less than 80% of the target); the capacity is the most events answered per
second, until the last answer, in any step. The CPU per event of each
process, and within the platform process of each function, says what bounds it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from platform_core.aws import client
from platform_core.config import ROOT, get_config

RATES_PER_TEAM = (10.0, 25.0, 50.0, 100.0, 200.0)
STEP_SECONDS = 20.0
BATCH = 25
SUSTAINED_P95_MS = 1000.0
MOTO_CALLS = 100
DEEP_QUEUE = 2000


def sustained(report: dict[str, Any]) -> bool:
    total = report["total"]
    p95 = total["latency_ms"]["p95"]
    return (
        total["errors"] == 0
        and total["shed_requests"] == 0
        and total["throttled_requests"] == 0
        and total["offered_events_per_s"] >= 0.95 * total["target_events_per_s"]
        and p95 is not None
        and p95 < SUSTAINED_P95_MS
    )


def measure_step(rate: float, teams: list[str], workdir: Path) -> dict[str, Any]:
    """One step in a process of its own: one platform per process (its AWS clients are process-wide)."""
    out = workdir / f"step-{rate:g}.json"
    command = [
        sys.executable, "-m", "local_platform", "load", "--own-platform", "--no-progress",
        "--rate", str(rate), "--duration", str(STEP_SECONDS), "--batch", str(BATCH),
        "--teams", ",".join(teams), "--json", str(out),
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=STEP_SECONDS + 300)
    if not out.exists():
        raise RuntimeError(f"load step {rate:g} failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return dict(json.loads(out.read_text(encoding="utf-8")))


def moto_calls(out: Path, calls: int = MOTO_CALLS) -> None:
    """moto's CPU per API call the data path makes (measured on its process), written to `out`.

    Run in a process of its own (`python -m bench.load moto-calls OUT`): it starts its own moto server.
    """
    from local_platform.aws_endpoint import aws_endpoint
    from local_platform.provision import provision, queue_url
    from platform_core.resources import Resources
    from tools.load import child_processes

    config = get_config()
    with aws_endpoint(config.region):
        resources = Resources(config.model_copy(update={"project": f"b{uuid.uuid4().hex[:8]}"}), "dev")
        provision(resources)
        moto = psutil.Process(child_processes(os.getpid())["moto server"])
        dynamodb, sqs, s3 = client("dynamodb"), client("sqs"), client("s3")
        url = queue_url(resources.team_queue("billing"))
        body = "x" * 1000  # about one stored event

        def put_item() -> None:
            dynamodb.put_item(
                TableName=resources.events_table,
                Item={"pk": {"S": uuid.uuid4().hex}, "envelope": {"S": body}},
                ConditionExpression="attribute_not_exists(pk)",
            )

        def send_batch() -> None:
            sqs.send_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": body} for i in range(10)]
            )

        def receive_and_delete() -> None:
            messages = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if messages:
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
                    ],
                )

        def put_object() -> None:
            s3.put_object(Bucket=resources.raw_bucket, Key=f"raw/{uuid.uuid4().hex}", Body=body.encode() * 10)

        stream = dynamodb.describe_table(TableName=resources.events_table)["Table"]["LatestStreamArn"]
        streams = client("dynamodbstreams")

        def get_records() -> None:
            shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]["ShardId"]
            iterator = streams.get_shard_iterator(
                StreamArn=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
            )
            streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=100)

        def measure(operation: Callable[[], None], calls: int) -> dict[str, int]:
            operation()  # warm
            moto_before, ours_before = _cpu(moto), time.process_time()
            for _ in range(calls):
                operation()
            return {
                "moto_us_per_call": round((_cpu(moto) - moto_before) / calls * 1e6),
                "client_us_per_call": round((time.process_time() - ours_before) / calls * 1e6),
            }

        result = {
            "dynamodb PutItem (conditional)": measure(put_item, calls),
            "s3 PutObject (10 KB)": measure(put_object, calls),
            "dynamodbstreams DescribeStream + GetShardIterator + GetRecords (100)": measure(
                get_records, calls
            ),
        }
        sqs.purge_queue(QueueUrl=url)
        result["sqs SendMessageBatch (10 x 1 KB), queue empty"] = measure(send_batch, 10)
        # moto scans every message of a queue on each call: the cost grows with the depth.
        for _ in range(DEEP_QUEUE // 10):
            send_batch()
        result[f"sqs SendMessageBatch (10 x 1 KB), {DEEP_QUEUE} messages waiting"] = measure(send_batch, 10)
        result[f"sqs ReceiveMessage (10) + DeleteMessageBatch, {DEEP_QUEUE} messages waiting"] = measure(
            receive_and_delete, 10
        )
    out.write_text(json.dumps(result), encoding="utf-8")


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def run() -> dict[str, Any]:
    teams = list(get_config().teams)
    steps = []
    with tempfile.TemporaryDirectory() as workdir:
        for rate in RATES_PER_TEAM:
            report = measure_step(rate, teams, Path(workdir))
            steps.append({"rate_per_team": rate, "sustained": sustained(report), **report})
            total = report["total"]
            if (
                total["shed_requests"]
                or total["answered_events_per_s_wall"] < 0.8 * total["target_events_per_s"]
            ):
                break  # saturated: what it answered per second is its capacity; higher rates only queue more
        calls_out = Path(workdir) / "moto-calls.json"
        subprocess.run(
            [sys.executable, "-m", "bench.load", "moto-calls", str(calls_out)],
            cwd=ROOT,
            check=True,
            timeout=600,
        )
        moto = json.loads(calls_out.read_text(encoding="utf-8"))
    best = max((s for s in steps if s["sustained"]), key=lambda s: s["rate_per_team"], default=None)
    capacity = max(s["total"]["answered_events_per_s_wall"] for s in steps)
    top = steps[-1]
    cpu = top["cpu"]
    lines = [
        f"Open-loop load through the local gateway, {len(teams)} teams, {BATCH}-event requests, "
        f"{STEP_SECONDS:g} s per step, a fresh local platform per step. Sustained = offered rate reached, "
        f"no error/429/shedding, p95 < {SUSTAINED_P95_MS:g} ms.",
        "",
        "| events/s per team | total target | answered/s (wall) | p50 ms | p95 ms | p99 ms | errors | shed | sustained |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for step in steps:
        total = step["total"]
        latency = total["latency_ms"]
        lines.append(
            f"| {step['rate_per_team']:g} | {total['target_events_per_s']:g} | {total['answered_events_per_s_wall']} "
            f"| {latency['p50']} | {latency['p95']} | {latency['p99']} | {total['errors']} | {total['shed_requests']} "
            f"| {'yes' if step['sustained'] else 'no'} |"
        )
    lines += [
        "",
        f"Highest sustained step: {best['total']['target_events_per_s']:g} events/s in total "
        f"({best['rate_per_team']:g} per team)."
        if best
        else f"No step was sustained (p95 under {SUSTAINED_P95_MS:g} ms).",
        f"Capacity (events answered per second at the highest step, until the last answer): **{capacity} events/s**.",
        "",
        f"CPU at the last step ({top['rate_per_team']:g}/team), share of one core: {cpu['process_cpu_share']}; "
        f"per event (us): {cpu['process_us_per_event']}; in the platform process (us/event): "
        f"{cpu['platform_process_us_per_event']}.",
    ]
    lines += [
        "",
        "What one call costs the moto server (its process CPU) and the boto3 client:",
        "",
        "| call | moto us/call | client us/call |",
        "|---|---:|---:|",
        *(f"| {name} | {c['moto_us_per_call']} | {c['client_us_per_call']} |" for name, c in moto.items()),
    ]
    return {
        "moto_calls": moto,
        "batch": BATCH,
        "step_seconds": STEP_SECONDS,
        "steps": steps,
        "sustained_events_per_s": best["total"]["target_events_per_s"] if best else None,
        "capacity_events_per_s": capacity,
        "markdown": "\n".join(lines),
    }


if __name__ == "__main__":
    if sys.argv[1:2] != ["moto-calls"] or len(sys.argv) != 3:
        raise SystemExit("usage: python -m bench.load moto-calls OUT.json")
    moto_calls(Path(sys.argv[2]))
