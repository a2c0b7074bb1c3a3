"""Is this SQL Redshift SQL? The rules behind `lending-redshift-check`.

Three questions, each answerable without a warehouse:

- does it parse with sqlfluff's Redshift grammar (`parse_problems`): sqlglot reads far more
  than Redshift accepts, sqlfluff's grammar is Redshift's own;
- does it use a DuckDB function, type or piece of syntax that Redshift lacks
  (`duckdb_only`): sqlglot parses the SQL as DuckDB, what it is developed against, into a
  typed tree, and the walk looks for the deny lists' functions (by the name they were
  called by), casts to types Redshift lacks, and DuckDB-only nodes (GROUP BY ALL, FILTER,
  lambdas, list and struct literals...). Strings, comments and quoted names are never
  such nodes, so words inside them never match;
- is a declared column type one Redshift accepts (`redshift_type_problem`).

The deny lists are deliberately about DuckDB: it is where non-portable SQL comes from.
Each entry says what to write instead. Sources: the Redshift Database Developer Guide (SQL
functions reference, "Unsupported PostgreSQL functions", data types) against DuckDB's
function and syntax reference.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from typing import Any, ClassVar

import sqlglot
from sqlfluff.core import FluffConfig, Linter
from sqlfluff.core.parser import Lexer
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import ParseError


@dataclass(frozen=True)
class Finding:
    line: int
    construct: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: `{self.construct}`: {self.reason}"


# DuckDB functions Redshift does not have, with the portable way to say the same thing.
_READERS = "reads files itself; on Redshift read the data through source() (external tables)"
_LISTS = "DuckDB list/array function; Redshift has no LIST type (SUPER arrays differ)"
_STRUCTS = "DuckDB struct/map function; Redshift has no STRUCT or MAP type"
DENIED_FUNCTIONS: dict[str, str] = {
    **dict.fromkeys(
        [
            "read_parquet",
            "parquet_scan",
            "read_csv",
            "read_csv_auto",
            "read_json",
            "read_json_auto",
            "read_ndjson",
            "read_text",
            "read_blob",
            "glob",
            "iceberg_scan",
            "delta_scan",
        ],
        _READERS,
    ),
    **dict.fromkeys(
        [
            "list_value",
            "list_pack",
            "list_extract",
            "list_element",
            "list_concat",
            "list_cat",
            "list_contains",
            "list_has",
            "list_position",
            "list_aggregate",
            "list_sort",
            "list_distinct",
            "list_unique",
            "list_filter",
            "list_transform",
            "list_apply",
            "list_reduce",
            "list_slice",
            "list_sum",
            "list_zip",
            "array_extract",
            "array_slice",
            "array_has",
            "array_length",
            "array_filter",
            "array_transform",
            "array_value",
            "flatten",
            "list",
            "array_agg",
            "unnest",
            "generate_subscripts",
        ],
        _LISTS,
    ),
    **dict.fromkeys(
        [
            "struct_pack",
            "struct_extract",
            "struct_insert",
            "row",
            "map",
            "map_from_entries",
            "map_extract",
            "map_keys",
            "map_values",
            "element_at",
            "union_value",
            "union_extract",
        ],
        _STRUCTS,
    ),
    "range": "DuckDB table function; build series with a digits cross join (see month_spine)",
    "generate_series": "runs on Redshift's leader node only, never with tables; "
    "build series with a digits cross join (see month_spine)",
    "string_agg": "use listagg(expr, delimiter) within group (order by ...)",
    "group_concat": "use listagg(expr, delimiter) within group (order by ...)",
    "arg_max": "use row_number() over (partition by ... order by ...) and keep row 1",
    "arg_min": "use row_number() over (partition by ... order by ...) and keep row 1",
    "argmax": "use row_number() over (partition by ... order by ...) and keep row 1",
    "argmin": "use row_number() over (partition by ... order by ...) and keep row 1",
    "max_by": "use row_number() over (partition by ... order by ...) and keep row 1",
    "min_by": "use row_number() over (partition by ... order by ...) and keep row 1",
    "first": "DuckDB aggregate; use first_value() over (...) or row_number()",
    "last": "DuckDB aggregate; use last_value() over (...) or row_number()",
    "count_if": "use count(case when <condition> then 1 end)",
    "every": "use bool_and(...)",
    "product": "no product aggregate on Redshift; exp(sum(ln(x))) for positive x",
    "histogram": "DuckDB aggregate returning a MAP; group by the value and count",
    "quantile": "use percentile_cont(fraction) within group (order by ...)",
    "quantile_cont": "use percentile_cont(fraction) within group (order by ...)",
    "quantile_disc": "use percentile_disc(fraction) within group (order by ...)",
    "approx_quantile": "use approximate percentile_disc(fraction) within group (order by ...)",
    "reservoir_quantile": "use percentile_cont(fraction) within group (order by ...)",
    "fsum": "use sum(...)",
    "sumkahan": "use sum(...)",
    "kahan_sum": "use sum(...)",
    "favg": "use avg(...)",
    "geomean": "use exp(avg(ln(x)))",
    "geometric_mean": "use exp(avg(ln(x)))",
    "kurtosis": "no kurtosis aggregate on Redshift",
    "skewness": "no skewness aggregate on Redshift",
    "entropy": "no entropy aggregate on Redshift",
    "strftime": "use to_char(timestamp, format)",
    "strptime": "use to_timestamp(text, format) or to_date(text, format)",
    "epoch": "use extract(epoch from ...)",
    "epoch_ms": "use extract(epoch from ...) * 1000, or timestamp 'epoch' + n * interval",
    "epoch_us": "use extract(epoch from ...), or timestamp 'epoch' + n * interval",
    "epoch_ns": "use extract(epoch from ...), or timestamp 'epoch' + n * interval",
    "make_date": "use to_date(text, 'YYYY-MM-DD') or dbt.date_from_parts",
    "make_timestamp": "use to_timestamp(text, format)",
    "make_time": "use to_timestamp(text, format)::time",
    "time_bucket": "use {{ dbt.date_trunc(...) }} or date arithmetic",
    "today": "use current_date",
    "current_localtimestamp": "use getdate() or sysdate",
    "dayname": "use to_char(date, 'Day')",
    "monthname": "use to_char(date, 'Month')",
    "dayofweek": "use extract(dow from ...)",
    "dayofmonth": "use extract(day from ...)",
    "dayofyear": "use extract(doy from ...)",
    "weekofyear": "use extract(week from ...)",
    "yearweek": "use to_char(date, 'IYYYIW')",
    "isodow": "use extract(dow from ...) (0 = Sunday) or to_char(date, 'ID')",
    "string_split": "use split_part(text, delimiter, n)",
    "str_split": "use split_part(text, delimiter, n)",
    "string_split_regex": "use regexp_substr(text, pattern, 1, n)",
    "string_to_array": "use split_part(text, delimiter, n)",
    "split": "use split_part(text, delimiter, n)",
    "regexp_matches": "use regexp_instr(text, pattern) > 0, or `text ~ pattern`",
    "regexp_full_match": "use `text ~ '^(pattern)$'`",
    "regexp_extract": "use regexp_substr(text, pattern)",
    "regexp_extract_all": "use regexp_substr(text, pattern, 1, n)",
    "starts_with": "use `text like 'prefix%'`",
    "prefix": "use `text like 'prefix%'`",
    "ends_with": "use `text like '%suffix'`",
    "suffix": "use `text like '%suffix'`",
    "contains": "use strpos(text, search) > 0, or position(search in text) > 0",
    "instr": "use strpos(text, search) or charindex(search, text)",
    "strlen": "use octet_length(text)",
    "printf": "concatenate with ||, format numbers with to_char",
    "format": "concatenate with ||, format numbers with to_char",
    "levenshtein": "no edit-distance functions on Redshift",
    "damerau_levenshtein": "no edit-distance functions on Redshift",
    "jaro_winkler_similarity": "no string-similarity functions on Redshift",
    "jaccard": "no string-similarity functions on Redshift",
    "hamming": "no edit-distance functions on Redshift",
    "strip_accents": "use translate(text, 'áé...', 'ae...')",
    "nfc_normalize": "no Unicode normalisation on Redshift",
    "hash": "use fnv_hash(...) or md5(...)",
    "sha256": "use sha2(text, 256)",
    "uuid": "no UUID generator on Redshift; build keys from the data (md5 of natural keys)",
    "gen_random_uuid": "no UUID generator on Redshift; build keys from the data",
    "if": "use case when ... then ... else ... end",
    "iif": "use case when ... then ... else ... end",
    "ifnull": "use coalesce(...) or nvl(...)",
    "typeof": "no typeof on Redshift",
    "try_cast": "no try_cast on Redshift; validate with a case expression first",
    "columns": "DuckDB star expression; list the columns",
    "json_extract": "use json_extract_path_text(json, 'key', ...)",
    "json_extract_string": "use json_extract_path_text(json, 'key', ...)",
    "json_structure": "no JSON schema inference on Redshift",
    "log2": "use ln(x) / ln(2)",
    "isnan": "Redshift floats have no NaN test; compare with 'NaN'::float8",
    "isinf": "compare with 'Infinity'::float8",
    "isfinite": "compare with 'Infinity'::float8",
    "gamma": "no gamma function on Redshift",
    "lgamma": "no gamma function on Redshift",
    "factorial": "no factorial on Redshift",
    "even": "use ceil(x / 2) * 2",
    "fdiv": "use floor(x / y)",
    "fmod": "use mod(x, y)",
    "xor": "use (a or b) and not (a and b), or the # operator on integers",
    "bit_count": "no bit_count on Redshift",
}


# Syntax: the DuckDB-only nodes of sqlglot's tree, each with the construct to name and the
# advice. `applies` tells the DuckDB form from a portable one of the same node type.
@dataclass(frozen=True)
class Construct:
    name: str
    node: type[exp.Expr]
    advice: str
    applies: Callable[[exp.Expr, str], bool] = lambda _node, _sql: True


def _not_a_call(node: exp.Expr, _sql: str) -> bool:
    """An operator or literal, not the function call that builds the same node."""
    return NAME not in node.meta


def _written_as(operator: str) -> Callable[[exp.Expr, str], bool]:
    """A binary operator spelled `operator` (`**` and `^` make the same node)."""

    def applies(node: exp.Expr, sql: str) -> bool:
        left, right = _span(node.this), _span(node.expression)
        return (
            _not_a_call(node, sql)
            and left is not None
            and right is not None
            and operator in sql[left[1] + 1 : right[0]]  # e.g. ") ** " after (a + b)
        )

    return applies


def _joined_by(part: str, word: str) -> Callable[[exp.Expr, str], bool]:
    """A join whose method or kind (`part`) is `word`."""
    return lambda node, _sql: getattr(node, part).lower() == word


# DuckDB's own joins: the word, the part of the join sqlglot keeps it in, the advice.
DUCKDB_JOINS = (
    ("asof", "method", "DuckDB ASOF JOIN: join on a range and keep the latest row"),
    ("positional", "method", "DuckDB POSITIONAL JOIN: join on a row key"),
    ("anti", "kind", "DuckDB ANTI JOIN: use left join ... where <key> is null"),
    ("semi", "kind", "DuckDB SEMI JOIN: use where exists (...)"),
)

DENIED_SYNTAX: tuple[Construct, ...] = (
    Construct(
        "filter (where",
        exp.Filter,
        "FILTER clause on an aggregate: Redshift has none; use "
        "count(case when <condition> then 1 end) or sum(case when ... end)",
    ),
    Construct(
        "group by all",
        exp.Group,
        "DuckDB GROUP BY ALL: Redshift needs the grouping columns listed",
        lambda node, _sql: bool(node.args.get("all")),
    ),
    Construct(
        "order by all",
        exp.Order,
        "DuckDB ORDER BY ALL: list the ordering columns",
        lambda node, _sql: any(
            isinstance(key.this, exp.Var) and key.this.name.lower() == "all"
            for key in node.expressions
        ),
    ),
    Construct(
        "distinct on",
        exp.Distinct,
        "DISTINCT ON: Redshift has none; use row_number() over (partition by ...) = 1",
        lambda node, _sql: node.args.get("on") is not None,
    ),
    *(
        Construct(f"{word} join", exp.Join, advice, _joined_by(part, word))
        for word, part, advice in DUCKDB_JOINS
    ),
    Construct(
        "union by name",
        exp.SetOperation,
        "DuckDB UNION BY NAME: Redshift matches columns by position",
        lambda node, _sql: bool(node.args.get("by_name")),
    ),
    Construct(
        "using sample",
        exp.TableSample,
        "DuckDB USING SAMPLE: Redshift has no sampling clause",
        lambda node, _sql: not isinstance(node.parent, exp.Table),
    ),
    Construct(
        "tablesample",
        exp.TableSample,
        "TABLESAMPLE: Redshift has no sampling clause",
        lambda node, _sql: isinstance(node.parent, exp.Table),
    ),
    Construct(
        "* replace (",
        exp.Star,
        "DuckDB star modifier: Redshift has none; list the columns",
        lambda node, _sql: bool(node.args.get("replace")),
    ),
    Construct(
        "//",
        exp.IntDiv,
        "DuckDB integer division: use floor(x / y) or cast to an integer",
        _not_a_call,
    ),
    Construct("**", exp.Pow, "DuckDB power operator: use power(x, y)", _written_as("**")),
    Construct("->", exp.Lambda, "DuckDB lambda: Redshift has none; use plain SQL"),
    Construct(
        "->",
        exp.JSONExtract,
        "DuckDB JSON arrow: Redshift has none; use json_extract_path_text(...)",
        _not_a_call,
    ),
    Construct(
        "->>",
        exp.JSONExtractScalar,
        "DuckDB JSON arrow: Redshift has none; use json_extract_path_text(...)",
        _not_a_call,
    ),
    Construct(
        "{",
        exp.Struct,
        "DuckDB struct or map literal: Redshift has no STRUCT or MAP type",
        _not_a_call,
    ),
    Construct(
        "[",
        exp.Array,
        "DuckDB list literal: Redshift has no LIST type; use separate rows or columns",
        _not_a_call,
    ),
)


# --- sqlglot's DuckDB, told to remember where things are ----------------------------------

# The meta key under which each function call keeps the name it was called by: sqlglot
# turns ifnull() into the node coalesce() makes, and string_agg() into listagg()'s.
NAME = "called_as"
# The meta key of the source text a node was parsed from (types: as written, since sqlglot
# reads `double` and `double precision`, or `varchar(70000)` and `text`, as one type).
TEXT = "written_as"


def _called(name: str, parse: Callable[..., Any]) -> Callable[..., Any]:
    """A function parser of sqlglot's that also records the name and line of the call."""

    def parse_call(parser: Any) -> Any:
        opening = parser._prev  # the call's `(` (or its name, for a call without one)
        node = parse(parser)
        if isinstance(node, exp.Expr):
            node.meta.setdefault(NAME, name.lower())
            node.meta.setdefault("line", opening.line)
        return node

    return parse_call


