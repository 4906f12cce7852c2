"""The flags of `costctl estimate`, grouped by the mode they drive (declarations only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# --------------------------------------------------------------------- what to price
Models = Annotated[
    list[str] | None,
    typer.Option("--model", "-m", help="Model id or alias; repeat or comma-separate to compare."),
]
InputTokens = Annotated[int | None, typer.Option(help="Prompt tokens, cached ones included.")]
OutputTokens = Annotated[int | None, typer.Option(help="Output tokens, reasoning included.")]
CachedInput = Annotated[int, typer.Option(help="Part of the input read from the prompt cache.")]
CacheWrite = Annotated[int, typer.Option(help="Part of the input written to the cache (5-minute).")]
CacheWrite1h = Annotated[int, typer.Option(help="Part of the input written to the 1-hour cache.")]
Reasoning = Annotated[int, typer.Option(help="Part of the output spent on reasoning.")]
Batch = Annotated[bool, typer.Option("--batch", help="Price at the batch API rates.")]
At = Annotated[
    str | None, typer.Option("--at", help="Price in force on this date (YYYY-MM-DD); default today.")
]
Text = Annotated[str | None, typer.Option("--text", "-t", help="Prompt text to count and price.")]
File = Annotated[Path | None, typer.Option("--file", help="File holding the prompt text.")]
System = Annotated[Path | None, typer.Option("--system", help="File holding a system prompt.")]
RequestBody = Annotated[
    Path | None,
    typer.Option("--request", help="OpenAI chat-completions request body (JSON) to count and price."),
]
MaxTokens = Annotated[
    int | None, typer.Option("--max-tokens", help="Output cap of the request (worst-case output tokens).")
]

# ------------------------------------------------------------------------- workloads
WorkloadFile = Annotated[
    Path | None, typer.Option("--workload", "-w", help="Workload YAML to project per month.")
]
Months = Annotated[int | None, typer.Option("--months", help="Project N months of growth, month by month.")]
Compare = Annotated[
    list[str] | None,
    typer.Option("--compare", help="Reprice the whole workload on these models (repeatable)."),
]
WhatIf = Annotated[bool, typer.Option("--what-if", help="Rank the saving levers for the workload.")]
CapOutput = Annotated[int | None, typer.Option("--cap-output", help="What-if: cap output at N tokens.")]
RouteTo = Annotated[str | None, typer.Option("--route-to", help="What-if: route a share to this model.")]
RouteShare = Annotated[str | None, typer.Option("--route-share", help="What-if: share routed (0..1).")]
CacheHitRate = Annotated[str | None, typer.Option("--cache-hit-rate", help="What-if: cache hit rate (0..1).")]
BatchShare = Annotated[str | None, typer.Option("--batch-share", help="What-if: batch share (0..1).")]
CompressPct = Annotated[
    str | None, typer.Option("--compress-pct", help="What-if: system prompt cut, percent.")
]

# ---------------------------------------------------------------------- request budget
Budget = Annotated[str | None, typer.Option("--budget", help="Request budget: max worst-case cost in USD.")]
Fallback = Annotated[
    str | None, typer.Option("--fallback", help="Request budget: cheaper model to fall back to.")
]
MaxInput = Annotated[int | None, typer.Option(help="Request budget: max input tokens.")]
MaxOutput = Annotated[int | None, typer.Option(help="Request budget: max output tokens.")]
MaxTotal = Annotated[int | None, typer.Option(help="Request budget: max input + output tokens.")]

# ------------------------------------------------------------------------------ limits
Limits = Annotated[bool, typer.Option("--limits", help="Recommend spend limits (workload or --mau ...).")]
Mau = Annotated[int | None, typer.Option("--mau", help="Limits: monthly active users.")]
QueriesPerDay = Annotated[str | None, typer.Option(help="Limits: queries per user per day.")]
CostPerQuery = Annotated[str | None, typer.Option(help="Limits: cost of one query in USD.")]

# -------------------------------------------------------------------------------- gate
MaxMonthly = Annotated[str | None, typer.Option("--max-monthly", help="Gate: fail above this monthly USD.")]
MaxIncrease = Annotated[
    str | None, typer.Option("--max-increase", help="Gate: fail above this USD increase.")
]
MaxIncreasePct = Annotated[
    str | None, typer.Option("--max-increase-pct", help="Gate: fail above this % increase.")
]
WarnMonthly = Annotated[str | None, typer.Option("--warn-monthly", help="Gate: warn above this monthly USD.")]
WarnIncrease = Annotated[
    str | None, typer.Option("--warn-increase", help="Gate: warn above this USD increase.")
]
WarnIncreasePct = Annotated[
    str | None, typer.Option("--warn-increase-pct", help="Gate: warn above this % increase.")
]
MinIncrease = Annotated[
    str | None, typer.Option("--min-increase-usd", help="Gate: noise floor for % rules, in USD.")
]
BaselineFile = Annotated[Path | None, typer.Option("--baseline", help="Gate: JSON of a previous run.")]
BaselineRef = Annotated[
    str | None, typer.Option("--baseline-ref", help="Gate: git ref whose workload file is re-estimated.")
]
Junit = Annotated[Path | None, typer.Option("--junit", help="Gate: write JUnit XML to FILE.")]
GateFlag = Annotated[
    bool,
    typer.Option("--gate", help="Gate: evaluate the workload's `gate:` rules (implied by any gate flag)."),
]
