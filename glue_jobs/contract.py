"""The lake's table contracts (athena/tables/<name>.json): one definition per table.

Terraform reads the same files to create the Glue catalog tables (with
partition projection); the Glue job derives its Spark schemas from them and
the local query engine its DuckDB views. Column types are Hive/Athena type
strings; sqlglot converts them for the other engines, so no type is spelled twice.

Each column may say where its value comes from (`from`): `envelope` (the
stored event's field of the same name), `derived` (computed by the job, see
glue_jobs/raw_to_curated/transform.py) or a list of JSON paths into the
record (the first non-null wins). Terraform ignores that key.

The files are found next to the `glue_jobs` package: in the repository, and
inside build/glue/glue_libs.zip on AWS (the packaging step adds
athena/tables/*.json to the zip at the same relative place, and zipfile
reads them from the zip).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from sqlglot import exp

# Hive type names whose Spark and DuckDB spelling sqlglot derives.
_INTEGER_TYPES = {
    exp.DataType.Type.TINYINT,
    exp.DataType.Type.SMALLINT,
    exp.DataType.Type.INT,
    exp.DataType.Type.BIGINT,
}


def tables_dir() -> Traversable:
    here = Path(__file__)
    if here.exists():
        return here.parents[1] / "athena" / "tables"
    # Imported from the Glue zip (--extra-py-files): __file__ is <zip>/glue_jobs/contract.py.
    archive = str(here)[: str(here).index(".zip") + len(".zip")]
    return zipfile.Path(archive, "athena/tables/")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    comment: str
    sources: tuple[str, ...] = ()

    @property
    def data_type(self) -> exp.DataType:
        return exp.DataType.build(self.type, dialect="hive")

    @property
    def duckdb_type(self) -> str:
        return self.data_type.sql("duckdb")

    @property
    def spark_type(self) -> str:
        return self.data_type.sql("spark")

    @property
    def is_integer(self) -> bool:
        return self.data_type.this in _INTEGER_TYPES


@dataclass(frozen=True)
class PartitionKey:
    name: str
    type: str
    projection: dict[str, Any]


@dataclass(frozen=True)
class TableContract:
    name: str
    description: str
    bucket: str  # the zone whose bucket holds the data: raw, rejected or curated
    location_prefix: str
    format: str  # parquet | json
    columns: tuple[Column, ...]
    partition_keys: tuple[PartitionKey, ...]
    unique_key: tuple[str, ...]
    serde: str = ""
    serde_parameters: tuple[tuple[str, str], ...] = ()
    # Each partition location holds a symlink manifest naming its Parquet files (the Glue job's tables,
    # switched atomically: glue_jobs/raw_to_curated/versions.py).
    partition_manifests: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def partition_names(self) -> list[str]:
        return [p.name for p in self.partition_keys]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name}")

    def spark_ddl(self, with_partitions: bool = True) -> str:
        """`name type, ...` for pyspark's StructType.fromDDL / DataFrameReader.schema."""
        fields = [f"`{c.name}` {c.spark_type}" for c in self.columns]
        if with_partitions:
            fields += [
                f"`{p.name}` {exp.DataType.build(p.type, dialect='hive').sql('spark')}"
                for p in self.partition_keys
            ]
        return ", ".join(fields)

    def duckdb_columns(self) -> dict[str, str]:
        return {c.name: c.duckdb_type for c in self.columns}


def _load(document: dict[str, Any]) -> TableContract:
    columns = []
    for raw in document["columns"]:
        source = raw.get("from", ())
        columns.append(
            Column(
                name=raw["name"],
                type=raw["type"],
                comment=raw.get("comment", ""),
                sources=(source,) if isinstance(source, str) else tuple(source),
            )
        )
    return TableContract(
        name=document["name"],
        description=document["description"],
        bucket=document["bucket"],
        location_prefix=document["location_prefix"],
        format=document["format"],
        columns=tuple(columns),
        partition_keys=tuple(
            PartitionKey(name=p["name"], type=p["type"], projection=p.get("projection", {}))
            for p in document.get("partition_keys", [])
        ),
        unique_key=tuple(document.get("unique_key", ())),
        serde=document.get("serde", ""),
        serde_parameters=tuple(document.get("serde_parameters", {}).items()),
        partition_manifests=bool(document.get("partition_manifests", False)),
    )


