"""audit prompt --workload: models and traffic come from the estimate workload file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from conftest import invoke, needs_tiktoken_cache

ROOT = Path(__file__).resolve().parents[1]


@needs_tiktoken_cache
def test_audit_takes_model_and_traffic_from_the_workload(tmp_path):
    prompt = tmp_path / "system.txt"
    prompt.write_text("You are terse.\n\nAnswer in English.\n", encoding="utf-8")
    workload = tmp_path / "w.yaml"
    workload.write_text(
        "components:\n  - name: chat\n    model: gpt-4o\n    requests_per_day: 50000\n"
        "    system_prompt_file: system.txt\n    input_tokens: 10\n    output_tokens: 10\n",
        encoding="utf-8",
    )
    result = invoke("audit", "prompt", "--workload", str(workload), "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    prompt_row = data["prompts"][0]
    assert prompt_row["model"] == "gpt-4o"
    tokens = prompt_row["tokens"]
    # tokens x 50,000 a day x 30 days x $2.50 per 1M input tokens
    expected = Decimal(tokens) * 50_000 * 30 * Decimal("2.5") / 1_000_000
    assert Decimal(data["totals"]["system_prompt_usd_per_month"]) == expected
