"""The Redshift SQL rules on their own: the deny lists (over sqlglot's tree), the type rules
and the parser."""

from __future__ import annotations

import pytest

from lending.checks.redshift_sql import (
    DENIED_FUNCTIONS,
    DENIED_SYNTAX,
    duckdb_only,
    parse_problems,
    redshift_type_problem,
)


def constructs(sql: str) -> list[str]:
    return [finding.construct for finding in duckdb_only(sql)]


PORTABLE = """
with

transactions as (

    select
        country_code,
        cast(amount as numeric(18, 2)) as amount_local,
        cast(rate as double precision) as local_per_usd,
        amount::decimal(18, 2) as amount_decimal,
        cast(date_trunc('month', transaction_at) as date) as month_start_date,
        count(case when status = 'completed' then 1 end) over () as completed_count,
        listagg(country_code, ',') within group (order by country_code) over () as codes,
        row_number() over (partition by country_code order by transaction_at) as position
    from "analytics"."bank_lake"."transactions"
    where status in ('completed', 'failed') and note like '%list_value(%'

)

select * exclude (position) from transactions order by name
"""


def test_portable_sql_passes_every_rule() -> None:
    assert duckdb_only(PORTABLE) == []
    assert parse_problems(PORTABLE) == []


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("select count(*) filter (where x > 1) as n from t", "filter (where"),
        ("select sum(a) filter(where b) as s from t", "filter (where"),
        ("select * from read_parquet('data/raw/*.parquet')", "read_parquet("),
        ("select list_value(1, 2) as l", "list_value("),
        ("select struct_pack(a := 1) as s", "struct_pack("),
        ("select string_agg(code, ',') as codes from t", "string_agg("),
        ("select arg_max(a, b) as a from t", "arg_max("),
        ("select strftime(at, '%Y') as y from t", "strftime("),
        ("select epoch_ms(1) as t", "epoch_ms("),
        ("select a, count(*) as n from t group by all", "group by all"),
        ("select a from t order by all", "order by all"),
        ("select distinct on (a) a, b from t", "distinct on"),
        ("select * from t asof join u on t.at >= u.at", "asof join"),
        ("select a from t union all by name select a from u", "union by name"),
        ("select * replace (a + 1 as a) from t", "* replace ("),
        ("select a // 2 as half from t", "//"),
        ("select a ** 2 as square from t", "**"),
        ("select (a + 1) ** 2 as square from t", "**"),
        ("select [1, 2, 3] as l", "["),
        ("select {'k': 1} as s", "{"),
        ("select list_transform(l, x -> x + 1) as l from t", "->"),
        ("select cast(a as double) as d from t", "as double"),
        ("select a::hugeint as h from t", ":: hugeint"),
        ("select cast(a as ubigint) as u from t", "as ubigint"),
        ("select cast(a as varchar(70000)) as v from t", "as varchar(70000)"),
    ],
)
def test_each_duckdb_only_construct_is_named(sql: str, construct: str) -> None:
    assert construct in constructs(sql)


@pytest.mark.parametrize("name", sorted(DENIED_FUNCTIONS))
def test_every_denied_function_is_named_at_its_line(name: str) -> None:
    # Whatever node sqlglot makes of the call, the finding names it as it was written.
    for arguments in ("a", "a, b", "a, b, c", "", "a as integer"):
        sql = f"select\n    1 as one,\n    {name}({arguments}) as x\nfrom t"
        found = [f for f in duckdb_only(sql) if f.construct == f"{name}("]
        if found:
            assert found[0].line == 3
            assert found[0].reason == DENIED_FUNCTIONS[name]
            return
    pytest.fail(f"{name}() is never reported")


@pytest.mark.parametrize(
    "portable",
    [
        "select listagg(code, ',') within group (order by code) as codes from t",
        "select listagg(code, ',') as codes from t",
        "select coalesce(a, b) as c, nvl(a, b) as d from t",
        "select percentile_cont(0.5) within group (order by a) as median from t",
        "select power(a, 2) as square, a ^ 2 as also_square from t",
        "select length(a) as n, len(a) as m from t",
        "select cast(a as double precision) as d, a::float8 as e from t",
        "select cast(a as varchar(65535)) as v, a::numeric(38, 2) as n from t",
        "select case when a then 1 else 0 end as flag from t",
        "select row_number() over (partition by a order by b) as r from t order by a",
        "select a from t union all select a from u",
        "select * from t left join u on t.a = u.a",
        "select json_extract_path_text(j, 'k') as v from t",
    ],
)
def test_portable_spellings_of_the_same_node_pass(portable: str) -> None:
    # sqlglot makes one node of string_agg() and listagg(), ifnull() and coalesce(),
    # quantile_cont() and percentile_cont(), `**` and `^`, double and double precision.
    assert duckdb_only(portable) == []


