"""Is this SQL Redshift SQL? The rules behind `lending-redshift-check`.

Three questions, each answerable without a warehouse:

- does it parse with sqlfluff's Redshift grammar (`parse_problems`);
- does it use a DuckDB function or piece of syntax that Redshift lacks (`duckdb_only`, over
  the lexed tokens, so words inside string literals, quoted identifiers and comments never
  match);
- is a declared column type one Redshift accepts (`redshift_type_problem`).

The deny list is deliberately about DuckDB: it is what our SQL is developed against, so it
is where non-portable SQL comes from. Each entry says what to write instead. Sources: the
Redshift Database Developer Guide (SQL functions reference, "Unsupported PostgreSQL
functions", data types) against DuckDB's function and syntax reference.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

from sqlfluff.core import FluffConfig, Linter
from sqlfluff.core.parser import Lexer


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


# Syntax: token patterns, each with the construct to name and the advice.
@dataclass(frozen=True)
class _Token:
    text: str  # lower-cased
    kind: str  # word, literal, symbol
    line: int
    column: int


SyntaxRule = Callable[[list[_Token], int], "tuple[str, str] | None"]


def _words(tokens: list[_Token], at: int, *expected: str) -> bool:
    """tokens[at:] start with exactly these texts."""
    if at + len(expected) > len(tokens):
        return False
    return all(tokens[at + i].text == text for i, text in enumerate(expected))


def _filter_clause(tokens: list[_Token], at: int) -> tuple[str, str] | None:
    if at and tokens[at - 1].text == ")" and _words(tokens, at, "filter", "(", "where"):
        return (
            "filter (where",
            "FILTER clause on an aggregate: Redshift has none; use "
            "count(case when <condition> then 1 end) or sum(case when ... end)",
        )
    return None


def _sequence(texts: tuple[str, ...], reason: str) -> SyntaxRule:
    def rule(tokens: list[_Token], at: int) -> tuple[str, str] | None:
        return (" ".join(texts), reason) if _words(tokens, at, *texts) else None

    return rule


def _star_replace(tokens: list[_Token], at: int) -> tuple[str, str] | None:
    if _words(tokens, at, "*", "replace", "("):
        return "* replace (", "DuckDB star modifier: Redshift has none; list the columns"
    return None


def _union_by_name(tokens: list[_Token], at: int) -> tuple[str, str] | None:
    if tokens[at].text != "union":
        return None
    start = at + 2 if _words(tokens, at + 1, "all") else at + 1
    if _words(tokens, start, "by", "name"):
        return "union by name", "DuckDB UNION BY NAME: Redshift matches columns by position"
    return None


def _adjacent_symbols(pair: str, reason: str) -> SyntaxRule:
    """Two one-character symbols written together (the lexer splits `//` and `**`)."""

    def rule(tokens: list[_Token], at: int) -> tuple[str, str] | None:
        if at + 1 >= len(tokens):
            return None
        first, second = tokens[at], tokens[at + 1]
        if (
            first.text + second.text == pair
            and first.line == second.line
            and second.column == first.column + 1
        ):
            return pair, reason
        return None

    return rule


def _arrow(tokens: list[_Token], at: int) -> tuple[str, str] | None:
    if tokens[at].text in ("->", "->>"):
        return (
            tokens[at].text,
            "DuckDB lambda or JSON arrow: Redshift has neither; use "
            "json_extract_path_text(...) or plain SQL",
        )
    return None


def _brace(tokens: list[_Token], at: int) -> tuple[str, str] | None:
    if tokens[at].text == "{":
        return "{", "DuckDB struct or map literal: Redshift has no STRUCT or MAP type"
    return None


# Keywords after which an expression starts, so a `[` there cannot be a subscript.
_EXPRESSION_STARTERS = {
    "select", "where", "and", "or", "not", "when", "then", "else", "in", "by", "on",
    "having", "is", "like", "between", "values", "distinct", "all", "any", "case",
}  # fmt: skip


def _list_literal(tokens: list[_Token], at: int) -> tuple[str, str] | None:
    # After an expression `[` is subscripting (SUPER navigation on Redshift too); anywhere
    # else it opens a DuckDB list literal.
    if tokens[at].text != "[":
        return None
    previous = tokens[at - 1] if at else None
    follows_expression = previous is not None and (
        (previous.kind == "word" and previous.text not in _EXPRESSION_STARTERS)
        or previous.text in (")", "]")
        or previous.text.startswith('"')
    )
    if follows_expression:
        return None
    return "[", "DuckDB list literal: Redshift has no LIST type; use separate rows or columns"


SYNTAX_RULES: tuple[SyntaxRule, ...] = (
    _filter_clause,
    _sequence(
        ("group", "by", "all"),
        "DuckDB GROUP BY ALL: Redshift needs the grouping columns listed",
    ),
    _sequence(("order", "by", "all"), "DuckDB ORDER BY ALL: list the ordering columns"),
    _sequence(
        ("distinct", "on"),
        "DISTINCT ON: Redshift has none; use row_number() over (partition by ...) = 1",
    ),
    _sequence(("asof", "join"), "DuckDB ASOF JOIN: join on a range and keep the latest row"),
    _sequence(("positional", "join"), "DuckDB POSITIONAL JOIN: join on a row key"),
    _sequence(("anti", "join"), "DuckDB ANTI JOIN: use left join ... where <key> is null"),
    _sequence(("semi", "join"), "DuckDB SEMI JOIN: use where exists (...)"),
    _union_by_name,
    _sequence(("using", "sample"), "DuckDB USING SAMPLE: Redshift has no sampling clause"),
    _sequence(("tablesample",), "TABLESAMPLE: Redshift has no sampling clause"),
    _star_replace,
    _adjacent_symbols("//", "DuckDB integer division: use floor(x / y) or cast to an integer"),
    _adjacent_symbols("**", "DuckDB power operator: use power(x, y)"),
    _arrow,
    _brace,
    _list_literal,
)


def _tokens(sql: str) -> list[_Token]:
    """Lexed tokens without whitespace and comments; string literals stay single tokens."""
    raw, _errors = _lexer().lex(sql)
    tokens = []
    for segment in raw:
        if segment.is_whitespace or segment.is_comment or segment.is_meta:
            continue
        if not segment.raw or segment.type in ("newline", "end_of_file"):
            continue
        text = segment.raw.lower()
        if segment.type == "word":
            kind = "word"
        elif segment.type == "literal" or text[:1] in ("'", '"'):
            kind = "literal"
        else:
            kind = "symbol"
        position = segment.pos_marker
        tokens.append(_Token(text, kind, position.working_line_no, position.working_line_pos))
    return tokens


def duckdb_only(sql: str) -> list[Finding]:
    """Every DuckDB-only function call, type and piece of syntax in `sql`, in order."""
    tokens = _tokens(sql)
    findings: list[Finding] = []
    for at, token in enumerate(tokens):
        following = tokens[at + 1] if at + 1 < len(tokens) else None
        preceding = tokens[at - 1] if at else None
        is_call = (
            token.kind == "word"
            and following is not None
            and following.text == "("
            and (preceding is None or preceding.text != ".")
        )
        if is_call and token.text in DENIED_FUNCTIONS:
            findings.append(Finding(token.line, f"{token.text}(", DENIED_FUNCTIONS[token.text]))
        for rule in SYNTAX_RULES:
            hit = rule(tokens, at)
            if hit is not None:
                findings.append(Finding(token.line, *hit))
    findings.extend(_cast_type_findings(tokens))
    return findings


def _cast_type_findings(tokens: list[_Token]) -> Iterator[Finding]:
    """The target type of every `x::type` and `cast(x as type)` checked against Redshift's."""
    cast_depths: list[int] = []  # paren depth inside each open cast(
    depth = 0
    for at, token in enumerate(tokens):
        if token.text == "(":
            depth += 1
            if at and tokens[at - 1].text in ("cast", "try_cast", "convert"):
                cast_depths.append(depth)
            continue
        if token.text == ")":
            if cast_depths and cast_depths[-1] == depth:
                cast_depths.pop()
            depth -= 1
            continue
        in_cast_as = token.text == "as" and cast_depths and cast_depths[-1] == depth
        if token.text == "::" or in_cast_as:
            data_type = _read_type(tokens, at + 1)
            problem = redshift_type_problem(data_type) if data_type else None
            if problem:
                yield Finding(token.line, f"{token.text} {data_type}", problem)


def _read_type(tokens: list[_Token], start: int) -> str:
    """The type written from tokens[start]: its name, then an optional (n[, m])."""
    if start >= len(tokens) or tokens[start].kind != "word":
        return ""
    words = [tokens[start].text]
    at = start + 1
    # Multi-word names (double precision, timestamp with time zone...) grow while they
    # still begin a known type; anything else (an alias after `as`) ends the type.
    while at < len(tokens) and tokens[at].kind == "word":
        longer = " ".join([*words, tokens[at].text])
        if not any(known.startswith(longer) for known in _REDSHIFT_TYPES):
            break
        words.append(tokens[at].text)
        at += 1
    text = " ".join(words)
    if at < len(tokens) and tokens[at].text == "(":
        close = at
        while close < len(tokens) and tokens[close].text != ")":
            close += 1
        text += "(" + "".join(t.text for t in tokens[at + 1 : close]) + ")"
    return text


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
