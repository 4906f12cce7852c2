"""costctl: what LLM API usage will cost, did cost, and why.

The public Python API is small and imported lazily so `import costctl` stays cheap:

    from costctl import price_usage, Usage, load_catalog
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Usage": "costctl.models",
    "CostBreakdown": "costctl.models",
    "ModelPrice": "costctl.models",
    "price_usage": "costctl.cost.price",
    "load_catalog": "costctl.pricing.catalog",
    "Catalog": "costctl.pricing.catalog",
    "count_text_tokens": "costctl.tokens.counting",
    "BudgetPolicy": "costctl.budget.request",
    "check_request_budget": "costctl.commands.budget",
    "BudgetGuard": "costctl.budget.guard",
    "GuardRequest": "costctl.budget.guard",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'costctl' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