def _located(parse: Callable[..., Any]) -> Callable[..., Any]:
    """A parser method of sqlglot's whose node also records its first line and text."""

    @wraps(parse)
    def parse_located(parser: Any, *args: Any, **kwargs: Any) -> Any:
        first = parser._curr
        node = parse(parser, *args, **kwargs)
        if isinstance(node, exp.Expr) and first is not None and parser._prev is not None:
            node.meta.setdefault("line", first.line)
            node.meta.setdefault(TEXT, parser.sql[first.start : parser._prev.end + 1])
        return node

    return parse_located


class _DuckDB(DuckDB):
    ORIGINAL_NAME_META_KEY = NAME

    class Parser(DuckDB.Parser):
        FUNCTION_PARSERS: ClassVar = {
            name: _called(name, parse) for name, parse in DuckDB.Parser.FUNCTION_PARSERS.items()
        }
        NO_PAREN_FUNCTION_PARSERS: ClassVar = {
            name: _called(name, parse)
            for name, parse in DuckDB.Parser.NO_PAREN_FUNCTION_PARSERS.items()
        }
        _parse_types = _located(DuckDB.Parser._parse_types)
        _parse_group = _located(DuckDB.Parser._parse_group)
        _parse_order = _located(DuckDB.Parser._parse_order)
        _parse_set_operations = _located(DuckDB.Parser._parse_set_operations)


