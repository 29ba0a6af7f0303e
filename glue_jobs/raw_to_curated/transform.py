"""Raw zone -> curated tables: pure PySpark, the same code on AWS Glue and in Spark local mode.

Nothing here reads or writes storage: the entry points (job.py on Glue,
local_platform/lake on a laptop) hand in DataFrames of raw lines and receive
DataFrames to write. Schemas are never inferred:

* the raw line is parsed with a schema derived from the stored-event model
  (platform_core.envelope.Event), and validated against that model's JSON
  Schema (required fields, patterns, lengths, uuid and date-time formats);
* the curated columns, their types and where each comes from are read from
  the table contracts (athena/tables/*.json, see glue_jobs.contract).

A line that cannot be curated is kept, with every reason, for the quarantine.
"""

from __future__ import annotations

import operator
from functools import cache, reduce
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from glue_jobs.contract import TableContract, table
from platform_core.envelope import Event
from platform_core.naming import ZONE_RAW, ZONE_REJECTED

EVENTS = "events"
REJECTED_EVENTS = "rejected_events"

# Columns of the input DataFrames the entry points build: one row per raw
# line (`value`) or per rejected document, and the object it came from.
VALUE = "value"
SOURCE_FILE = "source_file"

REASONS = "_reasons"
# A hash of the raw line: the last tiebreak between copies of one event (the
# line itself is kept only on rows that go to the quarantine, to keep the
# rows the job persists and shuffles small).
LINE_HASH = "_line_hash"
# Identifies a parsed row within a run (see with_row_ids).
ROW_ID = "_row"
_CORRUPT = "_corrupt_record"

# RFC 3339 as the envelope requires it (date, time and an explicit offset),
# parsed strictly: Spark's default timestamp cast accepts looser forms such as
# a bare date. One parse both validates and converts (no regex per row).
RFC3339_FORMAT = "yyyy-MM-dd'T'HH:mm:ss[.SSSSSSSSS]XXX"
UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

# Raw and rejected object keys are <zone>/team=<team>/dt=<date>/hour=<hour>/<file>
# (naming.raw_key, naming.rejected_key); the path is file:/... locally and s3://... on AWS.


@cache
def envelope_rules() -> dict[str, Any]:
    """The stored envelope's JSON Schema: the one definition of a valid raw line."""
    return Event.model_json_schema()


def envelope_schema() -> T.StructType:
    """Every envelope field read as a string (the payload as its JSON text), plus the corrupt-record column.

    Reading strings and checking them ourselves, rather than letting Spark
    coerce types, is what lets a bad field become a quarantine reason instead
    of a silent null.
    """
    fields = [T.StructField(name, T.StringType()) for name in envelope_rules()["properties"]]
    return T.StructType([*fields, T.StructField(_CORRUPT, T.StringType())])


Check = tuple[Column, str]  # (true when the row fails it, the reason)


def _timestamp_column(name: str) -> str:
    return f"_ts_{name}"


def _envelope_checks(env: Column) -> list[Check]:
    """One check per rule of the envelope's JSON Schema; a date-time is parsed once, in `_ts_<field>`."""
    rules = envelope_rules()
    required = set(rules.get("required", []))
    checks: list[Check] = []
    for name, spec in rules["properties"].items():
        value = env[name]
        if name in required:
            checks.append((value.isNull(), f"{name}: missing"))
        failures: list[Check] = []
        if spec.get("type") == "object":
            # Spark hands a JSON object to a string field as its JSON text.
            failures.append((~value.startswith("{"), "is not a JSON object"))
        if "pattern" in spec:
            failures.append((~value.rlike(spec["pattern"]), f"does not match {spec['pattern']}"))
        if "minLength" in spec:
            failures.append((F.char_length(value) < spec["minLength"], f"shorter than {spec['minLength']}"))
        if "maxLength" in spec:
            failures.append((F.char_length(value) > spec["maxLength"], f"longer than {spec['maxLength']}"))
        if spec.get("format") == "uuid":
            failures.append((~value.rlike(UUID), "is not a UUID"))
        if spec.get("format") == "date-time":
            failures.append((F.col(_timestamp_column(name)).isNull(), "is not an RFC 3339 date-time"))
        checks += [(value.isNotNull() & failed, f"{name}: {why}") for failed, why in failures]
    return checks


def _date_time_fields() -> list[str]:
    return [n for n, spec in envelope_rules()["properties"].items() if spec.get("format") == "date-time"]


