"""The local Athena: the repository's Trino SQL, transpiled by sqlglot, run by DuckDB over the lake files.

Every table of athena/tables/*.json becomes a DuckDB view of the same name
over its files (Parquet with hive partitioning, or gzip JSON lines), typed as
the contract says; every athena/views/*.sql is transpiled and created on top.
A query is linted first (local_platform.query.lint): what DuckDB would answer
differently and cannot be made to answer like Trino is refused, not mis-run;
what it can (local_platform.query.trino) is rewritten to Trino's semantics.
Timestamps read from Parquet are rounded to milliseconds, as Athena reads them
(its Hive tables are timestamp(3)).

Query parameters are Athena's execution parameters: one SQL literal per `?`,
in order (`'2026-03-01T00:00:00Z'`, `42`), and as many as the query has `?`.

The lake root mirrors the buckets: <root>/<zone>/<key>, e.g.
<root>/curated/curated/events/team=orders/event_date=2026-03-01/manifest, which
names the partition's files as Athena reads them (SymlinkTextInputFormat;
local_platform.lake keeps the mirror in sync with the S3 buckets).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType

from glue_jobs.contract import Column, TableContract, load_tables
from local_platform.query import trino
from local_platform.query.lint import ATHENA_DIR, DIALECT, Finding, contract_schema, lint_sql

_GLOB = {"parquet": "**/*.parquet", "json": "**/*.gz"}


class LintError(ValueError):
    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("\n".join(str(f) for f in findings))


def transpile(sql: str) -> list[str]:
    """Athena (Trino) SQL -> DuckDB SQL, one string per statement."""
    return [s for s in sqlglot.transpile(sql, read=DIALECT, write="duckdb") if s.strip()]


class ParameterError(ValueError):
    """The execution parameters do not fit the query's placeholders (Athena refuses the query too)."""


def bind_parameters(sql: str, params: Sequence[str]) -> str:
    """Put each execution parameter, an SQL literal, at its `?`, in the order of the text, as Athena does."""
    tokens = Dialect.get_or_raise(DIALECT).tokenize(sql)
    placeholders = [t for t in tokens if t.token_type == TokenType.PLACEHOLDER]
    if len(placeholders) != len(params):
        raise ParameterError(
            f"the query has {len(placeholders)} parameter placeholder(s) (?) and {len(params)} execution "
            "parameter(s) were given: Athena needs exactly one per placeholder"
        )
    for text in params:
        try:
            sqlglot.parse_one(str(text), read=DIALECT, into=exp.Condition)
        except sqlglot.errors.ParseError as exc:
            raise ParameterError(
                f"execution parameter {text!r} is not an SQL literal (a string needs its quotes): {exc}"
            ) from exc
    for token, text in reversed(list(zip(placeholders, params, strict=True))):
        sql = f"{sql[: token.start]}({text}){sql[token.end + 1 :]}"
    return sql


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _has_files(root: Path) -> bool:
    return root.is_dir() and any(p.is_file() for p in root.rglob("*"))


def _column(column: Column, file_format: str) -> str:
    """A contract column as the engine reads it: the contract's type; a Parquet timestamp rounded to
    milliseconds (half up), as Athena's reader rounds what it reads into its timestamp(3)."""
    if file_format == "parquet" and column.type == "timestamp":
        return f'make_timestamp(CAST(round(epoch_us("{column.name}") / 1000.0) AS BIGINT) * 1000)'
    return f'CAST("{column.name}" AS {column.duckdb_type})'


def manifested_files(contract: TableContract, lake_root: Path) -> list[Path]:
    """The files a manifest table's partitions name (each partition location holds a symlink manifest of
    s3:// URIs into the table's own bucket, mirrored at <lake_root>/<zone>/<key>)."""
    location = lake_root / contract.bucket / contract.location_prefix
    pattern = "/".join(f"{p.name}=*" for p in contract.partition_keys) + "/manifest"
    files = []
    for manifest in sorted(location.glob(pattern)):
        for line in manifest.read_text(encoding="utf-8").splitlines():
            if line.strip():
                files.append(lake_root / contract.bucket / line.strip().split("/", 3)[3])
    return files


