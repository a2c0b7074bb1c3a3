"""The benchmark's results as Markdown tables, for the terminal and the README."""

from __future__ import annotations

from lending.bench.targets import size_label

MET = {True: "met", False: "NOT met", None: "not measured"}


def markdown(header: list[str], align: str, rows: list[list[str]]) -> list[str]:
    """A Markdown table; `align` has one letter per column, l(eft) or r(ight)."""
    rule = ["---:" if a == "r" else "---" for a in align]
    return ["| " + " | ".join(cells) + " |" for cells in (header, rule, *rows)]


def targets_table(rows: list[dict]) -> str:
    cells = [
        [r["target"], r["shown"]["measured"], r["shown"]["target"], MET[r["met"]], r["how"]]
        for r in rows
    ]
    header = ["target", "measured", "target", "met?", "how measured"]
    return "\n".join(markdown(header, "lrrll", cells))


def systems_table(results: list[dict]) -> str:
    rows = []
    for result in results:
        for system, median in result["medians"].items():
            parts = {k: v for k, v in median.items() if k not in {"seconds", "peak_mib"}}
            rows.append(
                [
                    size_label(result["transactions"]),
                    system,
                    f"{median['seconds']:.2f}",
                    f"{median['peak_mib']:,.0f}",
                    ", ".join(f"{k} {v:.1f}s" for k, v in parts.items()),
                ]
            )
    header = ["transactions", "system", "median s", "peak MiB", "detail"]
    return "\n".join(markdown(header, "rlrrl", rows))


def ratios_table(results: list[dict]) -> str:
    rows = [
        [
            size_label(result["transactions"]),
            name,
            f"{value:,.0f}" if "per second" in name else f"{value:.2f}",
        ]
        for result in results
        for name, value in result["ratios"].items()
    ]
    return "\n".join(markdown(["transactions", "ratio", "value"], "rlr", rows))


def nodes_table(result: dict) -> str:
    """The slowest nodes of the full and of the incremental build, side by side."""
    full = result["slowest_nodes"]["full build"]
    incremental = result["slowest_nodes"]["incremental"]
    rows = []
    for rank in range(max(len(full), len(incremental))):
        row = [str(rank + 1)]
        for nodes in (full, incremental):
            name, seconds = nodes[rank] if rank < len(nodes) else ("", None)
            row += [f"`{name}`" if name else "", "" if seconds is None else f"{seconds:.2f}"]
        rows.append(row)
    header = ["#", "full build: node", "s", "incremental: node", "s"]
    return "\n".join(markdown(header, "rlrlr", rows))
