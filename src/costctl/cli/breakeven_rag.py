"""`costctl breakeven rag-vs-finetune`: the rule of thumb from flags, or the full model from a scenario."""

from __future__ import annotations

from typing import Annotated

import typer

from costctl.cli.breakeven import AtOpt, ChartOpt, ScenarioOpt, _dec, _run_scenario, app
from costctl.cli.common import (
    FormatOpt,
    OutputOpt,
    OverlayOpt,
    PricingDirOpt,
    emit,
    handle_errors,
)
from costctl.errors import InputError
from costctl.report import Format


@app.command("rag-vs-finetune")
@handle_errors
def rag_vs_finetune(
    training_cost: Annotated[
        str | None, typer.Option("--training-cost", help="Cost of one fine-tuning run, USD.")
    ] = None,
    per_query_savings: Annotated[
        str | None,
        typer.Option("--per-query-savings", help="What the fine-tuned model saves per query, USD."),
    ] = None,
    retrains_per_month: Annotated[
        str | None, typer.Option("--retrains-per-month", help="Retraining runs per month (recurring cost).")
    ] = None,
    scenario: ScenarioOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    chart: ChartOpt = None,
    at: AtOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """RAG vs fine-tune: the rule of thumb from flags, or the full model (RAG, fine-tunes, whole knowledge
    base in a cached prompt) from --scenario.

    Examples:

      costctl breakeven rag-vs-finetune --training-cost 200 --per-query-savings 0.004 --retrains-per-month 1 -f json

      costctl breakeven rag-vs-finetune --scenario examples/breakeven/rag-support-assistant.yaml --chart rag.svg
    """
    if scenario is not None:
        if training_cost is not None or per_query_savings is not None:
            raise InputError("give --scenario or --training-cost/--per-query-savings, not both")
        _run_scenario(scenario, fmt, output, pricing, pricing_overlay, chart, None, at, "rag-vs-finetune")
        return
    from costctl.commands import breakeven as cmd

    if training_cost is None or per_query_savings is None:
        raise InputError("give --training-cost USD and --per-query-savings USD, or --scenario FILE")
    report = cmd.rule_of_thumb(
        _dec(training_cost, "--training-cost"),  # type: ignore[arg-type]
        _dec(per_query_savings, "--per-query-savings"),  # type: ignore[arg-type]
        _dec(retrains_per_month, "--retrains-per-month"),
    )
    emit(report, fmt, output)
    if chart is not None:
        raise InputError("--chart needs a scenario (the rule of thumb has no volume curve)")