# sqlglot logs each statement it keeps as raw text (Spectrum DDL): nothing to check there.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


def _span(node: exp.Expr | None) -> tuple[int, int] | None:
    """The first and last source offsets of a node, from its located descendants."""
    if node is None:
        return None
    offsets = [
        (part.meta["start"], part.meta["end"]) for part in node.walk() if "start" in part.meta
    ]
    if not offsets:
        return None
    return min(start for start, _ in offsets), max(end for _, end in offsets)


def _line(node: exp.Expr) -> int:
    """The line a node starts on: its own, or its first located descendant's."""
    if "line" in node.meta:
        return node.meta["line"]
    lines = [part.meta["line"] for part in node.walk() if "line" in part.meta]
    return min(lines) if lines else 0


def _function_name(node: exp.Expr) -> str | None:
    """The name a function was called by, or None for a node no call made."""
    if isinstance(node.parent, exp.Dot) and node is node.parent.expression:
        return None  # schema.function(): a user-defined function, not DuckDB's builtin
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    name = node.meta.get(NAME)  # set on calls only (xor() makes an operator's node)
    return str(name).lower() if name else None


def _cast_finding(node: exp.Cast) -> Finding | None:
    to = node.args.get("to")
    if to is None:
        return None
    data_type = " ".join(str(to.meta.get(TEXT) or to.sql(dialect="duckdb")).lower().split())
    problem = redshift_type_problem(data_type)
    if problem is None:
        return None
    spelling = "as" if node.meta.get(NAME) else "::"
    return Finding(to.meta.get("line") or _line(node), f"{spelling} {data_type}", problem)


