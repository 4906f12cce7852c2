"""Shared test set-up: the real tiktoken cache from ../shared when present, CLI runners."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
TIKTOKEN_CACHE = SHARED / "tiktoken-cache"
REAL_LOGS = SHARED / "real-logs"

if TIKTOKEN_CACHE.is_dir() and not os.environ.get("TIKTOKEN_CACHE_DIR"):
    os.environ["TIKTOKEN_CACHE_DIR"] = str(TIKTOKEN_CACHE)

# The parsed-catalog cache goes to a private folder, not the user's ~/.cache.
os.environ.setdefault("COSTCTL_CACHE_DIR", tempfile.mkdtemp(prefix="costctl-test-cache-"))

needs_tiktoken_cache = pytest.mark.skipif(
    not Path(os.environ.get("TIKTOKEN_CACHE_DIR", "/nonexistent")).is_dir(),
    reason="no tiktoken cache (../shared/tiktoken-cache) on this machine",
)
needs_real_logs = pytest.mark.skipif(not REAL_LOGS.is_dir(), reason="../shared/real-logs is absent")


class CliResult:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.exit_code = code
        self.stdout = stdout
        self.stderr = stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> CliResult:
    """Run the CLI in-process with Typer's CliRunner; stdout and stderr kept apart."""
    from typer.testing import CliRunner

    from costctl.cli.app import app

    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # click >= 8.2 always separates them
        runner = CliRunner()
    result = runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)
    return CliResult(result.exit_code, result.stdout, result.stderr)


def run_costctl(
    *args: str, input: str | None = None, env: dict[str, str] | None = None, cwd: Path | None = None
) -> CliResult:
    """Run the installed console script in a subprocess, as a user does."""
    full_env = {**os.environ, **(env or {})}
    exe = Path(sys.executable).parent / "costctl"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "costctl"]
    proc = subprocess.run(
        [*cmd, *args], input=input, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def catalog() -> Any:
    from costctl.pricing.catalog import load_catalog

    return load_catalog()


@pytest.fixture(scope="module")
def spark() -> Any:
    """A local[2] Spark session for one test module; skips without pyspark or a Java runtime."""
    pytest.importorskip("pyspark", reason="the spark extra is not installed (pip install 'costctl[spark]')")
    from costctl.errors import InputError
    from costctl.rollup.spark import find_java, start_session

    try:
        find_java()
    except InputError as exc:
        pytest.skip(f"no Java runtime: {exc.message}")
    handle = start_session("local[2]")
    yield handle.session
    handle.stop()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/* from the current output (review the diff before committing)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def check_golden(path: Path, text: str, update: bool) -> None:
    """Compare `text` with the golden file; a missing file fails (create it with --update-golden)."""
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"golden file {path.name} is missing: run pytest --update-golden and review it")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"{path.name} changed: if intended, run pytest --update-golden and review the diff"
    )
