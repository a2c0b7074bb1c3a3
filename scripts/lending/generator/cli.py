"""Generate the bank's sample data as Hive-partitioned Parquet.

Writes four datasets under --output:

  economic_indicators/year=YYYY/part-0.parquet            8 indicators x 10 countries x 69 months
  demographics/year=YYYY/part-0.parquet                   10 countries x 6 years
  transactions/year=YYYY/month=MM/part-0.parquet          --transactions loan transactions
  loans/year=YYYY/part-0.parquet                          the loan book, by signing year

plus _manifest.json (options, row counts, files). The same options always produce the
same bytes. The dataset is written to a temporary sibling directory and swapped in at the
end, so an interrupted run leaves the previous dataset as it was; the swap into the folder
the build reads waits for a running build (lending.locking). Only a folder this generator
wrote is ever replaced: its manifest in the generator's format, nothing else in it. An s3://bucket/prefix
output is generated locally, then published there in the same layout (lending-publish).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

from lending.cli import fail
from lending.generator.dataset import (
    DatasetError,
    Options,
    Progress,
    clean_up_after_dead_runs,
    generate,
    is_current,
    options_for_appending,
)
from lending.locking import LockError, restrict_new_files
from lending.settings import raw_data_path

PROG = "lending-generate"
DEFAULT_SEED = 20240831
DEFAULT_TRANSACTIONS = 50_000
# Below this many transactions a run takes about a second: progress would only be noise.
PROGRESS_THRESHOLD = 1_000_000
# Above this, defective rows would crowd out the clean ones they are meant to stand out from.
MAX_DEFECT_RATE = 0.2


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a bad option gets one line on stderr instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


Number = TypeVar("Number", int, float)


def _checked(
    parse: Callable[[str], Number], expected: str, allowed: Callable[[Number], bool], bound: str
) -> Callable[[str], Number]:
    """An argparse type: the text parsed, then held to its bound, each error naming what
    was given."""

    def convert(text: str) -> Number:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not allowed(value):
            raise argparse.ArgumentTypeError(f"{bound}, got {value}")
        return value

    return convert


positive_int = _checked(
    lambda text: int(text.replace("_", "")),
    "a whole number",
    lambda n: n >= 1,
    "must be at least 1",
)
non_negative_int = _checked(int, "a whole number", lambda n: n >= 0, "must be 0 or more")
defect_rate = _checked(
    float,
    "a number",
    lambda rate: 0 <= rate <= MAX_DEFECT_RATE,
    f"must be between 0 and {MAX_DEFECT_RATE}",
)


def output_location(text: str) -> Path | str:
    """A local folder, or an s3:// URI kept as text (a Path would fold its '//')."""
    return text if text.startswith("s3://") else Path(text)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog=PROG,
        description=__doc__.split("\n\n")[0],
        epilog=(
            "Examples:\n"
            "  lending-generate                       # the default dataset\n"
            "  lending-generate --transactions 10_000_000 --output /tmp/big\n"
            "  lending-generate --seed 7 --output /tmp/other-seed\n"
            "  lending-generate --output s3://lending-lake/raw"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--transactions",
        type=positive_int,
        metavar="N",
        help=f"number of loan transactions, January 2019 to August 2024 "
        f"(default: {DEFAULT_TRANSACTIONS:,}; underscores allowed, e.g. 10_000_000)",
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        metavar="S",
        help=f"random seed; the same seed and options give byte-identical files "
        f"(default: {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--output",
        type=output_location,
        default=raw_data_path(),
        metavar="DIR",
        help="dataset directory, replaced as a whole when the run succeeds, or "
        "s3://bucket/prefix to publish there (default: data/raw)",
    )
    parser.add_argument(
        "--defect-rate",
        type=defect_rate,
        metavar="R",
        help="share of rows to corrupt on purpose, every kind of defect the validation "
        "layer rejects, dealt out deterministically; what was injected is recorded in "
        "DIR/_injected_defects.parquet (default: 0, clean data)",
    )
    parser.add_argument(
        "--append-month",
        metavar="YYYY-MM",
        help="add the month after the last one to the dataset in DIR, with the options it "
        "was generated with (a new transactions partition, that month's indicators, and a "
        "new demographics year when the year changes); every existing partition keeps its "
        "bytes, so an incremental build has exactly one new month to process",
    )
    parser.add_argument(
        "--skip-if-current",
        action="store_true",
        help="do nothing when DIR already holds data from these options and this "
        "version of the generator (used by `make run`)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def _progress_printer(total_rows: int) -> Callable[[Progress], None]:
    def show(progress: Progress) -> None:
        percent = 100 * progress.rows_written / total_rows
        end = "\n" if progress.months_done == progress.months_total else "\r"
        if not sys.stderr.isatty() and progress.months_done % 12 and end == "\r":
            return  # in logs, one line a year of data is enough
        print(
            f"  transactions: month {progress.months_done}/{progress.months_total}, "
            f"{progress.rows_written:,} rows ({percent:.0f}%), "
            f"{progress.elapsed_seconds:.1f} s",
            end=end if sys.stderr.isatty() else "\n",
            file=sys.stderr,
            flush=True,
        )

    return show


def resolve_options(args: argparse.Namespace) -> Options:
    if args.append_month is None:
        return Options(
            seed=DEFAULT_SEED if args.seed is None else args.seed,
            transactions=args.transactions or DEFAULT_TRANSACTIONS,
            defect_rate=args.defect_rate or 0.0,
        )
    given = [
        option
        for option, value in (
            ("--seed", args.seed),
            ("--transactions", args.transactions),
            ("--defect-rate", args.defect_rate),
        )
        if value is not None
    ]
    if given:
        raise DatasetError(
            f"--append-month keeps the dataset's own options; drop {', '.join(given)}"
        )
    if not isinstance(args.output, Path):
        raise DatasetError(
            "--append-month works on a local dataset: append there, then publish it to S3"
        )
    return options_for_appending(args.output, args.append_month)


def _is_current(output: Path | str, options: Options) -> bool:
    if isinstance(output, Path):
        return is_current(output, options)
    from lending.publish.s3 import remote_is_current

    return remote_is_current(output, options)


def _write(
    output: Path | str, options: Options, on_progress: Callable[[Progress], None] | None
) -> dict:
    """Generate into a local folder, or generate and publish to an s3:// URI."""
    if isinstance(output, Path):
        return generate(output, options, on_progress=on_progress)
    from lending.publish.s3 import generate_to_s3

    return generate_to_s3(output, options, on_progress=on_progress)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    restrict_new_files()  # the dataset's folders and files are owner-only
    if isinstance(args.output, Path):
        # Before anything reads the dataset: a run killed mid-swap may have left it
        # renamed away.
        try:
            clean_up_after_dead_runs(args.output.resolve())
        except OSError as error:
            return fail(PROG, f"{args.output}: {error}")
    try:
        options = resolve_options(args)
    except DatasetError as error:
        return fail(PROG, error, status=2)
    show_progress = not args.quiet and options.transactions >= PROGRESS_THRESHOLD
    try:
        if args.skip_if_current and _is_current(args.output, options):
            if not args.quiet:
                print(
                    f"Data in {args.output} is current (seed {options.seed}, "
                    f"{options.transactions:,} transactions); not regenerating."
                )
            return 0
        manifest = _write(
            args.output,
            options,
            on_progress=_progress_printer(options.transactions) if show_progress else None,
        )
    except (DatasetError, LockError) as error:
        return fail(PROG, error)
    except KeyboardInterrupt:
        outcome = (
            "was left as it was"
            if isinstance(args.output, Path)
            # The old _manifest.json stays until every new file is up: rerun to finish.
            else "keeps its previous manifest; run again to finish publishing"
        )
        print(f"{PROG}: interrupted; {args.output} {outcome}", file=sys.stderr)
        return 130
    if not args.quiet:
        rows = manifest["rows"]
        print(
            f"Wrote {sum(rows.values()):,} rows to {args.output}: "
            f"{rows['economic_indicators']:,} economic indicators, "
            f"{rows['demographics']:,} demographics, {rows['transactions']:,} transactions "
            f"to {options.last_month} and {rows['loans']:,} loans (seed {options.seed})."
        )
        if "injected_defects" in manifest:
            injected = manifest["injected_defects"]["rows"]
            print(
                f"Injected {sum(sum(r.values()) for r in injected.values()):,} defective rows "
                f"(rate {options.defect_rate}); see {args.output}/_injected_defects.parquet."
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