def test_clause_constructs_are_named_at_their_own_line() -> None:
    sql = (
        "select\n    a,\n    count(*) as n\nfrom t\ngroup by all\norder by all;\n"
        "select a from t\nunion all by name\nselect a from u"
    )
    assert [(f.line, f.construct) for f in duckdb_only(sql)] == [
        (5, "group by all"),
        (6, "order by all"),
        (8, "union by name"),
    ]


def test_every_syntax_rule_names_its_construct_and_advice() -> None:
    assert all(rule.name and rule.advice.strip() for rule in DENIED_SYNTAX)


def test_spectrum_ddl_is_left_to_the_redshift_parser() -> None:
    # sqlglot's DuckDB cannot read Redshift's external-table DDL: no finding, no error.
    ddl = (
        'create external schema if not exists "bank_lake" from data catalog '
        "database 'raw' iam_role 'arn:aws:iam::123456789012:role/spectrum';\n"
        "select read_parquet('x') as r"
    )
    assert [(f.line, f.construct) for f in duckdb_only(ddl)] == [(2, "read_parquet(")]


def test_findings_carry_the_line_and_the_advice() -> None:
    (finding,) = duckdb_only("select\n    a,\n    count(*) filter (where b) as n\nfrom t")
    assert finding.line == 3
    assert "count(case when" in finding.reason
    assert str(finding).startswith("line 3: `filter (where`")


def test_words_in_strings_comments_and_quoted_names_are_not_calls() -> None:
    sql = """
        select
            'read_parquet(x)' as a,            -- read_parquet(, group by all
            "list_value" as b,                 /* string_agg( */
            t.first as c,
            arr[1] as d,
            (a)[1] as e
        from t
        order by name
    """
    assert constructs(sql) == []


def test_a_qualified_method_is_not_a_denied_function() -> None:
    # schema.function() is a user-defined function, not DuckDB's builtin of the same name.
    assert constructs("select my_udfs.range(1) as r") == []


def test_the_deny_list_gives_advice_for_every_entry() -> None:
    assert all(reason.strip() for reason in DENIED_FUNCTIONS.values())
    # Functions Redshift has must never be denied.
    for redshift_function in ("listagg", "coalesce", "nvl", "date_trunc", "datediff", "md5"):
        assert redshift_function not in DENIED_FUNCTIONS


@pytest.mark.parametrize(
    "data_type",
    [
        "bigint",
        "integer",
        "smallint",
        "double precision",
        "float8",
        "numeric(38,2)",
        "decimal(18, 2)",
        "varchar(3)",
        "varchar(65535)",
        "varchar(max)",
        "character varying(64)",
        "boolean",
        "date",
        "timestamp",
        "timestamptz",
        "super",
    ],
)
def test_redshift_types_are_accepted(data_type: str) -> None:
    assert redshift_type_problem(data_type, need_string_length=True) is None


@pytest.mark.parametrize(
    ("data_type", "words"),
    [
        ("double", "double precision"),
        ("hugeint", "numeric(38, 0)"),
        ("ubigint", "unsigned"),
        ("tinyint", "smallint"),
        ("string", "varchar"),
        ("blob", "varbyte"),
        ("struct(a integer)", "STRUCT"),
        ("integer[]", "array"),
        ("varchar(0)", "1 to 65535"),
        ("varchar(65536)", "1 to 65535"),
        ("numeric(39,2)", "1 to 38"),
    ],
)
def test_other_types_are_rejected_with_advice(data_type: str, words: str) -> None:
    problem = redshift_type_problem(data_type)
    assert problem is not None
    assert words in problem


def test_created_string_columns_need_a_length() -> None:
    assert redshift_type_problem("varchar") is None  # fine in a cast
    problem = redshift_type_problem("varchar", need_string_length=True)
    assert problem is not None
    assert "varchar(256)" in problem


def test_spectrum_ddl_parses_including_add_partition() -> None:
    ddl = """
create external schema if not exists "bank_lake"
from data catalog
database 'lending_research_raw'
iam_role 'arn:aws:iam::123456789012:role/spectrum'
create external database if not exists;

create external table "bank_lake"."transactions" (
    "transaction_id" bigint,
    "amount" decimal(18,2)
)
partitioned by ("year" integer, "month" integer)
stored as parquet
location 's3://lake/raw/transactions/';

alter table "bank_lake"."transactions" add if not exists
partition (year=2024, month=1) location 's3://lake/raw/transactions/year=2024/month=01/'
partition (year=2024, month=2) location 's3://lake/raw/transactions/year=2024/month=02/';

select 1 as one
"""
    assert parse_problems(ddl) == []


def test_a_malformed_statement_is_reported_at_its_own_line() -> None:
    sql = (
        "select 1 as one;\n"
        "alter table bank_lake.transactions add if not exists\n"
        "partition (year=2024) 's3://lake/no-location-keyword/';\n"
        "select 2 as two"
    )
    problems = parse_problems(sql)
    assert problems, "a partition without LOCATION is not Redshift SQL"
    assert problems[0].line == 2
    assert "does not parse as Redshift SQL" in problems[0].reason
