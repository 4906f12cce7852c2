"""Request budgets: a pre-flight guard for one request, as production gateways do.

Stable Python API (re-exported lazily by `costctl`):

    from costctl import BudgetPolicy, check_request_budget
    decision = check_request_budget(
        "Explain transformers architecture.", model="gpt-4.1", max_tokens=500,
        policy=BudgetPolicy(max_cost_usd=Decimal("0.001"), fallback_model="gpt-4.1-mini"),
    )
    decision.decision      # "allow" | "fallback" | "reject"
    decision.model_used    # the model to call (None on reject)
    decision.estimated_cost_usd  # worst case of the model used (of the requested model on reject)

Worst case = the prompt's input tokens, counted with the model's tokenizer (chat-framed), plus output at
`max_tokens`. The requested model is tried first, then the fallback; the first that satisfies every limit
of the policy wins. A policy without limits allows everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from costctl.budget.request import BudgetDecision as BudgetDecision
from costctl.budget.request import BudgetPolicy as BudgetPolicy
from costctl.budget.request import Candidate as Candidate
from costctl.budget.request import chat_messages, check_fits_some_context, check_max_tokens, price_candidate
from costctl.errors import InputError
from costctl.pricing.catalog import Catalog
from costctl.report import Column, Report, Table
from costctl.values import utc_today


def check_request_budget(
    prompt: str | Sequence[Mapping[str, Any]],
    *,
    model: str,
    max_tokens: int,
    policy: BudgetPolicy,
    catalog: Catalog | None = None,
    on: dt.date | None = None,
    system: str | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> BudgetDecision:
    """Decide allow / fallback / reject for one request (a prompt text or a list of chat messages)."""
    check_max_tokens(max_tokens)
    if catalog is None:
        from costctl.pricing.catalog import load_catalog

        catalog = load_catalog()
    day = on or utc_today()
    messages = chat_messages(prompt, system)
    names = [model] + ([policy.fallback_model] if policy.fallback_model else [])
    # Resolve every model first: a typo in the fallback is a usage error even when it is not needed.
    prices = [catalog.get(name, where="--fallback" if i else "--model") for i, name in enumerate(names)]
    candidates = []
    for i, price in enumerate(prices):
        candidate = price_candidate(
            price, policy, max_tokens=max_tokens, on=day, messages=messages, tools=tools
        )
        candidates.append(candidate)
        if candidate.ok:
            decision = "allow" if i == 0 else "fallback"
            return BudgetDecision(decision, candidate.model, candidate.estimated_cost_usd, tuple(candidates))
    check_fits_some_context(candidates)
    return BudgetDecision("reject", None, candidates[0].estimated_cost_usd, tuple(candidates))


def candidate_rows(candidates: Sequence[Candidate]) -> list[dict[str, Any]]:
    """Every model a budget tried: its worst case, whether it fits, and the limits it breaks."""
    return [
        {
            "model": c.model,
            "input_tokens": c.input_tokens,
            "input_tokens_exact": c.input_tokens_exact,
            "output_tokens": c.output_tokens,
            "estimated_cost_usd": c.estimated_cost_usd,
            "within_budget": c.ok,
            "violations": list(c.violations),
        }
        for c in candidates
    ]


def budget_report(decision: BudgetDecision, policy: BudgetPolicy, *, on: dt.date) -> Report:
    """JSON: `decision`, `model_used`, worst-case `estimated_cost_usd`, and every model tried."""
    rows = candidate_rows(decision.candidates)
    data = {
        "decision": decision.decision,
        "model_used": decision.model_used,
        "estimated_cost_usd": decision.estimated_cost_usd,
        "priced_on": on,
        "policy": {
            "max_cost_usd": policy.max_cost_usd,
            "max_input_tokens": policy.max_input_tokens,
            "max_output_tokens": policy.max_output_tokens,
            "max_total_tokens": policy.max_total_tokens,
            "fallback_model": policy.fallback_model,
        },
        "candidates": rows,
    }
    verdict = {
        "allow": f"allow: {decision.model_used}",
        "fallback": f"fallback to {decision.model_used}",
        "reject": "reject: no model fits the budget",
    }[decision.decision]
    return Report(
        command="estimate",
        data=data,
        title=f"Request budget: {verdict}",
        tables=[
            Table(
                columns=[
                    Column("model", "Model"),
                    Column("input_tokens", "Input tok", "int"),
                    Column("input_tokens_exact", "Count", "exact"),
                    Column("output_tokens", "Max output", "int"),
                    Column("estimated_cost_usd", "Worst case", "usd"),
                    Column("within_budget", "Within budget"),
                ],
                rows=rows,
            )
        ],
        notes=decision.reasons(),
    )


@dataclass(frozen=True)
class BudgetRequest:
    """`costctl estimate --budget ...`: one request (a prompt and its output cap) against a policy."""

    models: Sequence[str]
    prompt: str | None
    max_tokens: int | None
    policy: BudgetPolicy
    on: dt.date
    system: str | None = None


def run_budget_check(catalog: Catalog, request: BudgetRequest) -> Report:
    """The decision as a report; exit code 1 when the request is rejected (allow and fallback are 0)."""
    if len(request.models) != 1:
        raise InputError("a request budget checks one --model (the fallback goes in --fallback)")
    if request.max_tokens is None:
        raise InputError("a request budget needs --max-tokens N (the worst-case output)")
    if request.prompt is None:
        raise InputError("a request budget needs the prompt: --text, --file or stdin")
    decision = check_request_budget(
        request.prompt,
        model=request.models[0],
        max_tokens=request.max_tokens,
        policy=request.policy,
        catalog=catalog,
        on=request.on,
        system=request.system,
    )
    report = budget_report(decision, request.policy, on=request.on)
    report.exit_code = 0 if decision.allowed else 1
    return report
