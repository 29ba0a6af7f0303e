"""Lake benchmark: the raw -> curated Glue job against a naive Spark job and DuckDB, then the KPI queries.

On N generated events (default 2 million, about 700 MB of JSON, gzip, 1.5 %
duplicates; cached under build/bench-data/), in the same run and on the same
files, each conversion in its own process so its whole process tree (Python
and the JVM) is measured with psutil (peak RSS, CPU seconds):

* job:   glue_jobs/raw_to_curated (explicit schema, validation, quarantine,
         dedupe, compaction; the code Glue runs), Spark local[2];
* naive: spark.read.json (schema inference) + dropDuplicates + partitioned write;
* duckdb: the same flattening and dedupe as one DuckDB COPY ... PARTITION_BY.

Then every athena/queries/*.sql on the job's output with the local engine
(latency, cold and warm), and the bytes Athena would scan for it: the Parquet
column chunks (compressed, from the footers) of the columns the query reads, in
the partitions its partition predicates keep, against a full scan.

    python -m bench lake                      (2M events; BENCH_LAKE_EVENTS=N to change)
    python -m bench.lake --events 200000      (writes bench/results/lake.json too)
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "build" / "bench-data"
RESULTS = ROOT / "bench" / "results"
DEFAULT_EVENTS = 2_000_000
DUPLICATE_SHARE = 0.015
EVENTS_PER_OBJECT = 10_000
SPAN = timedelta(days=3)
KINDS = ("job", "naive", "duckdb")
# The job's peak memory varied between runs: the benchmark reports min / median / max over this many.
DEFAULT_RUNS = 3


# --- data -------------------------------------------------------------------------------------------


def _templates(seed: int) -> list[str]:
    from tools.traffic import lake_events

    # Real, schema-valid events; the bulk is these with fresh ids and times.
    return [
        e.to_json() for e in lake_events(5_000, datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1), seed)
    ]


def _write_objects(args: tuple[int, int, int, str, str, float]) -> tuple[int, int]:
    """Write the chunks `worker` owns (every `workers`-th); chunk c covers the c-th slice of the time span,
    so each object holds one team's events of about one hour, as fan-out writes them."""
    worker, workers, events, directory, start_iso, dup_share = args
    from platform_core import naming

    rng = random.Random(worker)
    templates = _templates(worker)
    chunks = max(1, events // EVENTS_PER_OBJECT)
    slice_seconds = SPAN.total_seconds() / chunks
    written = json_bytes = 0
    recent: list[str] = []
    for chunk in range(worker, chunks, workers):
        n = events // chunks + (1 if chunk < events % chunks else 0)
        slice_start = datetime.fromisoformat(start_iso) + timedelta(seconds=chunk * slice_seconds)
        lines_by_object: dict[tuple[str, datetime], list[str]] = {}
        for _ in range(n):
            if recent and rng.random() < dup_share:
                line = rng.choice(recent)  # an exact copy: an at-least-once redelivery
            else:
                template = json.loads(rng.choice(templates))
                occurred = slice_start + timedelta(seconds=rng.uniform(0, slice_seconds))
                received = occurred + timedelta(milliseconds=rng.randint(5, 2_000))
                template["event_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                template["occurred_at"] = occurred.isoformat().replace("+00:00", "Z")
                template["received_at"] = received.isoformat().replace("+00:00", "Z")
                line = json.dumps(template, separators=(",", ":"))
                if len(recent) < 50_000:
                    recent.append(line)
                else:
                    recent[rng.randrange(len(recent))] = line
            team = line[line.index('"team":"') + 8 :].split('"', 1)[0]
            received_at = line[line.index('"received_at":"') + 15 :].split('"', 1)[0]
            hour = datetime.fromisoformat(received_at.replace("Z", "+00:00")).replace(
                minute=0, second=0, microsecond=0
            )
            lines_by_object.setdefault((team, hour), []).append(line)
        for (team, hour), lines in lines_by_object.items():
            target = Path(directory) / naming.raw_key(team, hour, f"w{worker}-{chunk:06d}")
            target.parent.mkdir(parents=True, exist_ok=True)
            with gzip.open(target, "wt", compresslevel=5) as handle:
                handle.write("\n".join(lines) + "\n")
            written += len(lines)
            json_bytes += sum(len(line) + 1 for line in lines)
    return written, json_bytes


def generate(events: int) -> Path:
    """The raw zone of `events` events under build/bench-data (reused while its dates stay recent)."""
    directory = DATA / f"lake-{events}"
    marker = directory / "generated.json"
    if marker.exists():
        meta = json.loads(marker.read_text())
        if datetime.fromisoformat(meta["start"]) > datetime.now(UTC) - timedelta(days=3):
            return directory
    shutil.rmtree(directory, ignore_errors=True)
    # The last three days: inside the KPI queries' 7-day window.
    start = (datetime.now(UTC) - SPAN).replace(microsecond=0)
    workers = max(1, min(2, os.cpu_count() or 1))
    jobs = [(w, workers, events, str(directory), start.isoformat(), DUPLICATE_SHARE) for w in range(workers)]
    started = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        counts = pool.map(_write_objects, jobs)
    raw = directory / "raw"
    meta = {
        "events": sum(c[0] for c in counts),
        "start": start.isoformat(),
        "json_bytes": sum(c[1] for c in counts),
        "gzip_bytes": sum(p.stat().st_size for p in raw.rglob("*.gz")),
        "objects": sum(1 for _ in raw.rglob("*.gz")),
        "generation_seconds": round(time.monotonic() - started, 1),
    }
    marker.write_text(json.dumps(meta))
    return directory


def raw_files(directory: Path) -> list[str]:
    return sorted(str(p) for p in (directory / "raw").rglob("*.jsonl.gz"))


# --- the three conversions (each runs in a child process: python -m bench.lake _convert KIND DATA OUT) --


def _convert_job(files: list[str], out: Path) -> dict[str, Any]:
    from glue_jobs.local_spark import local_session
    from glue_jobs.raw_to_curated import run, versions

    spark = local_session(driver_memory="2g", shuffle_partitions=8)
    spark.sparkContext.setLogLevel("ERROR")
    started = time.monotonic()
    # The curated bucket as a directory (<root>/<zone>/<key>), so the local engine queries it afterwards.
    bucket = str(out / "curated")
    lake = run.Lake(versions.LocalStore(bucket), read_root=bucket, write_root=bucket)
    result = run.run(spark, run.read_raw_lines(spark, files), None, lake, "bench")["events"]
    seconds = time.monotonic() - started
    spark.stop()
    return {"seconds": seconds, "input_rows": result.input_rows, "output_rows": result.added}


def _convert_naive(files: list[str], out: Path) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from glue_jobs.local_spark import local_session

    spark = local_session(driver_memory="2g", shuffle_partitions=8)
    spark.sparkContext.setLogLevel("ERROR")
    started = time.monotonic()
    df = spark.read.json(files)  # schema inference: a full extra pass over the data
    rows = df.count()
    curated = df.dropDuplicates(["team", "event_id"]).withColumn(
        "event_date", F.date_format(F.to_timestamp("occurred_at"), "yyyy-MM-dd")
    )
    curated.write.mode("overwrite").partitionBy("team", "event_date").parquet(str(out / "naive"))
    output_rows = spark.read.parquet(str(out / "naive")).count()
    seconds = time.monotonic() - started
    spark.stop()
    return {"seconds": seconds, "input_rows": rows, "output_rows": output_rows}


def _convert_duckdb(files: list[str], out: Path) -> dict[str, Any]:
    import duckdb

    from glue_jobs.contract import load_tables

    envelope = ["event_id", "event_type", "schema_version", "occurred_at", "source", "team", "received_at"]
    envelope += ["ingest_id", "correlation_id"]
    columns = ", ".join(f"'{c}': 'VARCHAR'" for c in envelope) + ", 'payload': 'JSON'"
    contract = load_tables()["events"]
    started = time.monotonic()
    connection = duckdb.connect()
    connection.execute("SET threads = 2")
    connection.execute("SET TimeZone = 'UTC'")
    file_list = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    target = out / "duckdb"
    connection.execute(
        f"""
        COPY (
            SELECT
                event_id, event_type, schema_version, split_part(event_type, '.', 1) AS domain,
                CAST(CAST(occurred_at AS TIMESTAMPTZ) AS TIMESTAMP) AS occurred_at,
                CAST(CAST(received_at AS TIMESTAMPTZ) AS TIMESTAMP) AS received_at,
                source, ingest_id, correlation_id,
                json_extract_string(payload, '$.order_id') AS order_id,
                json_extract_string(payload, '$.customer_id') AS customer_id,
                CAST(coalesce(json_extract_string(payload, '$.total.amount'), json_extract_string(payload, '$.amount.amount'),
                              json_extract_string(payload, '$.refund.amount')) AS {contract.column("amount").duckdb_type}) AS amount,
                coalesce(json_extract_string(payload, '$.total.currency'), json_extract_string(payload, '$.amount.currency'),
                         json_extract_string(payload, '$.refund.currency')) AS currency,
                CAST(json_array_length(payload, '$.lines') AS INTEGER) AS line_count,
                json_extract_string(payload, '$.document_type') AS document_type,
                CAST(json_extract(payload, '$.size_bytes') AS BIGINT) AS size_bytes,
                CAST(payload AS VARCHAR) AS payload_json,
                team,
                strftime(CAST(occurred_at AS TIMESTAMPTZ), '%Y-%m-%d') AS event_date
            FROM read_json({file_list}, format = 'newline_delimited', columns = {{{columns}}})
            QUALIFY row_number() OVER (PARTITION BY team, event_id ORDER BY received_at) = 1
        ) TO '{target}' (FORMAT parquet, PARTITION_BY (team, event_date), COMPRESSION zstd)
        """
    )
    rows = connection.execute(
        f"SELECT count(*) FROM read_json({file_list}, format = 'newline_delimited', columns = {{{columns}}})"
    ).fetchone()
    output = connection.execute(f"SELECT count(*) FROM read_parquet('{target}/**/*.parquet')").fetchone()
    seconds = time.monotonic() - started
    return {
        "seconds": seconds,
        "input_rows": rows[0] if rows else 0,
        "output_rows": output[0] if output else 0,
    }


CONVERSIONS = {"job": _convert_job, "naive": _convert_naive, "duckdb": _convert_duckdb}


def _tree_memory(root: psutil.Process) -> tuple[int, int, dict[int, float]]:
    """Resident bytes of a process tree, and of them those backed by files (memory-mapped files: Spark
    maps disk blocks above spark.storage.memoryMapThreshold), and each process's CPU seconds."""
    rss = shared = 0
    cpu: dict[int, float] = {}
    for process in [root, *root.children(recursive=True)]:
        try:
            memory = process.memory_info()
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        rss += memory.rss
        shared += getattr(memory, "shared", 0)
        cpu[process.pid] = times.user + times.system + times.children_user + times.children_system
    return rss, shared, cpu


def measure(kind: str, directory: Path, out: Path) -> dict[str, Any]:
    """Run one conversion in a child process; peak RSS (and its file-backed part) and CPU seconds of its
    whole process tree."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    report = out / f"{kind}.json"
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.lake", "_convert", kind, str(directory), str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    root = psutil.Process(child.pid)
    cpu: dict[int, float] = {}
    peak = peak_file_backed = 0
    while child.poll() is None:
        try:
            rss, shared, times = _tree_memory(root)
        except psutil.NoSuchProcess:
            break
        cpu.update(times)
        if rss > peak:
            peak, peak_file_backed = rss, shared
        time.sleep(0.2)
    _, stderr = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"{kind} failed: {stderr.decode()[-2000:]}")
    inner = json.loads(report.read_text())
    wall = time.monotonic() - started
    return {
        **inner,
        "events_per_second": round(inner["input_rows"] / inner["seconds"]),
        "seconds": round(inner["seconds"], 1),
        "wall_seconds_with_startup": round(wall, 1),
        "cpu_seconds": round(sum(cpu.values()), 1),
        "peak_rss_mb": round(peak / 2**20),
        "peak_file_backed_mb": round(peak_file_backed / 2**20),
    }


SPREAD = ("seconds", "events_per_second", "cpu_seconds", "peak_rss_mb", "peak_file_backed_mb")


def spread(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """min / median / max of each measured figure over the runs; the rest from the last run."""
    summary: dict[str, Any] = {k: v for k, v in runs[-1].items() if k not in SPREAD}
    for key in SPREAD:
        values = [r[key] for r in runs]
        summary[key] = statistics.median(values)
        summary[f"{key}_min"], summary[f"{key}_max"] = min(values), max(values)
    summary["runs"] = len(runs)
    return summary


# --- queries ----------------------------------------------------------------------------------------


def _referenced(sql: str, views: dict[str, str], seen: set[str] | None = None) -> tuple[set[str], list[Any]]:
    """Columns a query reads and its conjuncts on partition columns, through the views it uses."""
    import sqlglot
    from sqlglot import exp

    seen = seen or set()
    tree = sqlglot.parse_one(sql, read="athena")
    columns = {c.name for c in tree.find_all(exp.Column)}
    predicates: list[Any] = []
    for where in tree.find_all(exp.Where):
        for conjunct in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
            names = {c.name for c in conjunct.find_all(exp.Column)}
            if names and names <= {"team", "event_date"}:
                predicates.append(conjunct)
    for table in tree.find_all(exp.Table):
        if table.name in views and table.name not in seen:
            seen.add(table.name)
            more_columns, more_predicates = _referenced(views[table.name], views, seen)
            columns |= more_columns
            predicates += more_predicates
    return columns, predicates


def athena_scan(sql: str, lake: Path, views: dict[str, str]) -> dict[str, int]:
    """Bytes Athena would read for the query on the events table, and for a full scan."""
    import duckdb
    import pyarrow.parquet as pq

    from local_platform.query.engine import transpile

    columns, predicates = _referenced(sql, views)
    condition = " AND ".join(transpile(p.sql("athena"))[0] for p in predicates) or "true"
    scanned = full = 0
    connection = duckdb.connect()
    from glue_jobs.contract import load_tables
    from local_platform.query.engine import manifested_files

    for path in manifested_files(load_tables()["events"], lake):
        team = path.parent.parent.name.split("=", 1)[1]
        event_date = path.parent.name.split("=", 1)[1]
        kept = connection.execute(
            f"SELECT count(*) FROM (SELECT ? AS team, ? AS event_date) WHERE {condition}", [team, event_date]
        ).fetchone()
        metadata = pq.ParquetFile(path).metadata
        for g in range(metadata.num_row_groups):
            group = metadata.row_group(g)
            for c in range(group.num_columns):
                chunk = group.column(c)
                full += chunk.total_compressed_size
                if kept and kept[0] and chunk.path_in_schema in columns:
                    scanned += chunk.total_compressed_size
    return {"bytes_scanned": scanned, "bytes_full_scan": full}


def query_latencies(lake: Path) -> dict[str, dict[str, Any]]:
    from local_platform.query.engine import LocalEngine
    from local_platform.query.lint import ATHENA_DIR

    views = {p.stem: p.read_text() for p in (ATHENA_DIR / "views").glob("*.sql")}
    engine = LocalEngine(lake, threads=2)
    results: dict[str, dict[str, Any]] = {}
    try:
        for path in sorted((ATHENA_DIR / "queries").glob("*.sql")):
            timings = []
            for _ in range(4):
                started = time.perf_counter()
                rows = engine.run_file(path).num_rows
                timings.append(time.perf_counter() - started)
            results[path.stem] = {
                "rows": rows,
                "cold_seconds": round(timings[0], 3),
                "warm_seconds": round(statistics.median(timings[1:]), 3),
                **athena_scan(path.read_text(), lake, views),
            }
    finally:
        engine.close()
    return results


# --- the benchmark ----------------------------------------------------------------------------------


def _markdown(data: dict[str, Any], conversions: dict[str, dict[str, Any]], queries: dict[str, Any]) -> str:
    job, naive, duck = conversions["job"], conversions["naive"], conversions["duckdb"]
    lines = [
        f"{data['events']:,} events in {data['objects']} raw objects ({data['json_bytes'] / 2**20:,.0f} MiB of JSON, "
        f"{data['gzip_bytes'] / 2**20:,.0f} MiB gzip, "
        f"{DUPLICATE_SHARE:.1%} duplicates); Spark local[2], DuckDB 2 threads, each conversion in its own process tree.",
        "",
        f"Medians of {job['runs']} runs (min-max); each round runs the three conversions one after the other.",
        "",
        "| conversion | events/s | seconds | CPU-seconds | peak RSS (MiB, incl. JVM) | of it file-backed | rows out |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in (("Glue job (raw_to_curated)", job), ("naive Spark", naive), ("DuckDB", duck)):
        lines.append(
            f"| {name} | {r['events_per_second']:,.0f} | {r['seconds']} ({r['seconds_min']}-{r['seconds_max']}) "
            f"| {r['cpu_seconds']} | {r['peak_rss_mb']:,.0f} ({r['peak_rss_mb_min']:,}-{r['peak_rss_mb_max']:,}) "
            f"| {r['peak_file_backed_mb']:,.0f} | {r['output_rows']:,} |"
        )
    lines += [
        "",
        f"Job vs naive Spark: {naive['seconds'] / job['seconds']:.2f}x the speed; job vs DuckDB: "
        f"{job['seconds'] / duck['seconds']:.2f}x DuckDB's time. Targets: faster than naive Spark "
        f"({'met' if job['seconds'] < naive['seconds'] else 'NOT met'}), peak RSS < 3 GB in every run "
        f"({'met' if job['peak_rss_mb_max'] < 3072 else 'NOT met'}).",
        "",
        "| KPI query | rows | cold s | warm s | Athena bytes scanned | full scan | share |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, q in queries.items():
        share = q["bytes_scanned"] / q["bytes_full_scan"] if q["bytes_full_scan"] else 0
        lines.append(
            f"| {name} | {q['rows']} | {q['cold_seconds']} | {q['warm_seconds']} | "
            f"{q['bytes_scanned'] / 2**10:,.0f} KiB | {q['bytes_full_scan'] / 2**10:,.0f} KiB | {share:.2%} |"
        )
    return "\n".join(lines)


def run(events: int | None = None, runs: int = DEFAULT_RUNS) -> dict[str, Any]:
    events = events or int(os.environ.get("BENCH_LAKE_EVENTS", DEFAULT_EVENTS))
    directory = generate(events)
    data = json.loads((directory / "generated.json").read_text())
    out = DATA / f"lake-{events}-out"
    measured: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for _ in range(runs):  # rounds, so that the machine's load weighs on each conversion alike
        for kind in KINDS:
            measured[kind].append(measure(kind, directory, out / kind))
    conversions = {kind: spread(results) for kind, results in measured.items()}
    queries = query_latencies(out / "job" / "lake")
    return {
        "events": data["events"],
        "data": data,
        "conversions": conversions,
        "ratios": {
            "job_speed_vs_naive_spark": round(
                conversions["naive"]["seconds"] / conversions["job"]["seconds"], 2
            ),
            "job_time_vs_duckdb": round(conversions["job"]["seconds"] / conversions["duckdb"]["seconds"], 2),
        },
        "queries": queries,
        "markdown": _markdown(data, conversions, queries),
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["_convert"]:
        kind, directory, out = argv[1], Path(argv[2]), Path(argv[3])
        target = out / "lake" if kind == "job" else out
        result = CONVERSIONS[kind](raw_files(directory), target)
        (out / f"{kind}.json").write_text(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.lake", description=__doc__)
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS, help="rounds of the three conversions (>= 3)"
    )
    args = parser.parse_args(argv)
    from bench.__main__ import RESULTS as results_dir
    from bench.__main__ import machine, write_readme

    started = time.monotonic()
    about = machine()
    result = {
        "name": "lake",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": about,
        **run(args.events, max(1, args.runs)),
    }
    result["duration_seconds"] = round(time.monotonic() - started, 1)
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "lake.json").write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    write_readme()
    print(result["markdown"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
