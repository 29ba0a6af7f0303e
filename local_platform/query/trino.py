"""Trino semantics on DuckDB: the rewrites that make the local engine answer like Athena.

sqlglot transpiles Athena's Trino SQL to DuckDB SQL, but a few constructs
transpile to SQL that runs and answers differently. Those the engine can
reproduce exactly are rewritten here, on the AST, before the DuckDB SQL is
generated (the others are refused by local_platform.query.lint):

  date_diff(unit, a, b)        Trino counts whole units elapsed (joda); DuckDB's date_diff counts
                               unit boundaries crossed (10:59 -> 11:01 is 1 hour). Rewritten to
                               DuckDB's date_sub, which counts whole units elapsed.
  regexp_extract(s, p[, g])    no match: Trino NULL, DuckDB ''. Rewritten to
                               CASE WHEN regexp_matches(s, p) THEN regexp_extract(...) END.
  json_extract_scalar(j, path) a path to an object or an array: Trino NULL, DuckDB the JSON
                               text; text that is not JSON: Trino NULL, DuckDB an error.
                               Rewritten to NULL in both cases.
  decimal / decimal|integer    Trino: decimal(min(38, p1 + s2 + max(0, s2 - s1)), max(s1, s2)),
                               rounded half up; DuckDB: a double. Rewritten to exact integer
                               arithmetic on the unscaled values (HUGEINT), rounded half up.
                               `7.0` is a DECIMAL(2,1) literal in Trino, so `x / 7.0` is decimal
                               division when x is an integer or a decimal.
  avg(decimal(p, s))           Trino: decimal(p, s), rounded half up; DuckDB: a double.
                               Rewritten to sum / count with the division above.
  CAST(x AS DECIMAL)           Trino: decimal(38, 0); DuckDB: DECIMAL(18, 3). Given its params.
  from_iso8601_timestamp(s)    Trino parses to milliseconds (timestamp(3) with time zone);
                               DuckDB keeps microseconds. Truncated to milliseconds.

The types come from sqlglot's annotation (tables from the contracts, views as
DuckDB describes them) completed with Trino's own rules for literals and
decimal arithmetic, which sqlglot does not model (it types `7.0` as DOUBLE).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

DIALECT = "athena"
MAX_PRECISION = 38

Schema = Mapping[str, Mapping[str, str]]

# DuckDB macros the rewritten SQL calls; created once per connection.
MACROS = (
    # Integer division of unscaled decimals, rounded half up (away from zero on a tie), as Trino's
    # decimal division; a NULL operand gives NULL, and division by zero is an error in Trino, so it is
    # one here too.
    "CREATE OR REPLACE MACRO trino_round_half_up_div(n, d) AS "
    "CASE WHEN n IS NULL OR d IS NULL THEN NULL WHEN d = 0 THEN error('Division by zero') "
    "ELSE n // d + CASE WHEN 2 * abs(n % d) >= abs(d) THEN sign(n) * sign(d) ELSE 0 END END",
)

_INTEGER_PRECISION = {
    exp.DataType.Type.TINYINT: 3,
    exp.DataType.Type.SMALLINT: 5,
    exp.DataType.Type.INT: 10,
    exp.DataType.Type.BIGINT: 19,
}
_APPROXIMATE = {exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT}
_TAG = "trino_node"


@dataclass(frozen=True)
class NumericType:
    """What Trino's arithmetic needs to know of an operand: integer, decimal(p, s) or approximate."""

    kind: str  # integer | decimal | double
    precision: int = 0
    scale: int = 0

    @property
    def as_decimal(self) -> NumericType:
        return NumericType("decimal", self.precision, self.scale) if self.kind == "integer" else self


def decimal_type(precision: int, scale: int) -> NumericType:
    return NumericType("decimal", min(MAX_PRECISION, precision), scale)


def _from_data_type(data_type: exp.DataType | None) -> NumericType | None:
    if data_type is None:
        return None
    if data_type.this in _INTEGER_PRECISION:
        return NumericType("integer", _INTEGER_PRECISION[data_type.this])
    if data_type.this in _APPROXIMATE:
        return NumericType("double")
    if data_type.this == exp.DataType.Type.DECIMAL:
        params = [int(p.this.name) for p in data_type.expressions if isinstance(p, exp.DataTypeParam)]
        if not params:
            return decimal_type(MAX_PRECISION, 0)  # Trino's DECIMAL is decimal(38, 0)
        return decimal_type(params[0], params[1] if len(params) > 1 else 0)
    return None


