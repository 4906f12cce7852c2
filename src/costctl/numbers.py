"""Bounds on user-supplied numbers and the Decimal context every run uses.

Python's default Decimal context keeps 28 significant digits: near 1e24 USD a sum loses its last cents
and `total_usd` stops equalling the sum of its parts; above ~1e26 quantizing to cents raises
`InvalidOperation`. costctl therefore (1) runs with a wide context, so every sum of bounded inputs is
exact, and (2) refuses absurd inputs at the door, with one bound per quantity used by every command:

- a token count given on the command line (`estimate --input-tokens`, which may be a month's sum): at
  most `MAX_TOKENS` (10^15, a quadrillion tokens, far beyond any bill);
- tokens in one request of a workload: at most `MAX_TOKENS_PER_REQUEST` (100 M, ten times the largest
  context window any provider sells);
- an amount of money given by the user (budgets, shared costs, thresholds): at most `MAX_USD`
  (one quadrillion dollars, about ten times world GDP);
- a price per million tokens in a price table: at most `MAX_USD_PER_MTOK`.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

MAX_TOKENS = 10**15
MAX_TOKENS_PER_REQUEST = 100_000_000
MAX_USD = Decimal(10) ** 15
MAX_USD_PER_MTOK = Decimal(10) ** 6

# 60 digits hold any product or sum of bounded inputs exactly (tokens < 1e9 x price < 1e7 with up to
# 12 decimals, summed over < 1e15 rows); exponents stay small, so Overflow is a bug, never an input.
MONEY_PRECISION = 60


def use_money_context() -> None:
    """Set the Decimal context for this thread and for threads started later. Called once per CLI run
    (cli/guard.py); library users who price sums near 1e24 can call it too."""
    decimal.DefaultContext.prec = MONEY_PRECISION
    decimal.getcontext().prec = MONEY_PRECISION
