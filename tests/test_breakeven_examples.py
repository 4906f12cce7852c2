"""The worked examples (docs/breakeven.md#worked-examples) reproduced from the shipped scenario files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from conftest import ROOT, invoke, run_costctl

EX = ROOT / "examples" / "breakeven"


def near(value, expected, tol):
    return abs(float(value) - expected) <= tol * abs(expected)


def run(name: str):
    r = invoke("breakeven", "--scenario", str(EX / name), "-f", "json")
    assert r.exit_code == 0, r.stderr
    return r.json()


def test_rule_of_thumb_one_time_and_monthly():
    r = invoke(
        "breakeven", "rag-vs-finetune", "--training-cost", "200", "--per-query-savings", "0.004", "-f", "json"
    )
    assert r.exit_code == 0 and Decimal(r.json()["break_even_queries"]) == 50000
    r = run_costctl(
        "breakeven",
        "rag-vs-finetune",
        "--training-cost",
        "200",
        "--per-query-savings",
        "0.004",
        "--retrains-per-month",
        "1",
        "-f",
        "json",
    )
    data = r.json()
    assert (
        r.exit_code == 0
        and Decimal(data["break_even_queries"]) == 50000
        and data["break_even_per"] == "month"
    )
    assert Decimal(data["retraining_yearly_usd"]) == 2400


def test_example1_rag_vs_finetune():
    d = run("rag-support-assistant.yaml")
    opts = {o["option"]: o for o in d["options"]}
    assert Decimal(opts["rag"]["per_query_usd"]) == Decimal("0.001458")
    assert Decimal(opts["gpt-4.1-mini-ft"]["per_query_usd"]) == Decimal("0.00096")
    assert Decimal(opts["gpt-4.1-nano-ft"]["per_query_usd"]) == Decimal("0.00024")
    assert Decimal(opts["gpt-4.1-mini-ft"]["training_run_usd"]) == 27
    assert Decimal(opts["gpt-4.1-mini-ft"]["one_time_usd"]) == 4057
    assert near(opts["gpt-4.1-mini-ft"]["fixed_monthly_usd"], 1195, 0.01)
    assert near(opts["gpt-4.1-nano-ft"]["fixed_monthly_usd"], 1175, 0.01)
    assert near(opts["rag"]["fixed_monthly_usd"], 50.004, 0.01)
    be = {b["option"]: b for b in d["break_even"]}
    assert near(be["gpt-4.1-mini-ft"]["break_even_queries_per_month"], 2.38e6, 0.01)
    assert near(be["gpt-4.1-nano-ft"]["break_even_queries_per_month"], 0.94e6, 0.01)
    assert near(be["gpt-4.1-mini-ft"]["break_even_without_labour"], 24e3, 0.02)
    assert "every volume" in be["gpt-4.1-nano-ft"]["without_labour_reason"]


def test_example2_selfhost_70b_batch():
    d = run("selfhost-70b-batch.yaml")
    assert near(d["roofline_tokens_per_s"], 8338, 0.01) and d["batch"] == 223
    assert near(d["self_host_monthly_usd"], 6324, 0.01)
    assert near(d["api_monthly_usd"], 4400, 0.01)
    assert near(d["usd_per_mtok_at_max_utilisation_gpu_only"], 0.263, 0.01)
    apis = {a["model"]: a for a in d["api"]}
    together = apis["together/meta-llama/Llama-3.3-70B-Instruct-Turbo"]
    assert near(together["break_even_tokens_per_month"], 7.2e9, 0.05)
    assert near(together["break_even_utilisation_gpu_only"], 0.24, 0.01)
    assert near(apis["gpt-4.1-mini"]["break_even_tokens_per_month"], 6.3e9, 0.05)
    aws = [
        v for v in d["variants"] if v["variant"].startswith("AWS") and v["api_model"].startswith("together")
    ][0]
    assert near(aws["break_even_tokens_per_month"], 47.6e9, 0.05)
    assert any(
        "0.88" in a["value"] and "1.04" in a["source"] for a in d["assumptions"]
    )  # override is explicit


def test_example3_selfhost_8b_chat():
    d = run("selfhost-8b-chat.yaml")
    assert d["batch"] == 585 and near(d["requests_per_s_per_replica"], 24.0, 0.01)
    assert d["gpus_billed"] == 2 and near(d["self_host_monthly_usd"], 8532, 0.01)
    assert near(d["utilisation"], 0.024, 0.05)
    apis = {a["model"]: a for a in d["api"]}
    assert near(
        apis["together/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"]["break_even_requests_per_month"],
        80.2e6,
        0.05,
    )
    assert near(apis["gpt-4.1-nano"]["break_even_requests_per_month"], 133.2e6, 0.05)
    assert near(apis["gpt-4.1-mini"]["break_even_requests_per_month"], 11.9e6, 0.05)
    assert near(apis["gpt-4.1-nano"]["api_monthly_usd"], 540, 0.01)
    assert near(
        apis["together/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"]["naive_break_even_requests_per_month"],
        10.1e6,
        0.01,
    )
    assert {s["factor"] for s in d["sensitivity"]} >= {
        "gpu price",
        "efficiency",
        "peak-to-average",
        "ops labour",
    }


def test_selfhost_flags_throughput_and_breakeven():
    r = run_costctl(
        "breakeven",
        "self-host",
        "--params-b",
        "70",
        "--precision",
        "fp8",
        "--gpu",
        "h100-sxm",
        "--gpus",
        "2",
        "--input-len",
        "1000",
        "--output-len",
        "1000",
        "--efficiency",
        "0.5",
        "-f",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    assert near(r.json()["throughput_tokens_per_s"], 4169, 0.05)
    r = invoke(
        "breakeven",
        "self-host",
        "--params-b",
        "70",
        "--gpu",
        "h100-sxm",
        "--gpus",
        "2",
        "--input-len",
        "1000",
        "--output-len",
        "1000",
        "--api-price-per-mtok",
        "0.88",
        "--tokens-per-month",
        "5000000000",
        "--gpu-offer",
        "lambda-2x",
        "--ops-fte",
        "0.1",
        "--throughput",
        "4205",
        "-f",
        "json",
    )
    d = r.json()
    assert near(d["self_host_monthly_usd"], 6324, 0.01) and near(d["api_monthly_usd"], 4400, 0.01)
    assert near(d["break_even_tokens_per_month"], 7.2e9, 0.05)


def test_a100_claim_is_checkable():
    d = run("a100-published-claim.yaml")
    assert Decimal(d["api_monthly_usd"]) < 1000  # 15M tok/day at $1/Mtok is ~$456, not $10-20k
    assert d["gpus_billed"] == 1


def test_chart_svg(tmp_path: Path):
    out = tmp_path / "c.svg"
    r = invoke(
        "breakeven", "--scenario", str(EX / "selfhost-8b-chat.yaml"), "--chart", str(out), "-f", "json"
    )
    assert r.exit_code == 0
    svg = out.read_text()
    assert svg.startswith("<svg") and "<script" not in svg and "self-host" in svg and "polyline" in svg