def _literal_type(literal: exp.Literal) -> NumericType | None:
    if literal.is_string:
        return None
    text = literal.name.lstrip("+-")
    if "e" in text.lower():
        return NumericType("double")
    if "." in text:
        whole, fraction = text.split(".", 1)
        digits = len(whole.lstrip("0")) + len(fraction)
        return decimal_type(max(digits, len(fraction), 1), len(fraction))
    return NumericType("integer", 10 if abs(int(text)) < 2**31 else 19)


def _common(types: list[NumericType | None]) -> NumericType | None:
    known = [t for t in types if t is not None]
    if len(known) != len(types) or not known:
        return None
    if any(t.kind == "double" for t in known):
        return NumericType("double")
    if all(t.kind == "integer" for t in known):
        return max(known, key=lambda t: t.precision)
    decimals = [t.as_decimal for t in known]
    scale = max(t.scale for t in decimals)
    return decimal_type(max(t.precision - t.scale for t in decimals) + scale, scale)


def _arithmetic(node: exp.Binary, left: NumericType | None, right: NumericType | None) -> NumericType | None:
    if left is None or right is None:
        return None
    if "double" in (left.kind, right.kind):
        return NumericType("double")
    if left.kind == right.kind == "integer":
        return max(left, right, key=lambda t: t.precision)
    a, b = left.as_decimal, right.as_decimal
    if isinstance(node, exp.Mul):
        return decimal_type(a.precision + b.precision, a.scale + b.scale)
    if isinstance(node, exp.Div):
        return division_type(a, b)
    scale = max(a.scale, b.scale)  # Add, Sub, Mod
    return decimal_type(max(a.precision - a.scale, b.precision - b.scale) + scale + 1, scale)


def division_type(a: NumericType, b: NumericType) -> NumericType:
    """Trino's decimal division result type."""
    a, b = a.as_decimal, b.as_decimal
    return decimal_type(a.precision + b.scale + max(0, b.scale - a.scale), max(a.scale, b.scale))


def _sum_type(inner: NumericType | None) -> NumericType | None:
    if inner is None or inner.kind == "double":
        return inner
    return NumericType("integer", 19) if inner.kind == "integer" else decimal_type(38, inner.scale)


def _avg_type(inner: NumericType | None) -> NumericType | None:
    return inner if inner is not None and inner.kind == "decimal" else NumericType("double")


def _case_type(node: exp.Case) -> NumericType | None:
    branches = [i.args["true"] for i in node.args.get("ifs", [])]
    if node.args.get("default") is not None:
        branches.append(node.args["default"])
    return _common([numeric_type(b) for b in branches if not isinstance(b, exp.Null)])


_BIGINT = NumericType("integer", 19)
# How Trino types each kind of node, when it is not read from sqlglot's annotation.
_TYPING: dict[type[exp.Expr], Callable[[Any], NumericType | None]] = {
    exp.Paren: lambda n: numeric_type(n.this),
    exp.Neg: lambda n: numeric_type(n.this),
    exp.Window: lambda n: numeric_type(n.this),
    exp.Filter: lambda n: numeric_type(n.this),
    exp.Literal: _literal_type,
    exp.Cast: lambda n: _from_data_type(n.to),
    exp.TryCast: lambda n: _from_data_type(n.to),
    exp.Distinct: lambda n: numeric_type(n.expressions[0]) if len(n.expressions) == 1 else None,
    exp.Sum: lambda n: _sum_type(numeric_type(n.this)),
    exp.Avg: lambda n: _avg_type(numeric_type(n.this)),
    exp.Min: lambda n: numeric_type(n.this),
    exp.Max: lambda n: numeric_type(n.this),
    exp.AnyValue: lambda n: numeric_type(n.this),
    exp.Coalesce: lambda n: _common([numeric_type(n.this), *(numeric_type(e) for e in n.expressions)]),
    exp.Case: _case_type,
    exp.Count: lambda n: _BIGINT,
    exp.DateDiff: lambda n: _BIGINT,
    exp.TimeToUnix: lambda n: NumericType("double"),
    **{
        kind: lambda n: _arithmetic(n, numeric_type(n.left), numeric_type(n.right))
        for kind in (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)
    },
}


def numeric_type(node: exp.Expr) -> NumericType | None:
    """The Trino type of a numeric expression of an annotated statement; None when it cannot be told."""
    typing = _TYPING.get(type(node))
    if typing is not None:
        return typing(node)
    known = node.type
    if known is None or known.this == exp.DataType.Type.UNKNOWN:
        return None
    return _from_data_type(known)


# --- typing a statement -----------------------------------------------------------


def _tag(statement: exp.Expr) -> dict[int, exp.Expr]:
    """Number the nodes whose rewrite depends on types, so their annotated copies can be found."""
    tagged: dict[int, exp.Expr] = {}
    for i, node in enumerate(statement.find_all(exp.Div, exp.Avg)):
        node.meta[_TAG] = i
        tagged[i] = node
    return tagged


