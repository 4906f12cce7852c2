"""Workloads: reference figures reproduced exactly, the minimal form, strict validation (exit 2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import invoke, needs_tiktoken_cache, run_costctl

from costctl.commands.workload import load_workload, project_workload, requests_per_day, with_components

FIX = Path(__file__).parent / "fixtures" / "estimate"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("model", "expected"),
    [("gpt-4o-mini", "690.00"), ("gpt-4o", "11500.00"), ("claude-haiku-4-5", "5400.00")],
)
def test_published_session_figures(catalog, model, expected):
    work = with_components(load_workload(FIX / "minimal.yaml"), model=model)
    projection = project_workload(catalog, work, on=DAY)
    assert projection.monthly_cost_usd == Decimal(expected)
    comp = projection.components[0]
    assert comp.requests_per_month == 4_000_000
    assert comp.usage.input_tokens == 350 and comp.usage.output_tokens == 200


def test_system_prompt_reference(catalog):
    projection = project_workload(catalog, load_workload(FIX / "system_prompt.yaml"), on=DAY)
    assert projection.monthly_cost_usd == Decimal("7500.00")
    assert projection.components[0].cost.input_usd == Decimal("7500.00")
    # 10,000,000 requests a day: $50,000 a day of input
    big = replace(projection.workload.components[0], requests_per_month=Decimal(10_000_000))
    one_day = project_workload(catalog, replace(projection.workload, components=(big,)), on=DAY)
    assert one_day.monthly_cost_usd == Decimal(50_000)


def test_minimal_form_json_via_cli():
    res = run_costctl("estimate", "--workload", str(FIX / "minimal.yaml"), "--format", "json")
    assert res.exit_code == 0, res.stderr
    data = res.json()
    assert data["monthly_cost_usd"] == "690.00"
    assert data["components"][0]["monthly_cost_usd"] == "690.00"
    assert data["components"][0]["name"] == "support-chat"


def test_total_is_sum_of_components_and_traffic_readable(catalog):
    work = load_workload(EXAMPLES / "workload.yaml")
    projection = project_workload(catalog, work, on=DAY, months=3)
    assert projection.monthly_cost_usd == sum(c.monthly_cost_usd for c in projection.components)
    assert len(projection.monthly_by_month) == 3
    assert projection.monthly_by_month[0] < projection.monthly_by_month[2]  # 5 % growth a month
    summaries = work.components[1]
    assert requests_per_day(summaries, work.days_per_month) == 8000


@needs_tiktoken_cache
def test_prompt_files_counted_with_real_tokenizer(catalog):
    projection = project_workload(catalog, load_workload(FIX / "with_prompt.yaml"), on=DAY)
    comp = projection.components[0]
    import tiktoken

    expected = len(tiktoken.get_encoding("o200k_base").encode((FIX / "prompt.txt").read_text()))
    assert comp.usage.input_tokens == expected + 10
    assert comp.input_tokens_exact


def test_history_accumulates(catalog, tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(
        "components:\n  - {name: c, model: gpt-4o-mini, sessions_per_month: 10, messages_per_session: 3,"
        " input_tokens: 100, output_tokens: 50, history: true}\n"
    )
    comp = project_workload(catalog, load_workload(path), on=DAY).components[0]
    # messages re-send 0, 1, 2 earlier exchanges of 150 tokens: 10 x (100 + 250 + 400)
    assert comp.monthly_usage.input_tokens == 10 * (100 + 250 + 400)
    assert comp.monthly_usage.output_tokens == 10 * 3 * 50


def test_cache_respects_minimum_and_write_premium(catalog, tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(
        "components:\n"
        "  - {name: small, model: claude-haiku-4-5, requests_per_month: 100, system_prompt_tokens: 3000, cache_hit_rate: 0.5}\n"
        "  - {name: big, model: claude-haiku-4-5, requests_per_month: 100, system_prompt_tokens: 5000, cache_hit_rate: 0.5}\n"
        "  - {name: oai, model: gpt-4o, requests_per_month: 100, system_prompt_tokens: 1200, cache_hit_rate: 1}\n"
    )
    small, big, oai = project_workload(catalog, load_workload(path), on=DAY).components
    assert small.monthly_usage.cached_input_tokens == 0 and small.notes  # below Haiku 4.5's 4,096 minimum
    assert big.monthly_usage.cached_input_tokens == 50 * 5000
    assert big.monthly_usage.cache_write_tokens == 50 * 5000  # misses write the prefix at the premium
    assert big.cost.cache_write_usd > 0
    assert oai.monthly_usage.cached_input_tokens == 100 * 1152  # 1,024 + 128k


def test_fan_out_and_retries(catalog, tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(
        "components:\n  - name: agent\n    model: gpt-4o-mini\n    requests_per_month: 1000\n"
        "    input_tokens: 100\n    retry_rate: 0.1\n    fan_out: {agents: 3, context_tokens: 500}\n"
    )
    comp = project_workload(catalog, load_workload(path), on=DAY).components[0]
    assert comp.requests_per_month == 1100
    assert comp.calls_per_month == 1100 + 3300
    assert comp.monthly_usage.input_tokens == 1100 * 100 + 3300 * 500


def test_compare_and_months_table():
    res = invoke(
        "estimate",
        "-w",
        str(FIX / "minimal.yaml"),
        "--compare",
        "gpt-4o,claude-haiku-4-5",
        "--months",
        "2",
        "-f",
        "json",
    )
    assert res.exit_code == 0, res.stderr
    data = res.json()
    got = {r["model"]: Decimal(r["monthly_cost_usd"]) for r in data["compare"]}
    assert got == {"gpt-4o": Decimal(11500), "claude-haiku-4-5": Decimal(5400)}
    assert [m["monthly_cost_usd"] for m in data["months"]] == ["690.00", "690.00"]


def test_unit_economics(catalog):
    res = invoke("estimate", "-w", str(EXAMPLES / "workload.yaml"), "-f", "json")
    assert res.exit_code == 0, res.stderr
    unit = res.json()["unit_economics"]
    assert unit["users"] == 40000 and Decimal(unit["cost_per_user_usd"]) > 0


def test_missing_batch_price_exit_3():
    res = run_costctl("estimate", "-w", str(FIX / "no_batch.yaml"))
    assert res.exit_code == 3
    assert "batch" in res.stderr and "Traceback" not in res.stderr


BAD = [
    ("components: [", "malformed YAML"),
    (
        "components:\n  - {name: a, model: gpt-4o, requests_per_day: 5, colour: red}\n",
        "unknown field 'colour'",
    ),
    ("components:\n  - {name: a, model: gpt-4o, requests_per_day: -5}\n", "must not be negative"),
    ("components:\n  - {name: a, model: gpt-4o, requests_per_day: 1e15}\n", "absurd"),
    (
        "components:\n  - {name: a, model: gpt-4o, requests_per_day: 5, cache_hit_rate: 1.5}\n",
        "between 0 and 1",
    ),
    (
        "components:\n  - {name: a, model: gpt-4o, requests_per_day: 5, batch_share: -0.1}\n",
        "between 0 and 1",
    ),
    (
        "components:\n  - {name: a, model: gpt-4o, requests_per_day: 5, system_prompt_file: nope.txt}\n",
        "does not exist",
    ),
    ("components:\n  - {name: a, model: gtp-4o, requests_per_day: 5}\n", "did you mean"),
    ("components:\n  - {name: a, model: gpt-4o}\n", "traffic form"),
    ("components:\n  - {name: a, model: gpt-4o, sessions_per_month: 5}\n", "messages_per_session"),
    ("compnents: []\n", "unknown field 'compnents'"),
    (
        "components:\n  - {name: a, model: gpt-4o, requests_per_day: 5}\n  - {name: a, model: gpt-4o, requests_per_day: 5}\n",
        "used twice",
    ),
    ("components:\n  - {name: a, model: gpt-4o, requests_per_day: lots}\n", "expected a number"),
]


@pytest.mark.parametrize(("content", "message"), BAD)
def test_bad_workloads_exit_2_one_line(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    res = invoke("estimate", "--workload", str(path))
    assert res.exit_code == 2, res.stdout
    assert message in res.stderr
    assert str(path) in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


def test_bad_workload_subprocess(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD[1][0])
    res = run_costctl("estimate", "--workload", str(path))
    assert res.exit_code == 2 and "colour" in res.stderr and "Traceback" not in res.stderr


def test_missing_workload_file(tmp_path):
    res = invoke("estimate", "--workload", str(tmp_path / "none.yaml"))
    assert res.exit_code == 2 and "not found" in res.stderr


def test_workload_estimate_imports_no_heavy_library(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys, runpy\n"
        f"sys.argv = ['costctl', 'estimate', '--workload', {str(FIX / 'minimal.yaml')!r}, '--format', 'json']\n"
        "try:\n    runpy.run_module('costctl', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print('HEAVY:' + ','.join(m for m in ('pandas', 'duckdb', 'jinja2') if m in sys.modules), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert '"monthly_cost_usd": "690.00"' in proc.stdout
    assert proc.stderr.strip().splitlines()[-1] == "HEAVY:"
