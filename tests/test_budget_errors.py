"""Budget guard input errors are one line and exit 2: impossible or deep policy YAML, absurd token counts
in a request or in a provider's usage (they used to reach SQLite as an integer overflow traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke

from costctl.budget import GuardRequest
from costctl.budget.usage import usage_from_provider
from costctl.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
POLICY = str(ROOT / "examples" / "budget" / "policy.yaml")


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("created: 2026-02-30\n", "budget policy holds a value that cannot exist"),
        ("a: " + "[" * 5000 + "\n", "budget policy is nested too deeply"),
    ],
)
def test_bad_policy_yaml_is_one_line(tmp_path: Path, policy: str, message: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(policy)
    res = invoke("budget", "check", "--policy", str(path), "--ledger", str(tmp_path / "l.sqlite"),
                 "-m", "gpt-4.1", "--max-tokens", "10", "--text", "hi")  # fmt: skip
    assert res.exit_code == 2, res.stderr
    assert res.stderr.startswith("costctl: error:") and message in res.stderr
    assert res.stderr.count("\n") == 1


def test_absurd_max_tokens_is_a_usage_error_not_an_overflow(tmp_path: Path) -> None:
    res = invoke("budget", "check", "--policy", POLICY, "--ledger", str(tmp_path / "l.sqlite"),
                 "-m", "gpt-4.1", "--max-tokens", str(10**13), "--text", "hi")  # fmt: skip
    assert res.exit_code == 2
    assert "max_tokens: must be at most 100,000,000" in res.stderr
    with pytest.raises(InputError):
        GuardRequest(model="gpt-4.1", max_tokens=10, input_tokens=10**20)


def test_absurd_usage_counts_are_refused() -> None:
    with pytest.raises(InputError) as err:
        usage_from_provider({"prompt_tokens": 2**70, "completion_tokens": 1})
    assert "input_tokens" in err.value.line() and "at most" in err.value.line()


def test_csv_of_a_check_carries_the_decision(tmp_path: Path) -> None:
    res = invoke("budget", "check", "--policy", POLICY, "--ledger", str(tmp_path / "l.sqlite"),
                 "-m", "gpt-4.1", "--max-tokens", "100", "--input-tokens", "50", "-f", "csv")  # fmt: skip
    assert res.exit_code == 0, res.stderr
    header, row = res.stdout.splitlines()[:2]
    assert header == "Decision,Model to call,Request,Reserved"
    assert row.startswith("allow,gpt-4.1,")
