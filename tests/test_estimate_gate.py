"""The CI gate: exit codes and their precedence, baselines (file and git ref), GitHub outputs, JUnit."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import invoke, run_costctl

from costctl.render.ci import escape_data, github_annotations
from costctl.report import Report

FIX = Path(__file__).parent / "fixtures" / "estimate"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MINIMAL = str(FIX / "minimal.yaml")


def gate(*args: str, env: dict[str, str] | None = None):
    return invoke("estimate", "--workload", *args, env=env)


def baseline_file(tmp_path: Path, workload: str = MINIMAL) -> Path:
    res = invoke("estimate", "--workload", workload, "--format", "json")
    assert res.exit_code == 0
    path = tmp_path / "base.json"
    path.write_text(res.stdout)
    return path


def test_pass_and_fail_on_monthly_total():
    assert gate(MINIMAL, "--max-monthly", "1000").exit_code == 0
    res = gate(MINIMAL, "--max-monthly", "500", "--format", "json")
    assert res.exit_code == 1
    data = res.json()
    assert data["gate"]["status"] == "fail" and data["monthly_cost_usd"] == "690.00"


def test_warn_only_exits_0():
    res = gate(MINIMAL, "--warn-monthly", "500", "-f", "json")
    assert res.exit_code == 0 and res.json()["gate"]["status"] == "warn"


def test_increase_rules_against_baseline_file(tmp_path):
    base = baseline_file(tmp_path)
    bigger = tmp_path / "w.yaml"
    bigger.write_text((FIX / "minimal.yaml").read_text().replace("500000", "600000"))
    res = gate(str(bigger), "--baseline", str(base), "--max-increase", "100", "-f", "json")
    assert res.exit_code == 1  # +$138
    assert Decimal(res.json()["gate"]["increase_usd"]) == Decimal(138)
    assert gate(str(bigger), "--baseline", str(base), "--max-increase-pct", "25").exit_code == 0  # +20 %
    assert gate(str(bigger), "--baseline", str(base), "--max-increase-pct", "10").exit_code == 1
    # noise floor: a $138 change under a $200 floor never trips a percent rule
    assert (
        gate(
            str(bigger), "--baseline", str(base), "--max-increase-pct", "10", "--min-increase-usd", "200"
        ).exit_code
        == 0
    )


def test_gate_output_is_itself_a_baseline(tmp_path):
    res = gate(MINIMAL, "--max-monthly", "1000", "-f", "json")
    path = tmp_path / "gate.json"
    path.write_text(res.stdout)
    assert gate(MINIMAL, "--baseline", str(path), "--max-increase", "0").exit_code == 0


def test_per_component_and_tag_rules_from_yaml(tmp_path):
    work = tmp_path / "w.yaml"
    text = (EXAMPLES / "workload.yaml").read_text().replace("fail: 3000}", "fail: 100}")
    work.write_text(text)
    shutil.copy(EXAMPLES / "system-prompt.txt", tmp_path)
    res = gate(str(work), "--gate", "-f", "json")
    assert res.exit_code == 1
    rules = {r["name"]: r for r in res.json()["gate"]["rules"]}
    assert rules["search team cap"]["status"] == "fail"
    assert "cost spike" not in rules  # needs a baseline: skipped with a note
    assert "skipped" in res.stderr


def test_incomplete_exit_3_unless_certain_breach():
    nb = str(FIX / "no_batch.yaml")
    res = gate(nb, "--max-monthly", "100000", "-f", "json")
    assert res.exit_code == 3
    assert res.json()["complete"] is False
    assert gate(nb, "--max-monthly", "1").exit_code == 1  # the priced half alone breaches


def test_incomplete_increase_is_undecidable(tmp_path):
    base = baseline_file(tmp_path)
    res = gate(str(FIX / "no_batch.yaml"), "--baseline", str(base), "--max-increase", "1000000", "-f", "json")
    assert res.exit_code == 3 and res.json()["gate"]["rules"][0]["status"] == "incomplete"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"schema_version": 2, "monthly_cost_usd": "1", "components": []}', "schema version 2"),
        ('{"schema_version": 1}', "monthly_cost_usd"),
    ],
)
def test_bad_baselines_exit_2(tmp_path, content, message):
    path = tmp_path / "b.json"
    path.write_text(content)
    res = run_costctl("estimate", "--workload", MINIMAL, "--baseline", str(path), "--max-increase", "1")
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_unreadable_baseline_and_flag_errors(tmp_path):
    assert gate(MINIMAL, "--baseline", str(tmp_path / "missing.json")).exit_code == 2
    res = gate(MINIMAL, "--max-increase", "5")
    assert res.exit_code == 2 and "baseline" in res.stderr
    assert gate(MINIMAL, "--max-monthly", "lots").exit_code == 2


def test_unknown_model_is_usage_error(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("components:\n  - {name: a, model: gpt-4o-mnii, requests_per_day: 5}\n")
    res = run_costctl("estimate", "--workload", str(path), "--max-monthly", "5")
    assert res.exit_code == 2 and "did you mean 'gpt-4o-mini'" in res.stderr


def test_bad_gate_config_exit_2(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(
        (FIX / "minimal.yaml").read_text()
        + "gate:\n  rules:\n    - {metric: monthly_cost, fail: 1, colour: red}\n"
    )
    res = gate(str(path), "--gate")
    assert res.exit_code == 2 and "colour" in res.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_baseline_ref_re_estimates_old_workload(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    work = repo / "w.yaml"
    work.write_text((FIX / "minimal.yaml").read_text())
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "w.yaml"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    work.write_text(work.read_text().replace("500000", "600000"))
    res = run_costctl(
        "estimate",
        "--workload",
        str(work),
        "--baseline-ref",
        "HEAD",
        "--max-increase-pct",
        "10",
        "-f",
        "json",
    )
    assert res.exit_code == 1, res.stderr
    g = res.json()["gate"]
    assert g["baseline_monthly_usd"] == "690.00" and Decimal(g["increase_pct"]) == 20
    res = run_costctl(
        "estimate", "--workload", str(work), "--baseline-ref", "no-such-ref", "--max-increase", "1"
    )
    assert res.exit_code == 2 and "Traceback" not in res.stderr


def test_github_summary_annotations_and_markdown(tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"}
    res = run_costctl("estimate", "--workload", MINIMAL, "--max-monthly", "500", "-f", "markdown", env=env)
    assert res.exit_code == 1
    assert res.stdout.startswith("<!-- costctl:gate -->")
    assert "| support-chat |" in res.stdout and "Baseline" in res.stdout
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "costctl gate: fail" in text  # appended, not overwritten
    assert "::error " in res.stderr and "::error" not in res.stdout


def test_annotation_limits_and_escaping():
    rules = [
        {
            "name": f"r{i}",
            "metric": "monthly_cost",
            "scope": "total",
            "status": "fail",
            "message": "100%\nover",
        }
        for i in range(12)
    ]
    rules += [{"name": "w", "metric": "monthly_cost", "scope": "total", "status": "warn", "message": "a,b:c"}]
    lines = github_annotations(Report("estimate", {"gate": {"rules": rules}}), file="w.yaml")
    assert sum(line.startswith("::error") for line in lines) == 10
    assert sum(line.startswith("::warning") for line in lines) == 1
    assert lines[-1].startswith("::notice") and "2 more" in lines[-1]
    assert lines[0].endswith("::100%25%0Aover")
    assert escape_data("a\r\nb%") == "a%0D%0Ab%25"


def test_junit(tmp_path):
    out = tmp_path / "junit.xml"
    res = gate(
        MINIMAL,
        "--max-monthly",
        "500",
        "--warn-increase",
        "1",
        "--baseline",
        str(baseline_file(tmp_path)),
        "--junit",
        str(out),
    )
    assert res.exit_code == 1
    suite = ET.parse(out).getroot()
    assert suite.tag == "testsuite" and suite.get("tests") == "2" and suite.get("failures") == "1"
    assert suite.find("testcase/failure") is not None


def test_no_gate_flags_means_plain_projection():
    res = invoke("estimate", "--workload", str(EXAMPLES / "workload.yaml"), "-f", "json")
    assert res.exit_code == 0 and "gate" not in res.json()
    assert json.loads(res.stdout)["monthly_cost_usd"]