def _reasons(checks: list[Check]) -> Column:
    """The reasons of the failed checks, as an array (empty when the row passes them all).

    A valid row, nearly every row, costs one compiled boolean expression; the
    array of reasons (built by filter(), which Spark evaluates without code
    generation) is only made for the rows that fail something.
    """
    failed_any = F.coalesce(reduce(operator.or_, (failed for failed, _ in checks)), F.lit(True))
    reasons = F.filter(
        F.array(*(F.when(failed, F.lit(why)) for failed, why in checks)), lambda r: r.isNotNull()
    )
    return F.when(failed_any, reasons).otherwise(F.array().cast("array<string>"))


def _payload_schema(contract: TableContract) -> T.StructType:
    """The payload fields the contract's typed columns come from, as nested strings (cast afterwards)."""
    tree: dict[str, Any] = {"lines": "array"}
    for column in contract.columns:
        for path in column.sources:
            if path in ("envelope", "derived"):
                continue
            node = tree
            *parents, leaf = path.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = "string"

    def build(node: dict[str, Any]) -> T.StructType:
        fields = []
        for name, child in node.items():
            if child == "string":
                fields.append(T.StructField(name, T.StringType()))
            elif child == "array":
                fields.append(T.StructField(name, T.ArrayType(T.StringType())))
            else:
                fields.append(T.StructField(name, build(child)))
        return T.StructType(fields)

    return build(tree)


def _from_sources(record: Column, sources: tuple[str, ...]) -> Column:
    values = []
    for path in sources:
        value = record
        for part in path.split("."):
            value = value[part]
        values.append(value)
    return F.coalesce(*values) if len(values) > 1 else values[0]


def _source_columns(path: Column) -> dict[str, Column]:
    """The raw object's key (its last five path segments) and the team and date it names.

    String functions rather than regexes: they run on every row.
    """
    key = F.substring_index(path, "/", -5)
    key = F.when(
        key.startswith(f"{ZONE_RAW}/team=") | key.startswith(f"{ZONE_REJECTED}/team="), key
    ).otherwise("")
    return {
        "raw_object": key,
        "_key_team": F.substring_index(F.substring_index(key, "/", 2), "=", -1),
        "_key_dt": F.substring_index(F.substring_index(key, "/", 3), "=", -1),
    }


