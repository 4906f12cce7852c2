"""Request budgets (the issue's three reference scenarios, real tiktoken), spend limits, what-if levers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import invoke, needs_tiktoken_cache, run_costctl

FIX = Path(__file__).parent / "fixtures" / "estimate"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DAY = dt.date(2026, 11, 23)


@needs_tiktoken_cache
@pytest.mark.parametrize(
    ("text", "model", "max_tokens", "budget", "decision", "used", "code"),
    [
        ("Explain vector databases.", "gpt-4.1-mini", "200", "0.01", "allow", "gpt-4.1-mini", 0),
        ("Explain transformers architecture.", "gpt-4.1", "500", "0.001", "fallback", "gpt-4.1-mini", 0),
        (
            "Write a long explanation of reinforcement learning.",
            "gpt-4.1",
            "1000",
            "0.00001",
            "reject",
            None,
            1,
        ),
    ],
)
def test_reference_scenarios_cli(text, model, max_tokens, budget, decision, used, code):
    args = ["estimate", "--text", text, "--model", model, "--max-tokens", max_tokens, "--budget", budget]
    args += ["--fallback", "gpt-4.1-mini", "--format", "json"]
    for res in (invoke(*args), run_costctl(*args)):
        assert res.exit_code == code, res.stderr
        data = res.json()
        assert data["decision"] == decision and data["model_used"] == used
        assert Decimal(data["estimated_cost_usd"]) > 0


@needs_tiktoken_cache
def test_python_api_worst_case_is_exact(catalog):
    from costctl import BudgetPolicy, check_request_budget

    decision = check_request_budget(
        "Explain transformers architecture.",
        model="gpt-4.1",
        max_tokens=500,
        policy=BudgetPolicy(max_cost_usd=Decimal("0.001"), fallback_model="gpt-4.1-mini"),
        catalog=catalog,
        on=DAY,
    )
    assert decision.decision == "fallback" and decision.model_used == "gpt-4.1-mini"
    tried = decision.candidates[1]
    # chat-framed: 3 + tokens + 3; gpt-4.1-mini $0.40 in / $1.60 out per 1M
    assert (
        decision.estimated_cost_usd
        == (Decimal(tried.input_tokens) * Decimal("0.4") + 500 * Decimal("1.6")) / 10**6
    )


def test_token_limits_reject(catalog):
    from costctl import BudgetPolicy, check_request_budget

    d = check_request_budget(
        "hi",
        model="gpt-4o-mini",
        max_tokens=5000,
        policy=BudgetPolicy(max_output_tokens=1000),
        catalog=catalog,
        on=DAY,
    )
    assert d.decision == "reject" and "max tokens" in d.reasons()[0]
    d = check_request_budget(
        "hi",
        model="gpt-4o-mini",
        max_tokens=10,
        policy=BudgetPolicy(max_total_tokens=100),
        catalog=catalog,
        on=DAY,
    )
    assert d.decision == "allow"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--budget", "cheap"], "--budget"),
        (["--budget", "0.01", "--fallback", "gtp-4o"], "did you mean"),
        (["--budget", "0.01", "--max-tokens", "-3"], "must not be negative"),
    ],
)
def test_budget_bad_input_exit_2(args, message):
    base = ["estimate", "--text", "hi", "-m", "gpt-4o-mini"]
    if "--max-tokens" not in args:
        base += ["--max-tokens", "10"]
    res = run_costctl(*base, *args)
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.stderr


def test_limits_top_down_both_rules():
    res = invoke(
        "estimate",
        "--limits",
        "--mau",
        "10000",
        "--queries-per-user-per-day",
        "5",
        "--cost-per-query",
        "0.002",
        "-f",
        "json",
    )
    assert res.exit_code == 0, res.stderr
    data = res.json()
    assert Decimal(data["baseline_monthly_usd"]) == Decimal(3000)  # 10,000 x 5 x 0.002 x 30
    mult, pct = data["rules"]["multiplier"], data["rules"]["percent"]
    assert Decimal(mult["soft_alert_usd"]) == 9000 and Decimal(mult["hard_limit_usd"]) == 15000
    assert Decimal(pct["soft_alert_usd"]) == 2400 and Decimal(pct["hard_limit_usd"]) == 3600
    assert Decimal(pct["alert_thresholds_usd"]["90%"]) == Decimal(3240)
    assert Decimal(pct["per_user_monthly_cap_usd"]) == Decimal("0.36")


def test_limits_from_workload_and_missing_inputs():
    res = invoke("estimate", "--limits", "-w", str(FIX / "minimal.yaml"), "-f", "json")
    assert res.exit_code == 0 and Decimal(res.json()["baseline_monthly_usd"]) == 690
    res = invoke("estimate", "--limits", "--mau", "10")
    assert res.exit_code == 2 and "--queries-per-user-per-day" in res.stderr


def test_what_if_ranked_with_combination():
    res = invoke("estimate", "-w", str(EXAMPLES / "workload.yaml"), "--what-if", "-f", "json")
    assert res.exit_code == 0, res.stderr
    data = res.json()
    levers = data["levers"]
    singles = [lv for lv in levers if lv["lever"] != "combined"]
    savings = [Decimal(lv["saving_usd"]) for lv in singles]
    assert savings == sorted(savings, reverse=True)
    assert {lv["lever"] for lv in levers} == {"cap_output", "route", "cache", "batch", "compress", "combined"}
    combined = next(lv for lv in levers if lv["lever"] == "combined")
    assert Decimal(combined["saving_usd"]) > max(savings)
    current = Decimal(data["monthly_cost_usd"])
    for lv in levers:
        assert Decimal(lv["monthly_cost_usd"]) + Decimal(lv["saving_usd"]) == current


def test_what_if_cache_below_minimum_saves_nothing():
    # gpt-4o-mini, no system prompt: caching cannot apply, batch can
    res = invoke(
        "estimate", "-w", str(FIX / "minimal.yaml"), "--what-if", "--cache-hit-rate", "0.9", "-f", "json"
    )
    levers = {lv["lever"]: lv for lv in res.json()["levers"]}
    assert Decimal(levers["cache"]["saving_usd"]) == 0
    assert Decimal(levers["batch"]["saving_usd"]) == Decimal(
        "172.50"
    )  # half the traffic at half price: 690 / 4


def test_what_if_batch_unpublished_is_not_applicable():
    res = invoke("estimate", "-w", str(FIX / "no_batch.yaml"), "--what-if")
    assert res.exit_code == 3  # the workload itself needs a batch price


def test_what_if_bad_share_exit_2():
    res = invoke("estimate", "-w", str(FIX / "minimal.yaml"), "--what-if", "--batch-share", "2")
    assert res.exit_code == 2 and "--batch-share" in res.stderr
