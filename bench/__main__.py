"""Run the benchmarks: `python -m bench` (all of them) or `python -m bench ingest fanout`."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bench

RESULTS = Path(__file__).resolve().parent / "results"
NOT_BENCHMARKS = {"__main__"}


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name not in NOT_BENCHMARKS)


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in load] if load else None,
    }


def write_readme() -> None:
    sections = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`); one section per benchmark.",
        "",
    ]
    for path in sorted(RESULTS.glob("*.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        when = result.get("measured_at", "?")
        sections += [
            f"## {result.get('name', path.stem)}",
            "",
            f"Measured {when} on {_machine_line(result)}.",
            "",
        ]
        sections += [result.get("markdown", "(no summary)").rstrip(), ""]
    (RESULTS / "README.md").write_text("\n".join(sections), encoding="utf-8")


def _machine_line(result: dict[str, Any]) -> str:
    m = result.get("machine", {})
    return f"{m.get('cpus')} CPUs, Python {m.get('python')}, load average {m.get('load_average_at_start')}"


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}",
            file=sys.stderr,
        )
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in names:
        print(f"== bench {name}", flush=True)
        started = time.monotonic()
        about = machine()
        result = importlib.import_module(f"bench.{name}").run()
        result = {
            "name": name,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": about,
            "duration_seconds": round(time.monotonic() - started, 1),
            **result,
        }
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(result.get("markdown", ""), flush=True)
    write_readme()
    print(f"results: {RESULTS}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
