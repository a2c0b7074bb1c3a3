"""`make docs-serve` serves the docs site and nothing else of target/: not the compiled SQL,
the run results or the Airflow runs' artifacts, which sit beside it (it used to serve all
of target/). Run on a copy of the project with a target/ of placeholder files; no build."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import PROJECT_ROOT, copy_project

SITE = {"index.html": "<html>the site</html>", "manifest.json": "{}", "catalog.json": "{}"}
NOT_SITE = [
    "run_results.json",
    "compiled/lending_research/models/marts/fct_transactions.sql",
    "airflow/runs/manual__1/run_results.json",
    "airflow/run_metrics.jsonl",
]


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_only_the_docs_site_is_served(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    for name in [*SITE, *NOT_SITE]:
        (project / "target" / name).parent.mkdir(parents=True, exist_ok=True)
        (project / "target" / name).write_text(SITE.get(name, "not for the docs site"))
    port = free_port()
    server = subprocess.Popen(
        # -o: the copy's requirements files are newer than the venv's stamp; no reinstall.
        ["make", "-o", ".venv/.runtime-installed", "docs-serve", f"DOCS_PORT={port}"],
        cwd=project,
        env={k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MAKE"))},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/catalog.json", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "docs-serve did not answer in 60 s"
                time.sleep(0.5)
        for name in SITE:
            assert status(f"{base}/{name}") == 200, name
        for name in NOT_SITE:
            assert status(f"{base}/{name}") == 404, name
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
