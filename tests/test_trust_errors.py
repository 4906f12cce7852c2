"""No traceback and no unclear error (issue "Tracebacks and unclear errors"): each case is one line
`costctl: error: ...` on stderr and the documented exit code.

Named promise (README "Exit codes"): test_user_mistakes_are_one_line_* and the property test in
tests/test_trust_fuzz.py.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, invoke, run_costctl
from test_attribute_ingest import row, write_jsonl

FIX = Path(__file__).parent / "fixtures"
DEEP = "[" * 100_000


def one_error_line(result, code: int = 2) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("costctl: error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("errors")
    log = write_jsonl(tmp / "a.jsonl", [row(i) for i in range(20)])
    path = tmp / "a.duckdb"
    assert invoke("attribute", "ingest", str(log), "--db", str(path)).exit_code == 0
    return path


# ---------------------------------------------------------------- click's own usage errors


@pytest.mark.parametrize("runner", [invoke, run_costctl])
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("estimate", "-m", "gpt-4o", "--input-tokens", "1.5"), "'1.5' is not a valid int"),
        (("estimate", "--no-such-flag"), "No such option: --no-such-flag"),
        (("estimate", "-m", "gpt-4o", "--input-tokens", "5", "-f", "html"), "'html' is not one of"),
        (("pricing", "list", "-f", "sarif"), "'sarif' is not one of"),
    ],
)
def test_user_mistakes_are_one_line_click_usage_errors(runner, args: tuple[str, ...], needle: str) -> None:
    line = one_error_line(runner(*args))
    assert needle in line and "--help" in line


def test_user_mistakes_are_one_line_top_zero(db: Path) -> None:
    assert "--top" in one_error_line(invoke("attribute", "report", "--db", str(db), "--top", "0"))


def test_format_help_lists_only_what_the_command_renders() -> None:
    assert "[table|json|csv|markdown]" in invoke("estimate", "--help").stdout
    assert "[table|json|csv|markdown|sarif]" in invoke("audit", "logs", "--help").stdout
    assert "[html|table|json|csv|markdown]" in invoke("report", "--help").stdout
    for command in (("estimate",), ("attribute", "report"), ("pricing", "list"), ("breakeven", "rag")):
        text = invoke(*command, "--help").stdout
        assert "html" not in text.split("--format", 1)[1].splitlines()[0] if "--format" in text else True
        assert "sarif" not in text


# ---------------------------------------------------------------- impossible YAML dates


IMPOSSIBLE = "2026-02-30"


def _overlay(tmp: Path) -> Path:
    path = tmp / "overlay.yaml"
    path.write_text(
        "schema: costctl/pricing@1\nprovider: openai\nsource_url: https://example.com\n"
        f"checked: {IMPOSSIBLE}\nmodels: []\n"
    )
    return path


@pytest.mark.parametrize(
    "where", ["overlay", "pricing-dir", "workload", "budgets", "rules", "mapping", "scenario"]
)
def test_user_mistakes_are_one_line_impossible_yaml_date(tmp_path: Path, db: Path, where: str) -> None:
    log = write_jsonl(tmp_path / "l.jsonl", [row(1)])
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"x: {IMPOSSIBLE}\n")
    if where == "overlay":
        args: tuple[str, ...] = (
            "estimate",
            "-m",
            "gpt-4o",
            "--input-tokens",
            "5",
            "--pricing-overlay",
            str(_overlay(tmp_path)),
        )
    elif where == "pricing-dir":
        (tmp_path / "tables").mkdir()
        _overlay(tmp_path).rename(tmp_path / "tables" / "p.yaml")
        args = ("estimate", "-m", "gpt-4o", "--input-tokens", "5", "--pricing", str(tmp_path / "tables"))
    elif where == "workload":
        bad.write_text(f"components:\n  - name: a\n    model: gpt-4o\n    checked: {IMPOSSIBLE}\n")
        args = ("estimate", "--workload", str(bad))
    elif where == "budgets":
        args = ("attribute", "report", "--db", str(db), "--budgets", str(bad))
    elif where == "rules":
        args = ("attribute", "ingest", str(log), "--db", str(tmp_path / "r.duckdb"), "--rules", str(bad))
    elif where == "mapping":
        args = ("attribute", "ingest", str(log), "--db", str(tmp_path / "m.duckdb"), "--mapping", str(bad))
    else:
        args = ("breakeven", "--scenario", str(bad))
    line = one_error_line(invoke(*args))
    assert "day is out of range" in line or "cannot exist" in line


# ---------------------------------------------------------------- deeply nested JSON


def test_user_mistakes_are_one_line_deep_json_in_every_json_flag(tmp_path: Path, db: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP)
    work = FIX / "estimate" / "minimal.yaml"
    for args in (
        ("estimate", "--request", str(deep)),
        ("estimate", "--workload", str(work), "--baseline", str(deep), "--max-increase", "1"),
        ("report", "--db", str(db), "--month", "2026-10", "--audit", str(deep)),
        ("pricing", "check", "--against", str(deep)),
    ):
        assert "nested too deeply" in one_error_line(invoke(*args)), args


def test_a_deep_json_line_in_a_vendor_log_is_one_rejected_line(tmp_path: Path) -> None:
    good = (FIX / "logs" / "anthropic_messages.jsonl").read_text().splitlines()
    log = tmp_path / "anthropic.jsonl"
    log.write_text("\n".join([good[0], DEEP, *good[1:]]) + "\n")
    result = invoke("attribute", "ingest", str(log), "--db", str(tmp_path / "a.duckdb"), "-f", "json")
    assert result.exit_code == 0, result.stderr
    total = result.json()["total"]
    assert total["rejected"] >= 1 and total["loaded"] >= 1
    assert total["read"] == total["loaded"] + total["rejected"] + total["duplicate"]


def test_a_deep_batch_input_does_not_abort_the_ingest(tmp_path: Path) -> None:
    deep = tmp_path / "input.jsonl"
    deep.write_text(DEEP + "\n")
    out = FIX / "logs" / "openai_batch_output.jsonl"
    result = invoke(
        "attribute", "ingest", str(out), "--batch-input", str(deep), "--db", str(tmp_path / "b.duckdb")
    )
    assert result.exit_code in (0, 2), result.stderr
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr


# ---------------------------------------------------------------- the rest of the list


def test_user_mistakes_are_one_line_parquet_onto_an_existing_file(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "exists.txt"
    target.write_text("x")
    line = one_error_line(invoke("attribute", "export", "--db", str(db), "--to", "parquet", str(target)))
    assert "is a file" in line and target.read_text() == "x"


def test_user_mistakes_are_one_line_a_folder_given_as_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    assert "is a folder" in one_error_line(
        invoke("attribute", "ingest", str(folder), "--db", str(tmp_path / "x.duckdb"))
    )
    assert "is a folder" in one_error_line(invoke("estimate", "-m", "gpt-4o", "--file", str(folder)))


def test_user_mistakes_are_one_line_since_after_until(db: Path) -> None:
    line = one_error_line(
        invoke("attribute", "report", "--db", str(db), "--since", "2026-10-10", "--until", "2026-10-01")
    )
    assert "after --until" in line


def test_user_mistakes_are_one_line_unknown_provider() -> None:
    assert "did you mean 'openai'" in one_error_line(invoke("pricing", "list", "--provider", "openia"))
    assert invoke("pricing", "list", "--provider", "OpenAI", "-f", "json").exit_code == 0


def test_report_over_budget_exits_1_like_attribute_report(db: Path) -> None:
    report = invoke(
        "report", "--db", str(db), "--month", "2026-10", "--total-budget", "0.000001", "-f", "json"
    )
    assert report.exit_code == 1 and "over budget" in report.stderr
    attribute = invoke("attribute", "report", "--db", str(db), "--budget", "chat=0.000001", "-f", "json")
    assert attribute.exit_code == 1
    within = invoke(
        "report", "--db", str(db), "--month", "2026-10", "--total-budget", "1000000", "-f", "json"
    )
    assert within.exit_code == 0


def test_user_mistakes_are_one_line_database_held_by_another_process(db: Path, tmp_path: Path) -> None:
    """A real lock: another process holds the database for writing while `audit logs` runs."""
    copy = tmp_path / "held.duckdb"
    copy.write_bytes(db.read_bytes())
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)", str(copy)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        line = one_error_line(run_costctl("audit", "logs", "--db", str(copy)))
        assert "being written by another process" in line and "PID" not in line
    finally:
        holder.kill()
        holder.wait()


def test_environment_failures_are_one_line() -> None:
    from costctl.cli.guard import environment_error

    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "costctl.duckdb")
    assert "no space left" in (environment_error(full) or "")
    try:
        raise RuntimeError("wrapped") from full
    except RuntimeError as exc:
        assert "no space left" in (environment_error(exc) or "")
    assert environment_error(ValueError("a bug")) is None
    with pytest.raises(duckdb.Error) as caught:
        duckdb.connect(str(ROOT / "no-such-dir" / "x.duckdb"), read_only=True)
    assert environment_error(caught.value) is None  # not an environment failure we translate


def test_atomic_write_keeps_the_previous_file_when_the_disk_fills(tmp_path: Path) -> None:
    """README "-o FILE ... never half-written": a real write failure (the file-size limit stands in for a
    full disk) leaves the previous file whole, no temporary file behind, and one error line."""
    import resource
    import signal

    out = tmp_path / "estimate.json"
    out.write_text("previous result")

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    exe = Path(sys.executable).parent / "costctl"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "costctl"]
    args = [
        "estimate",
        "-m",
        "gpt-4o",
        "--input-tokens",
        "5",
        "--output-tokens",
        "1",
        "-f",
        "json",
        "-o",
        str(out),
    ]
    env = {**os.environ, "COSTCTL_NO_CACHE": "1"}
    proc = subprocess.run(
        [*cmd, *args], capture_output=True, text=True, env=env, preexec_fn=small_disk, timeout=120
    )  # noqa: S603 - our own console script
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("costctl: error: "), proc.stderr
    assert "cannot write output" in lines[0]
    assert out.read_text() == "previous result"
    assert [p.name for p in tmp_path.iterdir()] == ["estimate.json"]