def _annotated_copies(statement: exp.Expr, schema: Schema) -> dict[int, exp.Expr]:
    """The tagged nodes of a qualified, type-annotated copy of the statement, by tag."""
    copy = statement.copy()
    tables: dict[str, object] = dict(schema)
    with contextlib.suppress(sqlglot.errors.OptimizeError):
        copy = qualify(copy, schema=tables, dialect=DIALECT, validate_qualify_columns=False, identify=False)
    annotated = annotate_types(copy, schema=tables, dialect=DIALECT)
    return {n.meta[_TAG]: n for n in annotated.find_all(exp.Div, exp.Avg) if _TAG in n.meta}


@dataclass(frozen=True)
class Unresolved:
    node: exp.Expr
    why: str


def _decimal_division(left: NumericType | None, right: NumericType | None) -> bool | None:
    """True: Trino divides these as decimals; False: it does not; None: the types cannot be told."""
    kinds = {t.kind for t in (left, right) if t is not None}
    if "double" in kinds or "decimal" not in kinds:
        return False
    return None if None in (left, right) else True


def unresolved(statement: exp.Expr, schema: Schema) -> Iterator[Unresolved]:
    """Divisions whose Trino answer depends on operand types that cannot be told here."""
    statement = statement.copy()
    tagged = _tag(statement)
    copies = _annotated_copies(statement, schema)
    for tag, node in tagged.items():
        typed = copies.get(tag)
        if (
            isinstance(node, exp.Div)
            and isinstance(typed, exp.Div)
            and _decimal_division(numeric_type(typed.left), numeric_type(typed.right)) is None
        ):
            yield Unresolved(
                node,
                "a decimal divided by an operand whose type cannot be inferred: Trino divides decimals "
                "exactly (rounded half up to the larger scale), a double does not; CAST the operand",
            )


# --- the rewrites -------------------------------------------------------------------


def _hugeint_unscaled(value: exp.Expr, scale: int) -> exp.Expr:
    """The unscaled integer of a decimal at `scale` (value * 10^scale), exactly, as a HUGEINT."""
    as_decimal = _cast(value, f"DECIMAL(38, {scale})")
    shifted = exp.Mul(this=as_decimal, expression=_cast(exp.Literal.number(10**scale), "DECIMAL(38, 0)"))
    return _cast(shifted, "HUGEINT")


def decimal_divide(
    numerator: exp.Expr, denominator: exp.Expr, left: NumericType, right: NumericType
) -> exp.Expr:
    """Trino's decimal division: exact, rounded half up at the result scale, typed decimal(p, s)."""
    result = division_type(left, right)
    a, b = left.as_decimal, right.as_decimal
    # n / d at scale s: (A * 10^(s + sb - sa)) / B, with A and B the unscaled operands.
    shift = result.scale + b.scale - a.scale
    n = exp.Mul(
        this=_hugeint_unscaled(numerator, a.scale), expression=_cast(exp.Literal.number(10**shift), "HUGEINT")
    )
    quotient = exp.Anonymous(
        this="trino_round_half_up_div", expressions=[n, _hugeint_unscaled(denominator, b.scale)]
    )
    unit = _cast(exp.Literal.string(f"1e-{result.scale}"), f"DECIMAL(38, {result.scale})")
    scaled = exp.Mul(this=_cast(quotient, "DECIMAL(38, 0)"), expression=unit)
    return _cast(scaled, f"DECIMAL({result.precision}, {result.scale})")


def _cast(value: exp.Expr, type_sql: str) -> exp.Cast:
    # exp.cast() would skip a cast to another DECIMAL(p, s) of an expression already cast to a DECIMAL.
    return exp.Cast(this=value, to=exp.DataType.build(type_sql, dialect="duckdb"))


def _average(node: exp.Avg, argument: NumericType, wrappers: list[exp.Expr]) -> exp.Expr:
    """avg(decimal(p, s)) as Trino: sum / count at scale s, rounded half up, typed decimal(p, s); NULL
    over no rows. `wrappers`: the FILTER and OVER clauses of the average, innermost first, which the
    sum and the count each take."""

    def wrapped(aggregate: exp.Expr) -> exp.Expr:
        for wrapper in wrappers:
            outer = wrapper.copy()
            outer.set("this", aggregate)
            aggregate = outer
        return aggregate

    value = node.this
    total, count = wrapped(exp.Sum(this=value.copy())), wrapped(exp.Count(this=value.copy()))
    divided = decimal_divide(total, count, decimal_type(38, argument.scale), NumericType("integer", 19))
    return exp.Case(
        ifs=[exp.If(this=exp.EQ(this=count.copy(), expression=exp.Literal.number(0)), true=exp.Null())],
        default=_cast(divided, f"DECIMAL({argument.precision}, {argument.scale})"),
    )


