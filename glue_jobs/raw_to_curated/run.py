"""One run of the raw -> curated job over DataFrames the caller built: shared by Glue and the local runner.

The caller decides what is new (Glue job bookmarks on AWS, the manifest
locally) and where things live (Lake); this module parses, deduplicates
against everything curated (the key index), writes new versions of the
affected partitions, compacted, then switches them in atomically
(glue_jobs.raw_to_curated.versions), and returns what it did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from glue_jobs.contract import table
from glue_jobs.raw_to_curated import transform, versions
from glue_jobs.raw_to_curated.transform import EVENTS, REASONS, REJECTED_EVENTS, ROW_ID

# Parquet files of about 128 MB: Athena and Spark split and prune well at
# that size, and the lake stays far from the small-file problem. Curated
# events compress to about 60 bytes a row (measured on the benchmark data).
MAX_RECORDS_PER_FILE = 2_000_000
COMPRESSION = "zstd"
# Up to this many copies to drop, the new rows drop them through a broadcast
# (8 bytes each), without a shuffle; a replay of a huge input that is already
# curated joins them the ordinary way.
BROADCAST_COPIES_MAX = 5_000_000

Partition = versions.Partition
CURATED_TABLES = (EVENTS, REJECTED_EVENTS)


@dataclass
class TableRun:
    """What one run did to one curated table."""

    input_rows: int = 0
    quarantined: int = 0
    # Rows each rewritten partition held before and holds after the run.
    before: dict[Partition, int] = field(default_factory=dict)
    after: dict[Partition, int] = field(default_factory=dict)

    @property
    def valid_rows(self) -> int:
        return self.input_rows - self.quarantined

    @property
    def added(self) -> int:
        return sum(self.after.values()) - sum(self.before.values())

    @property
    def duplicates(self) -> int:
        """Valid input rows that were already curated or repeated within the run."""
        return self.valid_rows - self.added


def _nothing(*_args: object) -> None:
    return None


@dataclass(frozen=True)
class Lake:
    """Where one run reads and writes: the curated bucket as an object store (manifests, state) and as
    Spark paths. On Glue both roots are s3://<bucket>; the local runner reads a mirror of the bucket and
    writes to a staging directory, which `publish` uploads (the keys are the same)."""

    store: versions.ObjectStore
    read_root: str
    write_root: str
    # Makes the files Spark wrote under these key prefixes (in write_root) exist in the store.
    publish: Callable[[list[str]], None] = _nothing
    # Called once every file is written, just before the commit: where a run can be made to die
    # between write and switch (the fault-injection suite).
    before_switch: Callable[[], None] = _nothing

    def read_path(self, key: str) -> str:
        return f"{self.read_root.rstrip('/')}/{key}"

    def write_path(self, key: str) -> str:
        return f"{self.write_root.rstrip('/')}/{key}"


def configure(spark: SparkSession) -> None:
    """Session settings the job's results depend on (set on Glue and locally alike)."""
    # Event dates and timestamps are UTC whatever the machine's zone.
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    # Milliseconds: what Athena reads (its Hive tables are timestamp(3)); INT64 rather than the legacy
    # INT96, which Athena, DuckDB and pyarrow all read natively.
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MILLIS")
    # A date-time that does not match the strict RFC 3339 format is null (and
    # quarantined), never an upgrade exception about the legacy parser.
    spark.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")
    # Raw objects are small (one fan-out batch, tens of KB gzip): plan them as
    # costing 1 MB to open rather than 4 MB, so a read task takes ~128 of them.
    spark.conf.set("spark.sql.files.openCostInBytes", str(1 << 20))
    # The parsed rows are cached once and read back at most three times: the
    # cache's column encodings cost more CPU than they save (2 M events: 5 s).
    spark.conf.set("spark.sql.inMemoryColumnarStorage.compressed", "false")


def _counts(df: DataFrame) -> dict[Partition, int]:
    return {
        (r["team"], r["event_date"]): int(r["count"])
        for r in df.groupBy("team", "event_date").count().collect()
    }


def read_curated(
    spark: SparkSession, lake: Lake, table_name: str, partitions: list[Partition]
) -> tuple[DataFrame | None, dict[str, list[str]]]:
    """The rows the partitions' manifests name (with their partition columns), and each manifest's files."""
    contract = table(table_name)
    frames, manifests = [], {}
    for partition in partitions:
        key = versions.manifest_key(table_name, partition)
        locations = versions.read_manifest(lake.store, key)
        manifests[key] = locations
        if not locations:
            continue
        team, event_date = partition
        frames.append(
            spark.read.schema(contract.spark_ddl(with_partitions=False))
            .parquet(*(lake.read_path(versions.key_of(loc)) for loc in locations))
            .withColumns({"team": F.lit(team), "event_date": F.lit(event_date)})
        )
    if not frames:
        return None, manifests
    return reduce(DataFrame.unionByName, frames), manifests