@cache
def load_tables() -> dict[str, TableContract]:
    """Every table contract, by table name."""
    contracts = {}
    for entry in sorted(tables_dir().iterdir(), key=lambda t: t.name):
        if entry.name.endswith(".json"):
            contract = _load(json.loads(entry.read_text(encoding="utf-8")))
            contracts[contract.name] = contract
    if not contracts:
        raise RuntimeError(f"no table contracts under {tables_dir()}")
    return contracts


def table(name: str) -> TableContract:
    return load_tables()[name]


def _hive_text(text: str) -> str:
    # Hive DDL escapes quotes with backslashes, which sqlglot (and a reader) handle badly: keep them out.
    if "'" in text or "\\" in text:
        raise ValueError(f"quotes and backslashes are not allowed in table comments: {text!r}")
    return text


def athena_ddl(contract: TableContract, teams: list[str]) -> str:
    """CREATE EXTERNAL TABLE with partition projection, for the Athena console or a manual run.

    Terraform creates the same table from the JSON contract (modules/data_lake);
    this text is generated from it (python -m glue_jobs.contract) and a test
    keeps the committed athena/tables/*.sql equal to it. `${<zone>_bucket}` is
    the one thing to substitute; `${team}`-style templates are Athena's own.
    """
    location = f"s3://${{{contract.bucket}_bucket}}/{contract.location_prefix}"
    columns = ",\n".join(
        f"    `{c.name}` {c.data_type.sql('hive').lower()} COMMENT '{_hive_text(c.comment)}'"
        for c in contract.columns
    )
    partitions = ", ".join(f"`{p.name}` {p.type}" for p in contract.partition_keys)
    properties: dict[str, str] = {"projection.enabled": "true"}
    for key in contract.partition_keys:
        for attribute, value in key.projection.items():
            if attribute == "values_from":
                properties[f"projection.{key.name}.values"] = ",".join(teams)
            else:
                properties[f"projection.{key.name}.{attribute.replace('_', '.')}"] = str(value)
    template = "/".join(f"{p.name}=${{{p.name}}}" for p in contract.partition_keys)
    properties["storage.location.template"] = f"{location}{template}/"
    if contract.format == "parquet" and contract.partition_manifests:
        properties["parquet.compression"] = "ZSTD"
        storage = (
            "ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'\n"
            "STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'\n"
            "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'"
        )
    elif contract.format == "parquet":
        properties["parquet.compression"] = "ZSTD"
        storage = "STORED AS PARQUET"
    else:
        serde_properties = ", ".join(f"'{k}' = '{v}'" for k, v in contract.serde_parameters)
        storage = (
            f"ROW FORMAT SERDE '{contract.serde}'\n"
            + (f"WITH SERDEPROPERTIES ({serde_properties})\n" if serde_properties else "")
            + "STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'\n"
            "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'"
        )
    table_properties = ",\n".join(f"    '{k}' = '{v}'" for k, v in properties.items())
    return (
        f"-- Generated from athena/tables/{contract.name}.json by `python -m glue_jobs.contract`; do not edit.\n"
        f"-- {contract.description}\n"
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {contract.name} (\n{columns}\n)\n"
        f"PARTITIONED BY ({partitions})\n{storage}\nLOCATION '{location}'\n"
        f"TBLPROPERTIES (\n{table_properties}\n)\n"
    )


def write_ddl() -> None:
    from platform_core.config import get_config

    teams = list(get_config().teams)
    directory = Path(__file__).resolve().parents[1] / "athena" / "tables"
    for contract in load_tables().values():
        (directory / f"{contract.name}.sql").write_text(athena_ddl(contract, teams), encoding="utf-8")


if __name__ == "__main__":
    write_ddl()
