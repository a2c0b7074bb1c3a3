"""The generator's command line: determinism, options, errors and atomic replacement."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from conftest import DEFAULT_SEED, PROJECT_ROOT, command, run_generator


def file_hashes(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_help_explains_every_option() -> None:
    result = run_generator("--help")
    assert result.returncode == 0
    for option in ("--transactions", "--seed", "--output", "--skip-if-current", "--quiet"):
        assert option in result.stdout
    assert "default: 50,000" in result.stdout
    assert f"default: {DEFAULT_SEED}" in result.stdout


def test_same_options_give_identical_bytes(default_dataset: Path, tmp_path: Path) -> None:
    result = run_generator("--output", str(tmp_path / "again"))
    assert result.returncode == 0, result.stderr
    assert file_hashes(tmp_path / "again") == file_hashes(default_dataset)


def test_another_seed_gives_other_data(default_dataset: Path, tmp_path: Path) -> None:
    result = run_generator("--seed", "7", "--output", str(tmp_path / "seed7"))
    assert result.returncode == 0, result.stderr
    ours, theirs = file_hashes(default_dataset), file_hashes(tmp_path / "seed7")
    assert ours.keys() == theirs.keys()
    changed = [name for name in ours if name.endswith(".parquet") and ours[name] != theirs[name]]
    # Every transaction and indicator file differs; only the manifest's shape is shared.
    assert len(changed) == len([name for name in ours if name.endswith(".parquet")])
    manifest = json.loads((tmp_path / "seed7" / "_manifest.json").read_text())
    assert manifest["rows"]["transactions"] == 50_000


def test_transactions_option_sets_the_volume(tmp_path: Path) -> None:
    result = run_generator("--transactions", "1_234", "--output", str(tmp_path / "small"))
    assert result.returncode == 0, result.stderr
    assert "1,234 transactions" in result.stdout
    manifest = json.loads((tmp_path / "small" / "_manifest.json").read_text())
    assert manifest["rows"]["transactions"] == 1_234
    assert sum(n for f, n in manifest["files"].items() if f.startswith("transactions/")) == 1_234


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--transactions", "-5"], "argument --transactions: must be at least 1, got -5"),
        (["--transactions", "0"], "argument --transactions: must be at least 1, got 0"),
        (["--transactions", "lots"], "argument --transactions: expected a whole number"),
        (["--seed", "-1"], "argument --seed: must be 0 or more, got -1"),
        (["--colour", "red"], "unrecognized arguments: --colour red"),
    ],
)
def test_bad_options_get_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = run_generator(*args, "--output", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_unwritable_output_gets_one_line_and_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run_generator("--output", str(blocker / "raw"))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"cannot write to {blocker}" in result.stderr
    assert blocker.read_text() == "not a directory"


def test_output_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "raw"
    target.write_text("keep me")
    result = run_generator("--output", str(target))
    assert result.returncode == 1
    assert "exists and is not a directory" in result.stderr
    assert target.read_text() == "keep me"


def test_a_foreign_directory_is_never_replaced(tmp_path: Path) -> None:
    target = tmp_path / "important"
    target.mkdir()
    (target / "thesis.docx").write_text("years of work")
    result = run_generator("--transactions", "100", "--output", str(target))
    assert result.returncode == 1
    assert "refusing to replace" in result.stderr
    assert "_manifest.json" in result.stderr
    assert (target / "thesis.docx").read_text() == "years of work"


def test_skip_if_current_leaves_current_data_alone(tmp_path: Path) -> None:
    output = tmp_path / "raw"
    assert run_generator("--transactions", "500", "--output", str(output)).returncode == 0
    before = {p: p.stat().st_mtime_ns for p in output.rglob("*")}
    result = run_generator("--transactions", "500", "--output", str(output), "--skip-if-current")
    assert result.returncode == 0
    assert "is current" in result.stdout
    assert {p: p.stat().st_mtime_ns for p in output.rglob("*")} == before
    # Different options are not current: the dataset is regenerated.
    result = run_generator("--transactions", "600", "--output", str(output), "--skip-if-current")
    assert result.returncode == 0
    assert json.loads((output / "_manifest.json").read_text())["rows"]["transactions"] == 600


def test_regeneration_replaces_the_dataset_whole(tmp_path: Path) -> None:
    output = tmp_path / "raw"
    assert run_generator("--transactions", "500", "--output", str(output)).returncode == 0
    (output / "transactions" / "stray.parquet").write_text("left over")
    assert run_generator("--transactions", "700", "--output", str(output)).returncode == 0
    assert not (output / "transactions" / "stray.parquet").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["raw"]  # no temporary leftovers


def _start_large_run(output: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [command("lending-generate"), "--transactions", "8_000_000", "--output", str(output)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell without job control starts background commands with SIGINT ignored, and
        # the run would inherit that and never see the test's Ctrl-C: give it the default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for_partial_output(parent: Path, process: subprocess.Popen[str]) -> Path:
    """Block until the run has written some partitions into its temporary directory."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for staging in parent.glob(".raw.tmp-*"):
            if len(list(staging.glob("transactions/year=*/month=*/*.parquet"))) >= 3:
                return staging
        assert process.poll() is None, "the run finished before it could be interrupted"
        time.sleep(0.02)
    raise AssertionError("no partial output appeared")


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_an_interrupted_run_leaves_the_previous_dataset_intact(
    tmp_path: Path, how: signal.Signals
) -> None:
    output = tmp_path / "raw"
    assert run_generator("--transactions", "2_000", "--output", str(output)).returncode == 0
    before = file_hashes(output)

    process = _start_large_run(output)
    staging = _wait_for_partial_output(tmp_path, process)
    process.send_signal(how)
    _, stderr = process.communicate(timeout=60)

    assert file_hashes(output) == before
    if how == signal.SIGINT:
        assert process.returncode == 130
        assert "interrupted" in stderr
        assert f"{output} was left as it was" in stderr
        assert not staging.exists()  # cleaned up on the way out
    else:
        assert process.returncode == -signal.SIGKILL
        # A killed run cannot clean up; the next run removes its leftovers.
        assert staging.exists()
        assert run_generator("--transactions", "100", "--output", str(output)).returncode == 0
        assert not staging.exists()


