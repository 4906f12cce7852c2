"""A gateway loop with the request-budget guard: check, call, record. No network: the model call is fake.

    python examples/gateway.py [--ledger PATH_OR_URL] [--policy examples/budget/policy.yaml]

It plays the README's scenarios against a fresh ledger: an allowed request, one downgraded to the
fallback model, one blocked, then user 42 sending the same request until their daily cap trips.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path
from typing import Any

from costctl.budget import BudgetGuard, GuardRequest, load_policy, open_ledger

HERE = Path(__file__).resolve().parent


def fake_model_call(model: str, prompt: str, max_tokens: int, rng: random.Random) -> dict[str, Any]:
    """Stands in for the provider SDK: returns an OpenAI-shaped response with its usage."""
    completion = rng.randint(max_tokens // 3, max_tokens)
    return {
        "model": model,
        "choices": [{"message": {"role": "assistant", "content": "..."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": len(prompt.split()) + 8, "completion_tokens": completion},
    }


def handle(guard: BudgetGuard, request: GuardRequest, rng: random.Random) -> str:
    decision = guard.check(request)  # 1. reserve the worst case against every cap that applies
    if not decision.allowed:
        return f"{'blocked':<11}{request.model:<14} {decision.reasons()[-1]}"
    assert decision.model_used is not None and isinstance(request.prompt, str)
    response = fake_model_call(decision.model_used, request.prompt, request.max_tokens, rng)  # 2. the call
    recorded = guard.record(decision, response["usage"])  # 3. replace the reservation with the actual cost
    verb = "allowed" if decision.decision == "allow" else "downgraded"
    warn = f"  [{decision.warnings[-1]}]" if decision.warnings else ""
    return (
        f"{verb:<11}{decision.model_used:<14} reserved ${decision.reserved_usd:f}, "
        f"actual ${recorded.actual_usd:f}{warn}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledger", help="ledger file or postgresql:// URL (default: a new temp file)")
    parser.add_argument("--policy", default=str(HERE / "budget" / "policy.yaml"))
    args = parser.parse_args()
    ledger_spec = args.ledger or str(Path(tempfile.mkdtemp(prefix="costctl-gateway-")) / "ledger.sqlite")
    rng = random.Random(7)
    prompt = "Summarise the attached contract in five bullet points."
    with open_ledger(ledger_spec) as ledger:
        guard = BudgetGuard(load_policy(Path(args.policy)), ledger)
        print(handle(guard, GuardRequest(model="gpt-4.1", max_tokens=800, prompt=prompt, user="7"), rng))
        print(handle(guard, GuardRequest(model="gpt-4.1", max_tokens=4000, prompt=prompt, user="7"), rng))
        print(handle(guard, GuardRequest(model="o1", max_tokens=40000, prompt=prompt, user="7"), rng))
        for _ in range(10):
            print(handle(guard, GuardRequest(model="gpt-4.1", max_tokens=800, prompt=prompt, user="42"), rng))
    print(f"ledger: {ledger_spec}  (try: costctl budget status --ledger {ledger_spec})")


if __name__ == "__main__":
    main()