def _statement_trees(sql: str) -> list[tuple[exp.Expr, str]]:
    """The statements of `sql` as sqlglot's DuckDB reads them, each with the text its
    offsets refer to; a statement it cannot read is left to sqlfluff's Redshift parse
    (`parse_problems`)."""
    try:
        return [(tree, sql) for tree in sqlglot.parse(sql, read=_DuckDB) if tree is not None]
    except ParseError:
        pass
    trees = []
    for line_offset, statement in _statements(sql):
        try:
            parsed = sqlglot.parse(statement, read=_DuckDB)
        except ParseError:
            continue
        for tree in parsed:
            if tree is None:
                continue
            for part in tree.walk():
                if "line" in part.meta:
                    part.meta["line"] += line_offset
            trees.append((tree, statement))
    return trees


def duckdb_only(sql: str) -> list[Finding]:
    """Every DuckDB-only function call, type and piece of syntax in `sql`, by line."""
    findings = []
    for tree, text in _statement_trees(sql):
        for node in tree.walk():
            name = _function_name(node)
            if name in DENIED_FUNCTIONS:
                findings.append(Finding(_line(node), f"{name}(", DENIED_FUNCTIONS[name]))
            if isinstance(node, exp.Cast) and (finding := _cast_finding(node)):
                findings.append(finding)
            findings.extend(
                Finding(_line(node), construct.name, construct.advice)
                for construct in DENIED_SYNTAX
                if isinstance(node, construct.node) and construct.applies(node, text)
            )
    return sorted(findings, key=lambda finding: finding.line)


