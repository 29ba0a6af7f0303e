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
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from lambdas.shared.config import ROOT, get_config

RATES_PER_TEAM = (10.0, 25.0, 50.0, 100.0, 200.0)
STEP_SECONDS = 20.0
BATCH = 25
SUSTAINED_P95_MS = 1000.0


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
    return {
        "batch": BATCH,
        "step_seconds": STEP_SECONDS,
        "steps": steps,
        "sustained_events_per_s": best["total"]["target_events_per_s"] if best else None,
        "capacity_events_per_s": capacity,
        "markdown": "\n".join(lines),
    }
