"""Check YAML files parse, with no key given twice in one mapping.

PyYAML (and so dbt) silently keeps the last of two equal keys: a second `columns:` or
`data_tests:` under a model would quietly drop the first. Used by the pre-commit hook;
with no arguments it checks every *.yml and *.yaml outside build folders.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

SKIPPED = {".git", ".venv", "target", "logs", "data", "dbt_packages"}


class _UniqueKeyLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[object, int] = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice (first on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def problems_in(path: Path) -> list[str]:
    try:
        list(yaml.load_all(path.read_text(), Loader=_UniqueKeyLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        return [f"{path}{line}: {error.problem or error}"]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return [f"{path}: {error}"]
    return []


def yaml_files(root: Path) -> list[Path]:
    return sorted(
        path
        for pattern in ("*.yml", "*.yaml")
        for path in root.rglob(pattern)
        if not SKIPPED & set(path.relative_to(root).parts)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="check_yaml.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="default: every YAML file here")
    args = parser.parse_args(argv)
    files = args.files or yaml_files(Path.cwd())
    problems = [problem for path in files for problem in problems_in(path)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