def _date_diff(node: exp.DateDiff) -> exp.Expr:
    unit = node.args.get("unit")
    unit_name = unit.name.lower() if unit is not None else "day"
    return exp.Anonymous(
        this="date_sub", expressions=[exp.Literal.string(unit_name), node.expression, node.this]
    )


def _regexp_extract(node: exp.RegexpExtract) -> exp.Expr:
    matches = exp.Anonymous(this="regexp_matches", expressions=[node.this.copy(), node.expression.copy()])
    return exp.Case(ifs=[exp.If(this=matches, true=node)])


def _json_extract_scalar(node: exp.JSONExtractScalar) -> exp.Expr:
    document = node.this
    path = exp.Literal.string(node.expression.sql("duckdb").strip("'"))
    valid = exp.Anonymous(this="json_valid", expressions=[document.copy()])
    kind = exp.Anonymous(this="json_type", expressions=[document.copy(), path])
    container = exp.In(this=kind, expressions=[exp.Literal.string("OBJECT"), exp.Literal.string("ARRAY")])
    return exp.Case(
        ifs=[exp.If(this=exp.Not(this=valid), true=exp.Null()), exp.If(this=container, true=exp.Null())],
        default=node,
    )


def _milliseconds(node: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="date_trunc", expressions=[exp.Literal.string("millisecond"), node])


def _plain_decimal(node: exp.DataType) -> exp.Expr:
    if node.this == exp.DataType.Type.DECIMAL and not node.expressions:
        return exp.DataType.build("DECIMAL(38, 0)")
    return node


_REWRITES: dict[type[exp.Expr], Callable[[Any], exp.Expr]] = {
    exp.DateDiff: _date_diff,
    exp.RegexpExtract: _regexp_extract,
    exp.JSONExtractScalar: _json_extract_scalar,
    exp.FromISO8601Timestamp: _milliseconds,
    exp.DataType: _plain_decimal,
}


class _TypedRewrite:
    """The rewrites that depend on operand types: decimal division and decimal averages."""

    def __init__(self, statement: exp.Expr, schema: Schema):
        _tag(statement)
        self.operands: dict[int, tuple[NumericType | None, ...]] = {}
        for tag, node in _annotated_copies(statement, schema).items():
            if isinstance(node, exp.Div):
                self.operands[tag] = (numeric_type(node.left), numeric_type(node.right))
            elif isinstance(node, exp.Avg):
                self.operands[tag] = (numeric_type(node.this),)

    def decimal_average(self, node: exp.Expr) -> tuple[exp.Avg, NumericType, list[exp.Expr]] | None:
        """The average (with its FILTER/OVER clauses, innermost first) when it averages decimals."""
        wrappers: list[exp.Expr] = []
        while isinstance(node, exp.Window | exp.Filter):
            wrappers.insert(0, node)
            node = node.this
        if not isinstance(node, exp.Avg):
            return None
        argument = self.operands.get(node.meta.get(_TAG, -1), (None,))[0]
        if argument is None or argument.kind != "decimal":
            return None
        return node, argument, wrappers

    def __call__(self, node: exp.Expr) -> exp.Expr:
        # An average is rewritten at its outermost FILTER/OVER clause, which its sum and count both take.
        if isinstance(node.parent, exp.Window | exp.Filter) and self.decimal_average(node.parent):
            return node
        average = self.decimal_average(node)
        if average is not None:
            return _average(*average)
        if isinstance(node, exp.Div):
            left, right = self.operands.get(node.meta.get(_TAG, -1), (None, None))
            if left is not None and right is not None and _decimal_division(left, right):
                return decimal_divide(node.left, node.right, left, right)
        return node


def to_duckdb(statement: exp.Expr, schema: Schema) -> exp.Expr:
    """A copy of the statement rewritten so that DuckDB answers it as Trino does (see the module doc)."""
    statement = statement.copy()
    typed = _TypedRewrite(statement, schema)
    # Children first: a rewritten node is built from its already rewritten operands.
    for node in reversed(list(statement.walk())):
        parent, key, index = node.parent, node.arg_key, node.index
        rewrite = _REWRITES.get(type(node))
        replacement = rewrite(node) if rewrite is not None else typed(node)
        if replacement is node:
            continue
        if parent is None or key is None:
            statement = replacement
        else:
            parent.set(key, replacement, index)
    return statement
