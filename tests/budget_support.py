"""Helpers for the budget-guard tests: a throwaway PostgreSQL server, the ledger accounting check, a worker.

The server comes from the Debian `postgresql` package (`.ci/run` installs it): initdb + pg_ctl in a temp
folder on a free port, as the `postgres` user when the tests run as root (the server refuses root). When
it cannot be started the PostgreSQL tests skip with the reason.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    exe = shutil.which("pg_ctl")
    return Path(exe).parent if exe else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a postgresql:// URL of a fresh server; pytest.skip with a reason when there is none."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[postgres]')")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (Debian package `postgresql`; .ci/run installs it)")
    workdir = Path(tempfile.mkdtemp(prefix="costctl-pg-"))
    data = workdir / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        runuser = shutil.which("runuser")
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            runuser = None
        if runuser is None:
            pytest.skip("running as root without a `postgres` user to start the server as")
        shutil.chown(workdir, "postgres")
        os.chmod(workdir, 0o700)
        prefix = [runuser, "-u", "postgres", "--"]
    port = _free_port()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)

    init = run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "costctl", "--no-sync")
    if init.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.skip(f"initdb failed: {init.stderr.strip()[-300:]}")
    opts = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
    start = run(
        str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(workdir / "log"), "-w", "start"
    )
    if start.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.skip(f"pg_ctl start failed: {start.stderr.strip()[-300:]}")
    try:
        yield f"postgresql://costctl@127.0.0.1:{port}/postgres"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(workdir, ignore_errors=True)


def reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS budget_requests, budget_buckets, budget_meta")


def check_accounting(ledger: Any) -> dict[str, dict[str, int]]:
    """Recompute every bucket from the request rows and compare with its counters (nothing lost, nothing
    counted twice); return the per-bucket sums."""
    sums: dict[str, dict[str, int]] = {}
    for row in ledger.rows():
        for bucket in json.loads(row["holds"]):
            entry = sums.setdefault(bucket, {"reserved": 0, "charged": 0, "admitted": 0})
            entry["admitted"] += 1
            entry["reserved"] += int(row["reserved_pusd"]) if row["state"] == "reserved" else 0
            entry["charged"] += int(row["charged_pusd"])
        if row["state"] == "rejected":
            assert row["holds"] == "[]" and int(row["charged_pusd"]) == 0
    for state in ledger.buckets():
        entry = sums.get(state.bucket, {"reserved": 0, "charged": 0, "admitted": 0})
        assert state.reserved_pusd == entry["reserved"], (state, entry)
        assert state.spent_pusd == entry["charged"], (state, entry)
        assert state.requests == entry["admitted"], (state, entry)
        if state.hard_pusd is not None:
            assert state.spent_pusd + state.reserved_pusd <= state.hard_pusd, state
    return sums


def run_workers(args_list: list[list[str]], *, kill_after: dict[int, float] | None = None) -> list[int]:
    """Start one worker process per argument list at once; kill -9 some after a delay; return exit codes."""
    import signal
    import time

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    procs = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "budget_worker.py"), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in args_list
    ]
    start = time.monotonic()
    pending = dict(kill_after or {})
    while pending:
        now = time.monotonic() - start
        for index, delay in list(pending.items()):
            if now >= delay:
                with contextlib.suppress(ProcessLookupError):
                    procs[index].send_signal(signal.SIGKILL)
                del pending[index]
        time.sleep(0.01)
    codes = []
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        if proc.returncode not in (0, -9):
            raise AssertionError(f"worker failed ({proc.returncode}): {err[-2000:]}")
        codes.append(proc.returncode)
    return codes
