{#
    The relation a data test reads: dbt's filtered relation for tests with a `where:`
    config, extended in two ways.

    - The filter may name the tested model itself as `__this__`.
    - A model whose meta names a `run_stamp` (the column holding when the run that wrote
      a row started: an incremental model's) is tested on the rows the run wrote, so a
      build pays for what changed, not for the whole history: in `dbt build`, the rows of
      this run (none when nothing changed); in a `dbt test` of its own, those of the
      latest run. A primary_key test reads more: the rows of this run and every other row
      holding one of their keys, so a key repeated across runs is still found.
      `--vars '{check_history: true}'` (`make check-history`) tests every row, and so
      does a build that reads a model it did not build (a partial or deferred build, as in
      CI: that model's rows are of another run, so "this run's rows" would compare
      different runs).
#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set written = _rows_of_this_run(relation) -%}
    {%- set rows = '(' ~ written ~ ')' if written else relation -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ rows ~ ' as filtered where '
            ~ where | replace('__this__', relation) ~ ') dbt_subquery') -%}
    {%- elif written -%}
        {%- do return(rows ~ ' dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}


{#- A select of the rows of `relation` this run wrote (see above), or '' for every row. -#}
{% macro _rows_of_this_run(relation) -%}
    {%- if not _tests_this_run() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) -%}
    {%- set stamp = tested.config.meta.get('run_stamp') if tested else none -%}
    {%- if not stamp -%}
        {{ return('') }}
    {%- endif -%}
    {%- set this_run = _this_run(stamp, relation) -%}
    {%- set written = 'select * from ' ~ relation ~ ' as tested where tested.' ~ stamp ~ ' = '
        ~ this_run -%}
    {%- set test_name = model.test_metadata.name if model.test_metadata else none -%}
    {%- set key = model.test_metadata.kwargs.get('columns', []) if test_name == 'primary_key'
        else [] -%}
    {%- if not key or stamp in key -%}
        {{ return(written) }}
    {%- endif -%}
    {%- set same_key = [] -%}
    {%- for column in key -%}
        {%- do same_key.append('written.' ~ column ~ ' = tested.' ~ column) -%}
    {%- endfor -%}
    {#- A union, not `or exists`: the rows of other runs are probed against this run's keys
        (few), and on a full refresh, where every row is this run's, none is. -#}
    {{ return(written ~ ' union all select * from ' ~ relation ~ ' as tested where tested.'
        ~ stamp ~ ' != ' ~ this_run ~ ' and exists (select 1 from ' ~ relation
        ~ ' as written where written.' ~ stamp ~ ' = ' ~ this_run ~ ' and '
        ~ same_key | join(' and ') ~ ')') }}
{%- endmacro %}


{#- When this run started, as the timestamp the incremental models stamp their rows with. -#}
{% macro this_run_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
{%- endmacro %}


{#-
    For singular tests over incremental models: the condition that keeps the rows of
    `relation` this run wrote, by its stamp `column` (qualified as the test's query needs),
    as get_where_subquery does for generic tests; `1 = 1` in `make check-history`.
-#}
{% macro in_this_run(column, relation) -%}
    {%- if not _tests_this_run() -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {{ return(column ~ ' = ' ~ _this_run(column.split('.') | last, relation)) }}
{%- endmacro %}


{#- Whether the test being compiled reads only the rows of one run (see the top). -#}
{% macro _tests_this_run() -%}
    {%- if not execute or var('check_history', false) or model.resource_type != 'test' -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if flags.WHICH in ('build', 'run', 'retry') -%}
        {%- for parent in model.depends_on.nodes if parent.startswith('model.')
            and parent not in selected_resources -%}
            {{ return(false) }}
        {%- endfor -%}
    {%- endif -%}
    {{ return(true) }}
{%- endmacro %}


{#- When the run whose rows are tested started: this one in `dbt build`, else the latest. -#}
{% macro _this_run(stamp, relation) -%}
    {%- if flags.WHICH in ('build', 'run', 'retry') -%}
        {{ return(this_run_timestamp()) }}
    {%- endif -%}
    {{ return('(select max(' ~ stamp ~ ') from ' ~ relation ~ ')') }}
{%- endmacro %}
