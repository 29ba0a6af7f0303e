"""Raw zone -> curated tables: pure PySpark, the same code on AWS Glue and in Spark local mode.

Nothing here reads or writes storage: the entry points (job.py on Glue,
local_platform/lake on a laptop) hand in DataFrames of raw lines and receive
DataFrames to write. Schemas are never inferred:

* the raw line is parsed with a schema derived from the stored-event model
  (lambdas.shared.envelope.Event), and validated against that model's JSON
  Schema (required fields, patterns, lengths, uuid and date-time formats);
* the curated columns, their types and where each comes from are read from
  the table contracts (athena/tables/*.json, see glue_jobs.contract).

A line that cannot be curated is kept, with every reason, for the quarantine.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from glue_jobs.contract import TableContract, table
from lambdas.shared.envelope import Event

EVENTS = "events"
REJECTED_EVENTS = "rejected_events"

# Columns of the input DataFrames the entry points build: one row per raw
# line (`value`) or per rejected document, and the object it came from.
VALUE = "value"
SOURCE_FILE = "source_file"

REASONS = "_reasons"
_CORRUPT = "_corrupt_record"
_PRIORITY = "_priority"

# RFC 3339 as the envelope requires it (date, time and an explicit offset);
# Spark's own timestamp cast accepts looser forms such as a bare date.
RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

# Raw and rejected object keys carry the producing team (naming.raw_key,
# naming.rejected_key); the path is file:/... locally and s3://... on AWS.
_OBJECT_KEY = r"((?:raw|rejected)/team=[^/]+/dt=[^/]+/hour=[^/]+/[^/]+)$"
_KEY_TEAM = r"/team=([^/]+)/"
_KEY_DT = r"/dt=([^/]+)/"


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


def _envelope_reasons(env: Column) -> list[Column]:
    rules = envelope_rules()
    required = set(rules.get("required", []))
    reasons: list[Column] = []
    for name, spec in rules["properties"].items():
        value = env[name]
        if name in required:
            reasons.append(F.when(value.isNull(), F.lit(f"{name}: missing")))
        checks: list[tuple[Column, str]] = []
        if spec.get("type") == "object":
            # Spark hands a JSON object to a string field as its JSON text.
            checks.append((~value.startswith("{"), "is not a JSON object"))
        if "pattern" in spec:
            checks.append((~value.rlike(spec["pattern"]), f"does not match {spec['pattern']}"))
        if "minLength" in spec:
            checks.append((F.char_length(value) < spec["minLength"], f"shorter than {spec['minLength']}"))
        if "maxLength" in spec:
            checks.append((F.char_length(value) > spec["maxLength"], f"longer than {spec['maxLength']}"))
        if spec.get("format") == "uuid":
            checks.append((~value.rlike(UUID), "is not a UUID"))
        if spec.get("format") == "date-time":
            checks.append(
                (~value.rlike(RFC3339) | F.to_timestamp(value).isNull(), "is not an RFC 3339 date-time")
            )
        reasons += [F.when(value.isNotNull() & failed, F.lit(f"{name}: {why}")) for failed, why in checks]
    return reasons


def _compact(reasons: list[Column], more: Column | None = None) -> Column:
    """The non-null reasons as an array (`more`: an array of further, possibly null, reasons)."""
    array = F.array(*reasons)
    if more is not None:
        array = F.concat(array, F.coalesce(more, F.array().cast("array<string>")))
    return F.filter(array, lambda r: r.isNotNull())


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
    key = F.regexp_extract(path, _OBJECT_KEY, 1)
    return {
        "raw_object": key,
        "_key_team": F.regexp_extract(key, _KEY_TEAM, 1),
        "_key_dt": F.regexp_extract(key, _KEY_DT, 1),
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
    df = raw_lines.where(F.length(F.trim(F.col(VALUE))) > 0).select(
        F.col(VALUE), env.alias("env"), *(c.alias(n) for n, c in _source_columns(F.col(SOURCE_FILE)).items())
    )
    # Spark parses a JSON array or scalar line into a row of nulls without
    # flagging it corrupt. Both flags are columns (computed once per row), not
    # expressions repeated in every reason below.
    df = df.select(
        "*",
        (F.col(f"env.{_CORRUPT}").isNotNull() | F.col("env").isNull()).alias("_not_json"),
        (~F.ltrim(F.col(VALUE)).startswith("{")).alias("_not_object"),
    )
    not_json, not_an_object = F.col("_not_json"), F.col("_not_object")
    # A line that is not a JSON object has that one reason; the envelope's
    # field-level reasons only make sense for an object.
    field_reasons = [
        *_envelope_reasons(F.col("env")),
        F.when(
            F.col("env.team").isNotNull() & (F.col("env.team") != F.col("_key_team")),
            F.lit("team: differs from the team of the raw object it was stored in"),
        ),
    ]
    line_reasons = [
        F.when(not_json, F.lit("line is not valid JSON")),
        F.when(~not_json & not_an_object, F.lit("line is not a JSON object")),
    ]
    object_reasons = F.when(~not_json & ~not_an_object, F.array(*field_reasons))
    payload = F.from_json(F.col("env.payload"), _payload_schema(contract))
    derived: dict[str, Column] = {
        "domain": F.substring_index(F.col("env.event_type"), ".", 1),
        "line_count": F.size(F.col("p.lines")),
        "payload_json": F.col("env.payload"),
        "event_bytes": F.octet_length(F.col(VALUE)),
        "raw_object": F.col("raw_object"),
    }
    df = df.select("*", payload.alias("p"), _compact(line_reasons, object_reasons).alias(REASONS))
    columns = []
    for column in contract.columns:
        if column.sources == ("envelope",):
            value = F.col(f"env.{column.name}")
            if column.type == "timestamp":
                value = F.to_timestamp(value)
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
        F.when(~invalid, F.date_format(F.to_timestamp(F.col("env.occurred_at")), "yyyy-MM-dd")).alias(
            "event_date"
        ),
        F.col(REASONS),
        F.col(VALUE),
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
        F.col(VALUE),
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
# the raw object, then the line itself, so a rerun picks the same row.
_TIEBREAK: dict[str, Callable[[], list[Column]]] = {
    EVENTS: lambda: [F.col("received_at").asc_nulls_last(), F.col("raw_object"), F.col(VALUE)],
    REJECTED_EVENTS: lambda: [F.col("raw_object")],
}


def merge(table_name: str, new_rows: DataFrame, existing: DataFrame | None) -> DataFrame:
    """Deduplicate new rows on the table's unique key, within the run and against what is already curated.

    A row already curated always wins over a new copy, so reruns and late
    duplicates never change a curated row. The result is every row the
    affected partitions must hold after the run.
    """
    contract = table(table_name)
    columns = contract.column_names + contract.partition_names
    candidates = new_rows.select(*columns, F.col(VALUE), F.lit(1).alias(_PRIORITY))
    if existing is not None:
        candidates = existing.select(
            *columns, F.lit(None).cast("string").alias(VALUE), F.lit(0).alias(_PRIORITY)
        ).unionByName(candidates)
    order = [F.col(_PRIORITY), *_TIEBREAK[table_name]()]
    window = Window.partitionBy(*contract.unique_key).orderBy(*order)
    return (
        candidates.withColumn("_rank", F.row_number().over(window))
        .where(F.col("_rank") == 1)
        .select(*columns)
    )


def compact(df: DataFrame, table_name: str) -> DataFrame:
    """One task per output partition (so each partition is written as few files), rows sorted for pruning.

    Sorting by event type and time makes row-group min/max statistics useful
    to Athena and DuckDB for the typical `WHERE event_type = ...` and time
    range filters, and compresses better.
    """
    contract = table(table_name)
    partitions = contract.partition_names
    sort = [c for c in ("event_type", "occurred_at", "received_at") if c in contract.column_names]
    return df.repartition(*partitions).sortWithinPartitions(*partitions, *sort)