def table_source(contract: TableContract, lake_root: Path) -> str:
    """The DuckDB SELECT behind a contract table: its columns, cast to the contract's types, then partitions."""
    location = lake_root / contract.bucket / contract.location_prefix
    columns = [f'{_column(c, contract.format)} AS "{c.name}"' for c in contract.columns]
    partitions = [f'CAST("{p.name}" AS VARCHAR) AS "{p.name}"' for p in contract.partition_keys]
    files = manifested_files(contract, lake_root) if contract.partition_manifests else []
    if not (files if contract.partition_manifests else _has_files(location)):
        # An empty table still has its columns, so queries bind and return no rows.
        empty = [f'CAST(NULL AS {c.duckdb_type}) AS "{c.name}"' for c in contract.columns]
        empty += [f'CAST(NULL AS VARCHAR) AS "{p.name}"' for p in contract.partition_keys]
        return f"SELECT {', '.join(empty)} WHERE false"
    if files:
        # The versions' paths carry team=/event_date= segments, so hive partitioning names the partitions.
        pattern = "[" + ", ".join(_literal(str(f)) for f in files) + "]"
    else:
        pattern = _literal(str(location / _GLOB[contract.format]))
    hive_types = "{" + ", ".join(f"{_literal(p.name)}: 'VARCHAR'" for p in contract.partition_keys) + "}"
    if contract.format == "parquet":
        reader = f"read_parquet({pattern}, hive_partitioning = true, hive_types = {hive_types}, union_by_name = true)"
    else:
        # Athena's JSON SerDe reads a malformed line as nulls (ignore.malformed.json); so does this.
        json_columns = (
            "{" + ", ".join(f"{_literal(c.name)}: {_literal(c.duckdb_type)}" for c in contract.columns) + "}"
        )
        reader = (
            f"read_json({pattern}, format = 'newline_delimited', columns = {json_columns}, "
            f"hive_partitioning = true, hive_types = {hive_types}, ignore_errors = true)"
        )
    return f"SELECT {', '.join(columns + partitions)} FROM {reader}"


class LocalEngine:
    """A DuckDB connection with the lake's tables and views, answering Athena SQL."""

    def __init__(self, lake_root: Path, athena_dir: Path = ATHENA_DIR, threads: int | None = None):
        self.lake_root = lake_root
        self.athena_dir = athena_dir
        self.connection = duckdb.connect()
        # The schema typing each query, kept once the views exist and until a statement changes it.
        self._schema: dict[str, dict[str, str]] | None = None
        self._views_created = False
        # Athena's session zone is UTC: timestamps with a zone convert and print the same way here.
        self.connection.execute("SET TimeZone = 'UTC'")
        for macro in trino.MACROS:
            self.connection.execute(macro)
        if threads:
            self.connection.execute(f"SET threads = {int(threads)}")
        for contract in load_tables().values():
            self.connection.execute(
                f'CREATE OR REPLACE VIEW "{contract.name}" AS {table_source(contract, lake_root)}'
            )
        self._create_views()
        self._views_created = True

    def _create_views(self) -> None:
        pending = {
            p: p.read_text(encoding="utf-8") for p in sorted((self.athena_dir / "views").glob("*.sql"))
        }
        # Views may read each other: create in passes until none is left or no pass makes progress.
        while pending:
            errors: dict[Path, Exception] = {}
            for path, sql in list(pending.items()):
                try:
                    self.execute(sql, source=str(path))
                    del pending[path]
                except duckdb.CatalogException as exc:
                    errors[path] = exc
            if errors and len(errors) == len(pending):
                raise RuntimeError(f"cannot create views: {errors}")

    def schema(self) -> dict[str, dict[str, str]]:
        """Column types of every table and view, for typing queries (views as DuckDB describes them)."""
        if self._schema is not None:
            return self._schema
        schema = contract_schema()
        for (view,) in self.connection.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
        ).fetchall():
            if view not in schema:
                described = self.connection.execute(f'DESCRIBE "{view}"').fetchall()
                schema[view] = {
                    name: exp.DataType.build(kind, dialect="duckdb").sql(DIALECT)
                    for name, kind, *_ in described
                }
        if self._views_created:
            self._schema = schema
        return schema

    def to_duckdb(self, sql: str, params: Sequence[str] | None = None) -> list[str]:
        """The DuckDB SQL of each statement, with Trino's semantics and the parameters bound."""
        statements = sqlglot.parse(bind_parameters(sql, list(params or [])), read=DIALECT)
        schema = self.schema()
        return [trino.to_duckdb(s, schema).sql("duckdb") for s in statements if s is not None]

    def execute(self, sql: str, params: Sequence[str] | None = None, source: str = "<sql>") -> pa.Table:
        """Lint, transpile and run; the last statement's result as an Arrow table.

        `params`: Athena execution parameters, one SQL literal per `?` (e.g. "'2026-03-01T00:00:00Z'").
        """
        findings = lint_sql(sql, source, self.schema())
        if findings:
            raise LintError(findings)
        result = pa.table({})
        for statement in self.to_duckdb(sql, params):
            if statement.lstrip().upper().startswith(("CREATE", "DROP", "ALTER")):
                self._schema = None  # a table or view changes: typed afresh
            relation = self.connection.sql(statement)
            if relation is None:
                continue
            result = self._bigint_sums(relation).to_arrow_table()
        return result

    @staticmethod
    def _bigint_sums(relation: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
        """DuckDB sums integers into HUGEINT (128-bit); Trino into BIGINT. Return what Athena returns."""
        huge = [
            name
            for name, kind in zip(relation.columns, relation.types, strict=True)
            if str(kind) == "HUGEINT"
        ]
        if not huge:
            return relation
        projection = ", ".join(
            f'CAST("{name}" AS BIGINT) AS "{name}"' if name in huge else f'"{name}"'
            for name in relation.columns
        )
        return relation.project(projection)

    def run_file(self, path: Path, params: Sequence[str] | None = None) -> pa.Table:
        return self.execute(path.read_text(encoding="utf-8"), params, source=str(path))

    def close(self) -> None:
        self.connection.close()