def read_index(spark: SparkSession, lake: Lake, table_name: str, segments: list[str]) -> DataFrame | None:
    """Every key already curated in the table (the key index), with the partition it lives in."""
    if not segments:
        return None
    return spark.read.parquet(*(lake.read_path(segment) for segment in segments))


@dataclass
class TableOutput:
    """What a run wrote for one table, to be switched in."""

    result: TableRun
    manifests: dict[str, list[str]] = field(default_factory=dict)  # the affected partitions' current files
    index_segment: str = ""


def _quarantine(parsed: DataFrame, lake: Lake, run_id: str) -> None:
    (
        transform.quarantine_rows(parsed, run_id)
        .coalesce(1)
        .write.mode("append")
        .partitionBy("team", "dt")
        .option("compression", "gzip")
        .json(lake.write_path(f"{versions.staging_prefix(run_id)}quarantine/events/"))
    )


def run_table(
    spark: SparkSession, table_name: str, parsed: DataFrame, lake: Lake, *, run_id: str, head: versions.Head
) -> TableOutput:
    """Quarantine the bad rows, then write a new version of every partition the good rows touch (what it
    held plus the new rows that are not copies of a curated event, compacted) and the run's index segment."""
    output = TableOutput(TableRun())
    result = output.result
    # Parsing (gunzip + JSON + validation) is the expensive step and the rows
    # are read again (summary, quarantine, merge): parse once, spill to disk.
    # The pass that fills the cache also finds the copies within the run.
    parsed = transform.with_row_ids(parsed).persist(StorageLevel.DISK_ONLY)
    new_rows = transform.curated_rows(parsed)
    copies = transform.copies_within_run(table_name, new_rows).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        copy_count = copies.count()
        summary = (
            parsed.groupBy("team", "event_date")
            .agg(F.count(F.lit(1)).alias("rows"), F.sum((F.size(REASONS) > 0).cast("int")).alias("bad"))
            .collect()
        )
        result.input_rows = sum(int(r["rows"]) for r in summary)
        result.quarantined = sum(int(r["bad"]) for r in summary)
        if result.quarantined:
            _quarantine(parsed, lake, run_id)
        index = read_index(spark, lake, table_name, head.index.get(table_name, []))
        if index is not None:
            # A copy of an event curated in any partition, whatever partition this copy claims.
            run_copies = copies
            copies = run_copies.unionByName(transform.copies_of_curated(table_name, new_rows, index)).persist(
                StorageLevel.MEMORY_AND_DISK
            )
            copy_count = copies.count()
            run_copies.unpersist()
        drop = F.broadcast(copies) if copy_count <= BROADCAST_COPIES_MAX else copies
        kept = new_rows.join(drop, ROW_ID, "left_anti")
        affected = sorted(
            (r["team"], r["event_date"]) for r in kept.select("team", "event_date").distinct().collect()
        )
        if not affected:
            return output
        existing, output.manifests = read_curated(spark, lake, table_name, affected)
        if existing is not None:
            result.before = _counts(existing)
        merged = transform.merge(table_name, kept, existing)
        version = versions.version_prefix(table_name, run_id)
        (
            transform.compact(merged, table_name)
            .write.mode("overwrite")
            .option("maxRecordsPerFile", MAX_RECORDS_PER_FILE)
            .option("compression", COMPRESSION)
            .partitionBy(*table(table_name).partition_names)
            .parquet(lake.write_path(version))
        )
        written = spark.read.schema(table(table_name).spark_ddl()).parquet(lake.write_path(version))
        result.after = _counts(written)
        for partition, before in result.before.items():
            if result.after.get(partition, 0) < before:
                raise RuntimeError(
                    f"{table_name} {partition}: {result.after.get(partition, 0)} rows written, {before} curated "
                    "before: rows would be lost"
                )
        output.index_segment = _write_index(spark, lake, table_name, kept, head=head, run_id=run_id)
        return output
    finally:
        copies.unpersist()
        parsed.unpersist()


