"""One run of the raw -> curated job over DataFrames the caller built: shared by Glue and the local runner.

The caller decides what is new (Glue job bookmarks on AWS, the manifest
locally) and where things live; this module parses, deduplicates against the
affected partitions, compacts and writes, and returns what it did.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from glue_jobs.contract import table
from glue_jobs.raw_to_curated import transform
from glue_jobs.raw_to_curated.transform import EVENTS, REASONS, REJECTED_EVENTS

# Parquet files of about 128 MB: Athena and Spark split and prune well at
# that size, and the lake stays far from the small-file problem. Curated
# events compress to about 60 bytes a row (measured on the benchmark data).
MAX_RECORDS_PER_FILE = 2_000_000
COMPRESSION = "zstd"
# Up to this many copies to drop, the new rows drop them through a broadcast
# (8 bytes each), without a shuffle; a replay of a huge input that is already
# curated joins them the ordinary way.
BROADCAST_COPIES_MAX = 5_000_000

Partition = tuple[str, str]  # (team, event_date)


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


@dataclass(frozen=True)
class Locations:
    """Where one run reads and writes; s3:// on Glue, local directories in the local runner."""

    existing_root: str  # the curated zone to deduplicate against: <root>/<table>/team=/event_date=/
    output_root: str  # where the rewritten partitions go
    quarantine_root: str
    # "dynamic": overwrite only the partitions written (Glue, output_root == existing_root);
    # "fresh": output_root is an empty staging directory (local runner, swapped in afterwards).
    overwrite: str = "dynamic"


def configure(spark: SparkSession) -> None:
    """Session settings the job's results depend on (set on Glue and locally alike)."""
    # Event dates and timestamps are UTC whatever the machine's zone.
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    # INT64 microseconds rather than the legacy INT96: what Athena, DuckDB and pyarrow read natively.
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    # A date-time that does not match the strict RFC 3339 format is null (and
    # quarantined), never an upgrade exception about the legacy parser.
    spark.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")
    # Raw objects are small (one fan-out batch, tens of KB gzip): plan them as
    # costing 1 MB to open rather than 4 MB, so a read task takes ~128 of them.
    spark.conf.set("spark.sql.files.openCostInBytes", str(1 << 20))
    # The parsed rows are cached once and read back at most three times: the
    # cache's column encodings cost more CPU than they save (2 M events: 5 s).
    spark.conf.set("spark.sql.inMemoryColumnarStorage.compressed", "false")


def _path_exists(spark: SparkSession, path: str) -> bool:
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return bool(fs.exists(hadoop_path))


def partition_path(root: str, table_name: str, partition: Partition) -> str:
    team, event_date = partition
    return f"{root.rstrip('/')}/{table_name}/team={team}/event_date={event_date}/"


def read_partitions(
    spark: SparkSession, root: str, table_name: str, partitions: list[Partition]
) -> DataFrame | None:
    """The curated rows of the given partitions (those that exist), with the contract's schema."""
    paths = [
        p for p in (partition_path(root, table_name, part) for part in partitions) if _path_exists(spark, p)
    ]
    if not paths:
        return None
    return (
        spark.read.schema(table(table_name).spark_ddl())
        .option("basePath", f"{root.rstrip('/')}/{table_name}/")
        .parquet(*paths)
    )


def _counts(df: DataFrame) -> dict[Partition, int]:
    return {
        (r["team"], r["event_date"]): int(r["count"])
        for r in df.groupBy("team", "event_date").count().collect()
    }


def run_table(
    spark: SparkSession, table_name: str, parsed: DataFrame, locations: Locations, run_id: str
) -> TableRun:
    """Quarantine the bad rows, then rewrite every partition the good rows touch, deduplicated and compacted."""
    result = TableRun()
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
        affected = sorted(
            {
                (r["team"], r["event_date"])
                for r in summary
                if r["event_date"] is not None and r["rows"] > r["bad"]
            }
        )
        if result.quarantined:
            (
                transform.quarantine_rows(parsed, run_id)
                .coalesce(1)
                .write.mode("append")
                .partitionBy("team", "dt")
                .option("compression", "gzip")
                .json(f"{locations.quarantine_root.rstrip('/')}/events/")
            )
        if not affected:
            return result
        existing = read_partitions(spark, locations.existing_root, table_name, affected)
        if existing is not None:
            result.before = _counts(existing)
            run_copies = copies
            copies = run_copies.unionByName(
                transform.copies_of_curated(table_name, new_rows, existing)
            ).persist(StorageLevel.MEMORY_AND_DISK)
            copy_count = copies.count()
            run_copies.unpersist()
        merged = transform.merge(
            table_name, new_rows, existing, copies, broadcast_copies=copy_count <= BROADCAST_COPIES_MAX
        )
        (
            transform.compact(merged, table_name)
            .write.mode("overwrite")
            .option("partitionOverwriteMode", "dynamic" if locations.overwrite == "dynamic" else "static")
            .option("maxRecordsPerFile", MAX_RECORDS_PER_FILE)
            .option("compression", COMPRESSION)
            .partitionBy(*table(table_name).partition_names)
            .parquet(f"{locations.output_root.rstrip('/')}/{table_name}/")
        )
        written = read_partitions(spark, locations.output_root, table_name, affected)
        result.after = _counts(written) if written is not None else {}
        return result
    finally:
        copies.unpersist()
        parsed.unpersist()


def run(
    spark: SparkSession,
    raw_lines: DataFrame | None,
    rejected_documents: DataFrame | None,
    locations: Locations,
    run_id: str,
) -> dict[str, TableRun]:
    """Curate the new raw lines into `events` and the new rejected documents into `rejected_events`."""
    configure(spark)
    results: dict[str, TableRun] = {}
    if raw_lines is not None:
        results[EVENTS] = run_table(spark, EVENTS, transform.parse_events(raw_lines), locations, run_id)
    if rejected_documents is not None:
        results[REJECTED_EVENTS] = run_table(
            spark, REJECTED_EVENTS, transform.parse_rejected(rejected_documents), locations, run_id
        )
    return results


def read_raw_lines(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Raw zone objects (gzip JSON lines) as `value` + `source_file` rows (Spark decompresses by extension)."""
    return spark.read.text(paths).select(F.col("value"), F.input_file_name().alias("source_file"))


def read_documents(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Rejected zone objects, one row per whole JSON document (pretty-printed or not)."""
    return spark.read.text(paths, wholetext=True).select(
        F.col("value"), F.input_file_name().alias("source_file")
    )
