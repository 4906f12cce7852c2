"""Shared test set-up: where the tiktoken encodings are (or why the exact-count tests skip), CLI runners."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REAL_LOGS = SHARED / "real-logs"

# Tests must not depend on the terminal they run in: tables fit COLUMNS when it is set.
os.environ.pop("COLUMNS", None)


def _locate_encodings() -> tuple[Path | None, str]:
    """A folder holding every tiktoken encoding costctl uses, found where costctl itself looks.

    Order: TIKTOKEN_CACHE_DIR (an empty value counts as unset), a tiktoken cache beside the repository
    (CI lays one there), costctl's own cache (where `costctl tokens fetch` writes), tiktoken's default
    cache. When an encoding is nowhere, one `costctl tokens fetch` is tried with a short timeout (it fails
    at once offline). Returns the folder, or None with the one reason the exact-count tests skip.
    """
    from costctl.tokens.counting import BPE_URLS, bpe_cache_name, find_bpe_file
    from costctl.tokens.fetch import default_destination, fetch

    if not os.environ.get("TIKTOKEN_CACHE_DIR"):
        os.environ.pop("TIKTOKEN_CACHE_DIR", None)
        beside = SHARED / "tiktoken-cache"
        if beside.is_dir():
            os.environ["TIKTOKEN_CACHE_DIR"] = str(beside)
    found = {name: find_bpe_file(name) for name in BPE_URLS}
    missing = sorted(name for name, path in found.items() if path is None)
    if missing:
        from costctl.errors import InputError

        try:
            fetch(missing, dest=default_destination(), timeout=10.0)
        except InputError as exc:
            return None, (
                f"tiktoken encodings {', '.join(missing)} are not on this machine (looked in "
                f"TIKTOKEN_CACHE_DIR, costctl's cache, tiktoken's cache) and `costctl tokens fetch` "
                f"failed: {exc.message}"
            )
        found = {name: find_bpe_file(name) for name in BPE_URLS}
    folders = {path.parent for path in found.values() if path is not None}
    if len(folders) == 1:
        return folders.pop(), ""
    # Found in different folders: gather them in one, so subprocesses and tiktoken itself see them all.
    gathered = Path(tempfile.mkdtemp(prefix="costctl-test-tiktoken-"))
    for name, path in found.items():
        assert path is not None
        shutil.copyfile(path, gathered / bpe_cache_name(name))
    return gathered, ""


# Located before COSTCTL_CACHE_DIR is pointed at a private folder, so costctl's real cache is searched.
TIKTOKEN_CACHE, _NO_ENCODINGS = _locate_encodings()
if TIKTOKEN_CACHE is not None:
    os.environ["TIKTOKEN_CACHE_DIR"] = str(TIKTOKEN_CACHE)

# The parsed-catalog cache goes to a private folder, not the user's ~/.cache.
os.environ.setdefault("COSTCTL_CACHE_DIR", tempfile.mkdtemp(prefix="costctl-test-cache-"))

needs_tiktoken_cache = pytest.mark.skipif(TIKTOKEN_CACHE is None, reason=_NO_ENCODINGS)
needs_real_logs = pytest.mark.skipif(
    not REAL_LOGS.is_dir(), reason="real-logs folder beside the repository is absent (optional test data)"
)


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
    pytest.importorskip("pyspark", reason="the spark extra is not installed (pip install '.[spark]')")
    from costctl.errors import InputError
    from costctl.rollup.spark import find_java, start_session

    try:
        find_java()
    except InputError as exc:
        pytest.skip(f"no Java runtime: {exc.message}")
    handle = start_session("local[2]")
    yield handle.session
    handle.stop()


# The two tiers. `make test` runs everything; `make test-fast` (pytest -m "not slow") runs the unit tier:
# the cost maths, pricing tables, tokenizer, adapters on small fixtures, estimate/breakeven/pricing commands
# and the renderers. The modules below are the end-to-end tier, marked `slow`: they build DuckDB stores from
# many log rows, run every command for its golden files, race processes, start Spark, a browser, pre-commit
# or a package build, or read the optional real logs.
SLOW_MODULES = {
    "test_attribute_ingest",
    "test_attribute_ingest_speed",
    "test_attribute_real_logs",
    "test_attribute_rollup",
    "test_adapters_real_logs",
    "test_audit_logs",
    "test_budget_concurrency",
    "test_ci_conventions",
    "test_golden_commands",
    "test_ingest_trust",
    "test_report_browser",
    "test_report_command",
    "test_spark_audit",
    "test_spark_cli",
    "test_spark_engine",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
        if module in SLOW_MODULES or "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


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


@pytest.fixture(scope="session")
def pg_url() -> Any:
    """A throwaway PostgreSQL server for the budget-ledger tests, one per session (skips with the reason
    when it cannot be started; see tests/budget_support.py)."""
    from budget_support import postgres_server

    with postgres_server() as url:
        yield url