def parse_events(raw_lines: DataFrame) -> DataFrame:
    """Raw lines (`value`, `source_file`) -> the events contract's columns, partitions and `_reasons`.

    An empty `_reasons` array means the row is curated; otherwise it is
    quarantined. Partition columns are null for rows that cannot be placed.
    """
    contract = table(EVENTS)
    env = F.from_json(
        F.col(VALUE),
        envelope_schema(),
        {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": _CORRUPT},
    )
    # Blank lines are skipped (compared, not measured: length() would count a whole line's characters).
    df = raw_lines.where(F.trim(F.col(VALUE)) != F.lit("")).select(
        F.col(VALUE), env.alias("env"), *(c.alias(n) for n, c in _source_columns(F.col(SOURCE_FILE)).items())
    )
    # Spark parses a JSON array or scalar line into a row of nulls without
    # flagging it corrupt. Both flags are columns (computed once per row), not
    # expressions repeated in every reason below.
    # The timestamps are parsed once here and used by the checks, the columns and event_date.
    df = df.select(
        "*",
        (F.col(f"env.{_CORRUPT}").isNotNull() | F.col("env").isNull()).alias("_not_json"),
        (~F.ltrim(F.col(VALUE)).startswith("{")).alias("_not_object"),
        *(
            F.to_timestamp(F.col(f"env.{name}"), RFC3339_FORMAT).alias(_timestamp_column(name))
            for name in _date_time_fields()
        ),
    )
    not_json, not_an_object = F.col("_not_json"), F.col("_not_object")
    # A line that is not a JSON object has that one reason; the envelope's
    # field-level reasons only make sense for an object.
    field_checks = [
        *_envelope_checks(F.col("env")),
        (
            F.col("env.team").isNotNull() & (F.col("env.team") != F.col("_key_team")),
            "team: differs from the team of the raw object it was stored in",
        ),
    ]
    checks = [
        (not_json, "line is not valid JSON"),
        (~not_json & not_an_object, "line is not a JSON object"),
        *((~not_json & ~not_an_object & failed, why) for failed, why in field_checks),
    ]
    payload = F.from_json(F.col("env.payload"), _payload_schema(contract))
    derived: dict[str, Column] = {
        "domain": F.substring_index(F.col("env.event_type"), ".", 1),
        "line_count": F.size(F.col("p.lines")),
        "payload_json": F.col("env.payload"),
        "event_bytes": F.octet_length(F.col(VALUE)),
        "raw_object": F.col("raw_object"),
    }
    df = df.select("*", payload.alias("p"), _reasons(checks).alias(REASONS))
    columns = []
    for column in contract.columns:
        if column.sources == ("envelope",) and column.type == "timestamp":
            value = F.col(_timestamp_column(column.name))
        elif column.sources == ("envelope",):
            value = F.col(f"env.{column.name}")
        elif column.sources == ("derived",):
            value = derived[column.name]
        else:
            value = _from_sources(F.col("p"), column.sources)
        if column.name == "line_count":
            # size() of a missing array is -1, not "no lines".
            value = F.when(F.col("p.lines").isNotNull(), value)
        columns.append(value.cast(column.spark_type).alias(column.name))
    invalid = F.size(F.col(REASONS)) > 0
    return df.select(
        *columns,
        F.col("env.team").alias("team"),
        F.when(~invalid, F.date_format(F.col(_timestamp_column("occurred_at")), "yyyy-MM-dd")).alias(
            "event_date"
        ),
        F.col(REASONS),
        F.when(invalid, F.col(VALUE)).alias(VALUE),
        F.xxhash64(F.col(VALUE)).alias(LINE_HASH),
        F.col("_key_team"),
        F.col("_key_dt"),
    )


def _rejected_document_schema() -> T.StructType:
    contract = table(REJECTED_EVENTS)
    event_fields = {"index", "event_id", "event_type", "reasons", "raw"}
    top = [
        T.StructField(c.sources[0], T.StringType())
        for c in contract.columns
        if c.sources and c.sources[0] not in event_fields | {"envelope", "derived"}
    ]
    events = T.StructType([T.StructField(name, T.StringType()) for name in sorted(event_fields)])
    return T.StructType(
        [
            *top,
            T.StructField("team", T.StringType()),
            T.StructField("events", T.ArrayType(events)),
            T.StructField(_CORRUPT, T.StringType()),
        ]
    )


def parse_rejected(documents: DataFrame) -> DataFrame:
    """Rejected-zone documents (`value` = the whole JSON document, `source_file`) -> one row per rejected event.

    A document that cannot be read becomes one row with reasons (quarantined).
    """
    contract = table(REJECTED_EVENTS)
    doc = F.from_json(
        F.col(VALUE),
        _rejected_document_schema(),
        {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": _CORRUPT},
    )
    df = documents.select(
        F.col(VALUE), doc.alias("doc"), *(c.alias(n) for n, c in _source_columns(F.col(SOURCE_FILE)).items())
    )
    unreadable = (
        F.col(f"doc.{_CORRUPT}").isNotNull()
        | F.col("doc.events").isNull()
        | F.col("doc.request_id").isNull()
        | F.to_timestamp(F.col("doc.received_at")).isNull()
    )
    # explode_outer keeps an unreadable document as one (quarantined) row.
    df = df.select(
        "*",
        F.explode_outer(F.when(~unreadable, F.col("doc.events"))).alias("e"),
        F.when(unreadable, F.array(F.lit("rejected document is not valid JSON of the rejected-zone format")))
        .otherwise(F.array())
        .alias(REASONS),
    )
    reasons = F.from_json(F.col("e.reasons"), T.ArrayType(T.MapType(T.StringType(), T.StringType())))
    per_event = {"index", "event_id", "event_type", "reasons", "raw"}
    derived: dict[str, Column] = {
        "reason_count": F.size(reasons),
        "first_reason": F.concat_ws(": ", reasons[0]["path"], reasons[0]["message"]),
        "raw_object": F.col("raw_object"),
    }
    columns = []
    for column in contract.columns:
        source = column.sources[0]
        if source == "derived":
            value = derived[column.name]
        elif source in per_event:
            value = F.col(f"e.{source}")
        else:
            value = F.col(f"doc.{source}")
        if column.type == "timestamp":
            value = F.to_timestamp(value)
        columns.append(value.cast(column.spark_type).alias(column.name))
    team = F.coalesce(F.col("doc.team"), F.col("_key_team"))
    return df.select(
        *columns,
        team.alias("team"),
        F.when(
            F.size(F.col(REASONS)) == 0, F.date_format(F.to_timestamp(F.col("doc.received_at")), "yyyy-MM-dd")
        ).alias("event_date"),
        F.col(REASONS),
        F.when(F.size(F.col(REASONS)) > 0, F.col(VALUE)).alias(VALUE),
        F.xxhash64(F.col(VALUE)).alias(LINE_HASH),
        F.col("_key_team"),
        F.col("_key_dt"),
    )


def curated_rows(parsed: DataFrame) -> DataFrame:
    """The rows of a parsed DataFrame that are curated (no reasons)."""
    return parsed.where(F.size(F.col(REASONS)) == 0)


def quarantine_rows(parsed: DataFrame, run_id: str) -> DataFrame:
    """The rows that are not curated, in the quarantined_events contract's shape."""
    quarantine = table("quarantined_events")
    available = {
        "raw_object": F.col("raw_object"),
        "event_id": F.col("event_id") if "event_id" in parsed.columns else F.lit(None),
        "event_type": F.col("event_type") if "event_type" in parsed.columns else F.lit(None),
        "reasons": F.col(REASONS),
        "raw_line": F.col(VALUE),
        "run_id": F.lit(run_id),
    }
    return parsed.where(F.size(F.col(REASONS)) > 0).select(
        *(available[c.name].cast(c.spark_type).alias(c.name) for c in quarantine.columns),
        F.col("_key_team").alias("team"),
        F.col("_key_dt").alias("dt"),
    )


# Within a run, the first copy of a duplicate wins: earliest received, then
# the raw object, then the line's hash (then the row id, between
# byte-identical copies), so a rerun keeps the same row.
_TIEBREAK: dict[str, tuple[str, ...]] = {
    EVENTS: ("received_at", "raw_object", LINE_HASH),
    REJECTED_EVENTS: ("raw_object", LINE_HASH),
}


def with_row_ids(parsed: DataFrame) -> DataFrame:
    """Parsed rows with a ROW_ID each.

    Assigned straight after the scan and parse, before any shuffle: the id is
    the input partition's index and the row's position in it, so a partition
    Spark recomputes (a lost cache block) gets the same ids again.
    """
    return parsed.withColumn(ROW_ID, F.monotonically_increasing_id())


def copies_within_run(table_name: str, new_rows: DataFrame) -> DataFrame:
    """The ROW_ID of every new row preceded by an earlier copy of its event in the run (_TIEBREAK order).

    Works on the unique key and the tiebreak columns only, so the wide rows
    are not shuffled to be deduplicated: the one shuffle they go through is
    compact()'s.
    """
    contract = table(table_name)
    tiebreak = _TIEBREAK[table_name]
    candidates = new_rows.select(*contract.unique_key, *tiebreak, ROW_ID)
    order = [*(F.col(c).asc_nulls_last() for c in tiebreak), F.col(ROW_ID)]
    window = Window.partitionBy(*contract.unique_key).orderBy(*order)
    ranked = candidates.withColumn("_rank", F.row_number().over(window))
    return ranked.where(F.col("_rank") > 1).select(ROW_ID)


def copies_of_curated(table_name: str, new_rows: DataFrame, index: DataFrame) -> DataFrame:
    """The ROW_ID of every new row whose event is already curated (in the key index: any partition): the
    curated row always wins, so reruns and late duplicates never change it, whatever date they claim."""
    key = list(table(table_name).unique_key)
    return new_rows.select(*key, ROW_ID).join(index.select(*key), key, "left_semi").select(ROW_ID)


def merge(table_name: str, kept: DataFrame, existing: DataFrame | None) -> DataFrame:
    """Every row the affected partitions hold after the run: what they held, plus the new rows kept (the
    new rows less their copies, see copies_within_run and copies_of_curated)."""
    contract = table(table_name)
    columns = contract.column_names + contract.partition_names
    kept = kept.select(*columns)
    return kept if existing is None else existing.select(*columns).unionByName(kept)


def compact(df: DataFrame, table_name: str) -> DataFrame:
    """One task per output partition, so each partition is written as one file (or a few very large ones).

    Not sorted within the partition: at 2 M events sorting by event type and
    time made the files 10 % smaller but the write 50 % slower, and a
    partition's file is a single row group at this scale, so its min/max
    statistics could not prune anything inside it anyway (bench/lake.py).
    """
    return df.repartition(*table(table_name).partition_names)
