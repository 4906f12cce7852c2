"""One gateway process of the concurrency tests: N guarded requests against a shared ledger.

    budget_worker.py LEDGER USER N DIE_PCT SEED TTL_S ON_EXPIRY GLOBAL_CAP USER_CAP LOG

Every request is gpt-4.1-mini with 1000 input tokens (counted by the caller) and max_tokens 1000, so each
worst case is the same. After an admitted check the worker appends `admit ID` to LOG, then with
probability DIE_PCT % kills itself with SIGKILL (kill -9 between check and record); otherwise it records
a usage (never above the worst case) and appends `record ID`.
"""

from __future__ import annotations

import os
import random
import signal
import sys
from decimal import Decimal


def main() -> None:
    ledger_spec, user, n, die_pct, seed, ttl, on_expiry, global_cap, user_cap, log_path = sys.argv[1:11]
    from costctl.budget import BudgetGuard, GuardRequest, open_ledger
    from costctl.budget.policy import Cap, GuardPolicy

    policy = GuardPolicy(
        caps=(
            Cap("global-monthly", "global", "month", hard_usd=Decimal(global_cap)),
            Cap("user-daily", "user", "day", hard_usd=Decimal(user_cap)),
        ),
        reservation_ttl_seconds=int(ttl),
        on_expiry=on_expiry,
    )
    rng = random.Random(int(seed))
    guard = BudgetGuard(policy, open_ledger(ledger_spec))
    with open(log_path, "a", encoding="utf-8") as log:
        for _ in range(int(n)):
            decision = guard.check(
                GuardRequest(model="gpt-4.1-mini", max_tokens=1000, input_tokens=1000, user=user)
            )
            if not decision.allowed:
                continue
            log.write(f"admit {decision.request_id}\n")
            log.flush()
            if rng.random() * 100 < float(die_pct):
                os.kill(os.getpid(), signal.SIGKILL)
            output = 1000 if on_expiry == "charge" else rng.randint(0, 1000)
            guard.record(decision, {"prompt_tokens": 1000, "completion_tokens": output})
            log.write(f"record {decision.request_id}\n")
            log.flush()


if __name__ == "__main__":
    main()