# Redshift's data types and their aliases (Database Developer Guide, "Data types").
_REDSHIFT_TYPES = {
    "smallint", "int2", "integer", "int", "int4", "bigint", "int8",
    "decimal", "numeric", "real", "float4", "double precision", "float8", "float",
    "boolean", "bool",
    "char", "character", "nchar", "bpchar", "varchar", "character varying", "nvarchar",
    "text",
    "date", "time", "time without time zone", "timetz", "time with time zone",
    "timestamp", "timestamp without time zone", "timestamptz", "timestamp with time zone",
    "interval", "interval year to month", "interval day to second",
    "varbyte", "varbinary", "binary varying",
    "geometry", "geography", "hllsketch", "super",
}  # fmt: skip
_TYPE = re.compile(r"^\s*([a-z][a-z0-9 ]*?)\s*(?:\(\s*([^)]*?)\s*\))?\s*$")
_DUCKDB_TYPE_ADVICE = {
    "double": "write double precision (plain `double` is DuckDB's spelling)",
    "string": "use varchar(n)",
    "hugeint": "128-bit integers do not exist on Redshift; use numeric(38, 0)",
    "uhugeint": "unsigned integers do not exist on Redshift; use numeric(38, 0)",
    "ubigint": "unsigned integers do not exist on Redshift; use numeric(20, 0)",
    "uinteger": "unsigned integers do not exist on Redshift; use bigint",
    "usmallint": "unsigned integers do not exist on Redshift; use integer",
    "utinyint": "unsigned integers do not exist on Redshift; use smallint",
    "tinyint": "use smallint",
    "blob": "use varbyte",
    "bytea": "use varbyte",
    "uuid": "use char(36)",
    "json": "use super (json_parse) or varchar",
    "list": "Redshift has no LIST type",
    "struct": "Redshift has no STRUCT type",
    "map": "Redshift has no MAP type",
    "union": "Redshift has no UNION type",
    "timestamp_ns": "use timestamp (microseconds)",
    "timestamp_ms": "use timestamp",
    "timestamp_s": "use timestamp",
    "varint": "use numeric(38, 0)",
    "bit": "use boolean or varbyte",
}
# Redshift's limits: varchar(65535) bytes, numeric(38, s).
_MAX_VARCHAR = 65535
_MAX_PRECISION = 38


