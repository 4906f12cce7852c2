"""The request-budget guard: per-request limits plus caps across requests, enforced from a shared ledger.

    from costctl.budget import BudgetGuard, GuardRequest, load_policy, open_ledger

Modules: `request` (the per-request rule), `policy` (caps, strict YAML), `ledger` (SQLite / PostgreSQL
storage with atomic reservations), `usage` (provider usage objects -> Usage), `guard` (check and record).
Imported lazily so `import costctl.budget` costs nothing until a name is used.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "BudgetGuard": "costctl.budget.guard",
    "GuardRequest": "costctl.budget.guard",
    "Decision": "costctl.budget.guard",
    "Recorded": "costctl.budget.guard",
    "GuardPolicy": "costctl.budget.policy",
    "Cap": "costctl.budget.policy",
    "load_policy": "costctl.budget.policy",
    "open_ledger": "costctl.budget.ledger",
    "BudgetPolicy": "costctl.budget.request",
    "usage_from_provider": "costctl.budget.usage",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'costctl.budget' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
