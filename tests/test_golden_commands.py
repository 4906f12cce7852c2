"""Every command, every output format it offers: golden files, so any change of output is read in a diff.

Inputs are fixed (dates via --at, the report's clock via COSTCTL_GENERATED_AT, token counts given or from
tokenizers that need no download), so the outputs are the same on every machine. A missing golden file
fails; `pytest --update-golden` rewrites them (review the diff before committing).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import check_golden, invoke, run_costctl

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "commands"
AT = ["--at", "2026-10-15"]
TEXT_FORMATS = ("table", "json", "csv", "markdown")

CASES: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "estimate-usage": (
        [
            "estimate",
            "-m",
            "gpt-4o-mini,claude-haiku-4-5",
            "--input-tokens",
            "1200",
            "--output-tokens",
            "300",
            "--cached-input-tokens",
            "200",
            *AT,
        ],
        TEXT_FORMATS,
    ),
    "estimate-text": (
        [
            "estimate",
            "--text",
            "Explain vector databases | in 'one' line.",
            "-m",
            "claude-sonnet-4-6",
            "--output-tokens",
            "50",
            *AT,
        ],
        TEXT_FORMATS,
    ),
    "estimate-workload": (["estimate", "--workload", "golden_workload.yaml", *AT], TEXT_FORMATS),
    "estimate-what-if": (
        ["estimate", "--workload", "golden_workload.yaml", "--what-if", *AT],
        TEXT_FORMATS,
    ),
    "estimate-limits": (
        [
            "estimate",
            "--limits",
            "--mau",
            "20000",
            "--queries-per-user-per-day",
            "5",
            "--cost-per-query",
            "0.002",
        ],
        TEXT_FORMATS,
    ),
    "estimate-gate": (
        ["estimate", "--workload", "golden_workload.yaml", "--max-monthly", "1", *AT],
        TEXT_FORMATS,
    ),
    "estimate-budget": (
        [
            "estimate",
            "--text",
            "Summarise this ticket.",
            "-m",
            "claude-sonnet-4-6",
            "--max-tokens",
            "500",
            "--budget",
            "0.001",
            "--fallback",
            "claude-haiku-4-5",
            *AT,
        ],
        TEXT_FORMATS,
    ),
    "pricing-show": (["pricing", "show", "claude-sonnet-4-6", *AT], TEXT_FORMATS),
    "pricing-list": (["pricing", "list", "--provider", "anthropic", *AT], TEXT_FORMATS),
    "breakeven-self-host": (
        [
            "breakeven",
            "self-host",
            "--params-b",
            "8",
            "--gpu",
            "h100-sxm",
            "--output-len",
            "200",
            "--api-model",
            "gpt-4.1-nano",
            "--requests-per-month",
            "3000000",
            *AT,
        ],
        TEXT_FORMATS,
    ),
    "breakeven-rag": (
        [
            "breakeven",
            "rag-vs-finetune",
            "--training-cost",
            "200",
            "--per-query-savings",
            "0.004",
            "--retrains-per-month",
            "1",
        ],
        TEXT_FORMATS,
    ),
    "audit-prompt": (
        [
            "audit",
            "prompt",
            "examples/prompts/support-bot.md",
            "--model",
            "claude-sonnet-4-6",
            "--requests-per-day",
            "50000",
            *AT,
        ],
        (*TEXT_FORMATS, "sarif"),
    ),
    "attribute-report": (
        [
            "attribute",
            "report",
            "--db",
            "golden.duckdb",
            "--by",
            "feature,model",
            "--since",
            "2026-10-01",
            "--until",
            "2026-10-31",
            "--top",
            "5",
        ],
        TEXT_FORMATS,
    ),
    "audit-logs": (["audit", "logs", "--db", "golden.duckdb"], (*TEXT_FORMATS, "sarif")),
    "report": (["report", "--db", "golden.duckdb", "--month", "2026-10"], (*TEXT_FORMATS, "html")),
}
NEEDS_DB = {"attribute-report", "audit-logs", "report"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the examples and sample logs, and one database ingested from the sample JSONL."""
    work = tmp_path_factory.mktemp("golden")
    for name in ("examples", "sample_logs"):
        shutil.copytree(ROOT / name, work / name)
    # the example workload with its system prompt given in tokens: no tokenizer download decides the output
    shutil.copy(Path(__file__).parent / "fixtures" / "estimate" / "golden_workload.yaml", work)
    res = run_costctl(
        "attribute", "ingest", "sample_logs/app_requests.jsonl", "--db", "golden.duckdb", cwd=work
    )
    assert res.exit_code == 0, res.stderr
    return work


@pytest.mark.parametrize(
    ("case", "fmt"), [(case, fmt) for case, (_, formats) in CASES.items() for fmt in formats]
)
def test_command_output_matches_golden(
    case: str, fmt: str, workdir: Path, update_golden: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    args, _ = CASES[case]
    monkeypatch.chdir(workdir)
    env = {"COLUMNS": "200", "COSTCTL_GENERATED_AT": "2026-11-01T09:00:00Z"}
    res = invoke(*args, "--format", fmt, env=env)
    assert "Traceback" not in res.stderr
    assert res.exit_code in (0, 1), res.stderr  # 1: the gate and the budget cases breach on purpose
    check_golden(GOLDEN / f"{case}.{fmt}", res.stdout.replace(str(workdir), "<work>"), update_golden)