def redshift_type_problem(data_type: str, *, need_string_length: bool = False) -> str | None:
    """Why Redshift would reject `data_type`, or None when it accepts it.

    need_string_length: for columns Redshift creates (contracts, external tables), where a
    bare varchar silently means varchar(256).
    """
    if "[" in data_type:
        return "array types do not exist on Redshift"
    match = _TYPE.match(data_type.lower())
    if not match:
        return f"cannot read the type {data_type!r}"
    name, arguments = match.group(1).strip(), match.group(2)
    if name not in _REDSHIFT_TYPES:
        advice = _DUCKDB_TYPE_ADVICE.get(name, "see Redshift's list of data types")
        return f"{name} is not a Redshift data type: {advice}"
    if name in ("varchar", "character varying", "nvarchar", "char", "character", "nchar"):
        if arguments is None:
            if need_string_length:
                return (
                    f"{name} without a length is {name}(256) on Redshift, which longer values "
                    "overflow: state the length"
                )
            return None
        if arguments == "max":
            return None
        if not arguments.isdigit() or not 1 <= int(arguments) <= _MAX_VARCHAR:
            return f"{name}({arguments}): Redshift lengths run from 1 to {_MAX_VARCHAR} bytes"
    if name in ("decimal", "numeric") and arguments:
        precision = arguments.split(",")[0].strip()
        if not precision.isdigit() or not 1 <= int(precision) <= _MAX_PRECISION:
            return f"{name}({arguments}): Redshift precision runs from 1 to {_MAX_PRECISION}"
    return None


# sqlfluff 4.4's Redshift grammar has no ALTER TABLE ... ADD PARTITION (a Spectrum-only
# statement), so that one statement is checked against its documented syntax here:
#   ALTER TABLE schema.table ADD [IF NOT EXISTS]
#       PARTITION (column=value [, ...]) LOCATION 's3://...' [PARTITION ...]
_IDENTIFIER = r'(?:"[^"]+"|[a-z_][a-z0-9_$]*)'
_VALUE = r"(?:-?\d+|'[^']*')"
_PARTITION = (
    rf"partition\s*\(\s*{_IDENTIFIER}\s*=\s*{_VALUE}"
    rf"(?:\s*,\s*{_IDENTIFIER}\s*=\s*{_VALUE})*\s*\)\s*location\s*'s3://[^']+'"
)
_ADD_PARTITIONS = re.compile(
    rf"^\s*alter\s+table\s+{_IDENTIFIER}\.{_IDENTIFIER}\s+add\s+(?:if\s+not\s+exists\s+)?"
    rf"(?:{_PARTITION}\s*)+$",
    re.IGNORECASE,
)


@cache
def _config() -> FluffConfig:
    return FluffConfig(overrides={"dialect": "redshift"}, require_dialect=False)


@cache
def _lexer() -> Lexer:
    return Lexer(config=_config())


@cache
def _linter() -> Linter:
    return Linter(config=_config())


def _statements(sql: str) -> list[tuple[int, str]]:
    """The statements of `sql` split at top-level semicolons, each with its first line."""
    raw, _errors = _lexer().lex(sql)
    cuts = [
        segment.pos_marker.source_slice.start
        for segment in raw
        if segment.raw == ";" and segment.pos_marker is not None
    ]
    statements = []
    start = 0
    for cut in [*cuts, len(sql)]:
        text = sql[start:cut]
        if text.strip():
            statements.append((sql.count("\n", 0, start), text))
        start = cut + 1
    return statements


def parse_problems(sql: str) -> list[Finding]:
    """Where `sql` does not parse as Redshift SQL (sqlfluff's grammar), if anywhere."""
    findings = []
    for line_offset, statement in _statements(sql):
        if _ADD_PARTITIONS.match(statement):
            continue
        findings.extend(
            Finding(finding.line + line_offset, finding.construct, finding.reason)
            for finding in _parse_statement(statement)
        )
    return findings


def _parse_statement(sql: str) -> list[Finding]:
    parsed = _linter().parse_string(sql)
    findings = []
    for violation in parsed.violations:
        if "unparsable section" in violation.desc():
            continue  # reported below, with the section's text
        findings.append(Finding(violation.line_no, "", violation.desc()))
    if parsed.tree is None:
        return findings
    for section in parsed.tree.recursive_crawl("unparsable"):
        line = section.pos_marker.working_line_no if section.pos_marker else 0
        snippet = " ".join(section.raw.split())
        findings.append(
            Finding(
                line,
                snippet[:80] + ("..." if len(snippet) > 80 else ""),
                "does not parse as Redshift SQL",
            )
        )
    return findings