def _write_index(
    spark: SparkSession, lake: Lake, table_name: str, kept: DataFrame, *, head: versions.Head, run_id: str
) -> str:
    """The run's key-index segment: the keys it curates and their partitions; every segment so far merged
    into it when they have become too many."""
    contract = table(table_name)
    keys = kept.select(
        *contract.unique_key, *(p for p in contract.partition_names if p not in contract.unique_key)
    )
    segments = head.index.get(table_name, [])
    if len(segments) + 1 > versions.MAX_INDEX_SEGMENTS:
        previous = read_index(spark, lake, table_name, segments)
        assert previous is not None
        keys = previous.unionByName(keys)
    segment = versions.index_prefix(table_name, run_id)
    keys.coalesce(1).write.mode("overwrite").option("compression", COMPRESSION).parquet(
        lake.write_path(segment)
    )
    return segment


def _switch(lake: Lake, outputs: dict[str, TableOutput], head: versions.Head, run_id: str) -> None:
    """Commit what the run wrote, then switch it in (versions.commit, versions.apply)."""
    store = lake.store
    manifests: dict[str, list[str]] = {}
    superseded: list[str] = []
    index = {name: list(segments) for name, segments in head.index.items()}
    live = {name: dict(runs) for name, runs in head.live.items()}
    for name, output in outputs.items():
        if not output.index_segment:
            continue
        table_live = live.setdefault(name, {})
        version = versions.version_prefix(name, run_id)
        files = [k for k in store.list(version) if k.endswith(".parquet")]
        for partition in output.result.after:
            key = versions.manifest_key(name, partition)
            team, event_date = partition
            manifests[key] = [
                versions.uri(store.bucket, k) for k in files if f"/team={team}/event_date={event_date}/" in k
            ]
            for location in output.manifests.get(key, []):
                superseded.append(versions.key_of(location))
                old_run = versions.run_of(location)
                table_live[old_run] = table_live.get(old_run, 1) - 1
        table_live[run_id] = len(output.result.after)
        live[name] = {r: n for r, n in table_live.items() if n > 0}
        merged = len(index.get(name, [])) + 1 > versions.MAX_INDEX_SEGMENTS
        index[name] = [output.index_segment] if merged else [*index.get(name, []), output.index_segment]
    staged = versions.staging_prefix(run_id) + "quarantine/"
    quarantine = [
        (key, f"quarantine/{key[len(staged) :].rsplit('/', 1)[0]}/part-{run_id}-{i:04d}.json.gz")
        for i, key in enumerate(sorted(k for k in store.list(staged) if k.endswith(".json.gz")))
    ]
    pending = versions.Commit(
        run_id=run_id,
        base_run_id=head.run_id,
        manifests=manifests,
        quarantine=quarantine,
        head=versions.Head(run_id=run_id, index=index, live=live, superseded=sorted(superseded)),
    )
    lake.before_switch()
    versions.commit(store, pending)
    versions.apply(store, pending)


def run(
    spark: SparkSession,
    raw_lines: DataFrame | None,
    rejected_documents: DataFrame | None,
    lake: Lake,
    run_id: str,
) -> dict[str, TableRun]:
    """Curate the new raw lines into `events` and the new rejected documents into `rejected_events`,
    atomically: what readers see changes at the switch, all at once per partition, or not at all."""
    configure(spark)
    head = versions.recover(lake.store, CURATED_TABLES, keep_run=run_id)
    outputs: dict[str, TableOutput] = {}
    if raw_lines is not None:
        outputs[EVENTS] = run_table(
            spark, EVENTS, transform.parse_events(raw_lines), lake, run_id=run_id, head=head
        )
    if rejected_documents is not None:
        outputs[REJECTED_EVENTS] = run_table(
            spark,
            REJECTED_EVENTS,
            transform.parse_rejected(rejected_documents),
            lake,
            run_id=run_id,
            head=head,
        )
    lake.publish(
        [
            *(versions.version_prefix(name, run_id) for name in outputs),
            *(o.index_segment for o in outputs.values() if o.index_segment),
            versions.staging_prefix(run_id),
        ]
    )
    _switch(lake, outputs, head, run_id)
    return {name: output.result for name, output in outputs.items()}


def read_raw_lines(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Raw zone objects (gzip JSON lines) as `value` + `source_file` rows (Spark decompresses by extension)."""
    return spark.read.text(paths).select(F.col("value"), F.input_file_name().alias("source_file"))


def read_documents(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Rejected zone objects, one row per whole JSON document (pretty-printed or not)."""
    return spark.read.text(paths, wholetext=True).select(
        F.col("value"), F.input_file_name().alias("source_file")
    )