@pytest.mark.slow
def test_large_runs_show_progress(tmp_path: Path) -> None:
    result = run_generator("--transactions", "1_000_000", "--output", str(tmp_path / "big"))
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if "transactions: month" in line]
    assert len(progress) >= 5
    assert progress[-1].startswith("  transactions: month 68/68, 1,000,000 rows (100%)")
    assert "--quiet" not in result.stderr
    quiet = run_generator("--transactions", "1_000_000", "--output", str(tmp_path / "q"), "--quiet")
    assert quiet.returncode == 0
    assert quiet.stdout == quiet.stderr == ""


def test_appending_a_month_keeps_every_existing_partition(tmp_path: Path) -> None:
    """--append-month adds September 2024: every transactions and demographics partition
    keeps its bytes and its time of writing (a build finds what was delivered again by
    size and time), 2024's indicators file grows (by September's rows), and the loans
    file is delivered again where September changed it (its new loans' signing years, a
    restructuring)."""
    output = tmp_path / "raw"
    assert run_generator("--transactions", "3_000", "--output", str(output)).returncode == 0
    before = file_hashes(output)
    written = {p.relative_to(output): p.stat().st_mtime_ns for p in output.rglob("*.parquet")}
    result = run_generator("--append-month", "2024-09", "--output", str(output))
    assert result.returncode == 0, result.stderr
    after = file_hashes(output)
    changed = {name for name in before if after[name] != before[name]}
    assert "loans/year=2024/part-0.parquet" in changed
    loans = {name for name in changed if name.startswith("loans/")}
    assert changed - loans == {"_manifest.json", "economic_indicators/year=2024/part-0.parquet"}
    rewritten = {
        name.as_posix()
        for name, time in written.items()
        if (output / name).stat().st_mtime_ns != time
    }
    assert rewritten == {"economic_indicators/year=2024/part-0.parquet", *loans}
    assert set(after) - set(before) == {"transactions/year=2024/month=09/part-0.parquet"}
    with duckdb.connect() as con:
        orphans = con.execute(
            f"""
            with rows as (
                select * from read_parquet('{output}/transactions/**/*.parquet')
            )
            select count(*) from rows as payment
            where payment.transaction_at >= timestamp '2024-09-01'
                and payment.transaction_type != 'disbursement'
                and not exists (
                    select 1 from rows as disbursement
                    where disbursement.loan_id = payment.loan_id
                        and disbursement.transaction_type = 'disbursement'
                        and disbursement.status = 'completed'
                        and disbursement.transaction_at < timestamp '2024-09-01'
                )
                and payment.loan_id not in (
                    select loan_id from read_parquet('{output}/loans/**/*.parquet')
                    where disbursed_before_window > 0
                )
            """
        ).fetchone()[0]
    assert orphans == 0  # September's payments service loans disbursed before it
