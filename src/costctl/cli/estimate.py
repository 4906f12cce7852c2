"""`costctl estimate`: argv → the typed request of one mode → its command → render.

The modes, tried in this order: a workload (projection, `--what-if`, `--limits`, or the CI gate), spend
limits from `--mau`, a request budget, a request body, a prompt text, counted tokens. The work is in
costctl.commands (estimate, workload, whatif, limits, budget, gate); this module only reads flags and files.
"""

from __future__ import annotations

import sys
from pathlib import Path

from costctl.cli import estimate_options as o
from costctl.cli.common import FormatOpt, OutputOpt, OverlayOpt, PricingDirOpt, catalog, emit, handle_errors
from costctl.cli.estimate_modes import (
    budget_request,
    gate_request,
    levers_from_flags,
    optional,
    read_json,
    read_text,
)
from costctl.errors import InputError
from costctl.report import Format
from costctl.values import MAX_USERS, parse_count, parse_number, parse_usd


@handle_errors
def estimate(
    model: o.Models = None, input_tokens: o.InputTokens = None, output_tokens: o.OutputTokens = None,
    cached_input_tokens: o.CachedInput = 0, cache_write_tokens: o.CacheWrite = 0,
    cache_write_1h_tokens: o.CacheWrite1h = 0, reasoning_tokens: o.Reasoning = 0, batch: o.Batch = False,
    at: o.At = None, text: o.Text = None, file: o.File = None, system: o.System = None,
    request: o.RequestBody = None, max_tokens: o.MaxTokens = None,
    workload: o.WorkloadFile = None, months: o.Months = None, compare: o.Compare = None,
    what_if: o.WhatIf = False, cap_output: o.CapOutput = None, route_to: o.RouteTo = None,
    route_share: o.RouteShare = None, cache_hit_rate: o.CacheHitRate = None, batch_share: o.BatchShare = None,
    compress_pct: o.CompressPct = None,
    budget: o.Budget = None, fallback: o.Fallback = None, max_input_tokens: o.MaxInput = None,
    max_output_tokens: o.MaxOutput = None, max_total_tokens: o.MaxTotal = None,
    limits: o.Limits = False, mau: o.Mau = None, queries_per_user_per_day: o.QueriesPerDay = None,
    cost_per_query: o.CostPerQuery = None,
    max_monthly: o.MaxMonthly = None, max_increase: o.MaxIncrease = None, max_increase_pct: o.MaxIncreasePct = None,
    warn_monthly: o.WarnMonthly = None, warn_increase: o.WarnIncrease = None,
    warn_increase_pct: o.WarnIncreasePct = None, min_increase_usd: o.MinIncrease = None,
    baseline: o.BaselineFile = None, baseline_ref: o.BaselineRef = None, junit: o.Junit = None,
    gate_flag: o.GateFlag = False,
    fmt: FormatOpt = Format.TABLE, output: OutputOpt = None, pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:  # fmt: skip
    """Price a prompt, a request, or a whole workload before sending it; gate CI on projected spend.

    Examples:

      costctl estimate --model gpt-4o-mini --input-tokens 1200 --output-tokens 300

      costctl estimate --text "Explain vector databases." -m gpt-4.1-mini,claude-haiku-4-5 --output-tokens 200

      costctl estimate --request body.json --format json

      costctl estimate --workload workload.yaml --months 12 --compare gpt-4.1-mini

      costctl estimate --workload workload.yaml --what-if --route-to gpt-4o-mini

      costctl estimate --text "Explain transformers architecture." -m gpt-4.1 --max-tokens 500
      --budget 0.001 --fallback gpt-4.1-mini

      costctl estimate --limits --mau 20000 --queries-per-user-per-day 5 --cost-per-query 0.002

      costctl estimate --workload workload.yaml --max-monthly 5000 --baseline base.json --max-increase-pct 10

    A month is 30 days unless the workload sets days_per_month. Request budget: exit 0 allow or fallback,
    1 reject. Gate: exit 0 pass, 1 a fail threshold breached, 2 usage or config error, 3 incomplete
    (a needed price is unpublished and no absolute threshold is already breached).
    """
    from costctl.cli.options import parse_day, split_models
    from costctl.commands import estimate as cmd

    day, models = parse_day(at), split_models(model)
    counts = {"--input-tokens": input_tokens, "--output-tokens": output_tokens, "--max-tokens": max_tokens,
              "--cached-input-tokens": cached_input_tokens, "--cache-write-tokens": cache_write_tokens,
              "--cache-write-1h-tokens": cache_write_1h_tokens, "--reasoning-tokens": reasoning_tokens,
              "--cap-output": cap_output, "--max-input-tokens": max_input_tokens,
              "--max-output-tokens": max_output_tokens, "--max-total-tokens": max_total_tokens,
              "--months": months}  # fmt: skip
    for flag, value in counts.items():
        if value is not None:
            parse_count(value, flag)
    if mau is not None:
        parse_count(mau, "--mau", maximum=MAX_USERS)
    cat = catalog(pricing, pricing_overlay)
    out_tokens = max_tokens if max_tokens is not None else output_tokens
    if workload is not None:
        from costctl.commands.workload import load_workload

        work = load_workload(workload)
        thresholds = dict(max_monthly=max_monthly, max_increase=max_increase, max_increase_pct=max_increase_pct,
                          warn_monthly=warn_monthly, warn_increase=warn_increase,
                          warn_increase_pct=warn_increase_pct)  # fmt: skip
        if what_if:
            from costctl.commands.whatif import what_if as run_what_if

            levers = levers_from_flags(work, cap_output, route_to, route_share, cache_hit_rate, batch_share,
                                       compress_pct)  # fmt: skip
            return emit(run_what_if(cat, work, levers, on=day), fmt, output)
        if limits:
            from costctl.commands.limits import workload_limits

            return emit(workload_limits(cat, work, on=day), fmt, output)
        if gate_flag or junit or baseline or baseline_ref or any(v is not None for v in thresholds.values()):
            from costctl.cli.gate_output import deliver_gate
            from costctl.commands.gate import run_gate

            req = gate_request(workload, day, thresholds, min_increase_usd, baseline, baseline_ref)
            return deliver_gate(run_gate(cat, work, req), fmt, output, junit=junit, workload=workload)
        return emit(cmd.estimate_workload(cat, work, on=day, months=months, compare=split_models(compare)),
                    fmt, output)  # fmt: skip
    if limits:
        from costctl.commands.limits import mau_limits

        per_day = optional(parse_number, queries_per_user_per_day, "--queries-per-user-per-day")
        return emit(
            mau_limits(mau, per_day, optional(parse_usd, cost_per_query, "--cost-per-query")), fmt, output
        )
    if budget is not None or fallback is not None or (max_input_tokens, max_output_tokens, max_total_tokens) != (
        None, None, None):  # fmt: skip
        from costctl.commands.budget import run_budget_check

        budget_req = budget_request(models, _prompt(text, file, stdin_allowed=True), out_tokens, budget, fallback,
                             max_input_tokens, max_output_tokens, max_total_tokens, day, system)  # fmt: skip
        return emit(run_budget_check(cat, budget_req), fmt, output)
    if request is not None:
        body = read_json(request, "--request")
        return emit(cmd.estimate_request(cat, body, on=day, model_names=models, output_tokens=out_tokens,
                                         where=str(request), batch=batch), fmt, output)  # fmt: skip
    if not models:
        raise InputError("--model is required (e.g. --model gpt-4o-mini); see `costctl pricing list`")
    prompt = _prompt(text, file, stdin_allowed=input_tokens is None)
    if prompt is not None:
        if input_tokens is not None:
            raise InputError("give either a prompt (--text/--file/stdin) or --input-tokens, not both")
        system_text = read_text(system, "--system") if system is not None else None
        return emit(cmd.estimate_text(cat, models, prompt, output_tokens=out_tokens, on=day, system=system_text,
                                      batch=batch), fmt, output)  # fmt: skip
    if input_tokens is None:
        raise InputError(
            "nothing to price: give --input-tokens N, --text, --file, --request, --workload, or stdin"
        )
    from costctl.models import Usage

    usage = Usage(input_tokens=input_tokens, output_tokens=out_tokens or 0, cached_input_tokens=cached_input_tokens,
                  cache_write_5m_tokens=cache_write_tokens, cache_write_1h_tokens=cache_write_1h_tokens,
                  reasoning_tokens=reasoning_tokens)  # fmt: skip
    emit(
        cmd.estimate_usage(cat, models, usage, on=day, batch=batch, output_given=out_tokens is not None),
        fmt,
        output,
    )


def _prompt(text: str | None, file: Path | None, *, stdin_allowed: bool) -> str | None:
    if text is not None and file is not None:
        raise InputError("give the prompt with --text or --file, not both")
    if text is not None:
        return text
    if file is not None:
        return read_text(file, "--file")
    if stdin_allowed and not sys.stdin.isatty():
        data = sys.stdin.read()
        return data if data else None
    return None
