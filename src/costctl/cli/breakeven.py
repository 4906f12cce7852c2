"""`costctl breakeven`: thin argv layer; the work is in costctl.commands.breakeven and costctl.breakeven."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from costctl.cli.common import (
    FormatOpt,
    OutputOpt,
    OverlayOpt,
    PricingDirOpt,
    catalog,
    emit,
    handle_errors,
    note,
    write_atomic,
)
from costctl.errors import InputError
from costctl.report import Format

app = typer.Typer(
    help="Break-even economics: RAG vs fine-tune vs whole knowledge base in the prompt; self-host vs API.\n\n"
    "Examples:\n\n"
    "  costctl breakeven rag-vs-finetune --training-cost 200 --per-query-savings 0.004\n\n"
    "  costctl breakeven self-host --params-b 70 --precision fp8 --gpu h100-sxm --gpus 2 "
    "--input-len 1000 --output-len 1000 --efficiency 0.5\n\n"
    "  costctl breakeven --scenario examples/breakeven/rag-support-assistant.yaml",
    no_args_is_help=False,
    invoke_without_command=True,
)

ScenarioOpt = Annotated[
    Path | None, typer.Option("--scenario", help="Run a scenario YAML file (see examples/breakeven/).")
]
ChartOpt = Annotated[
    Path | None, typer.Option("--chart", help="Write a crossover chart (cost vs volume) as SVG.")
]
GpuTableOpt = Annotated[
    Path | None, typer.Option("--gpu-table", help="GPU specs/prices YAML replacing the bundled table.")
]
AtOpt = Annotated[
    str | None, typer.Option("--at", help="Prices in force on this date (YYYY-MM-DD); default today.")
]


def _dec(value: str | None, flag: str) -> Decimal | None:
    if value is None:
        return None
    from costctl.breakeven.strict import to_decimal

    return to_decimal(value, flag)


def _write_chart(path: Path | None, chart: dict[str, Any] | None, title: str) -> None:
    if path is None:
        return
    if chart is None:
        raise InputError("--chart needs a volume and something to compare (e.g. --api-model and a volume)")
    from costctl.render.svg import line_chart

    series = [(s["label"], [(x, y) for x, y in s["points"]]) for s in chart["series"]]
    svg = line_chart(series, title=title, x_label=chart["x_label"], y_label=chart["y_label"], log_x=True)
    write_atomic(path, svg)
    note(f"wrote {path}")


def _run_scenario(
    path: Path,
    fmt: Format,
    output: Path | None,
    pricing: Path | None,
    overlay: list[Path] | None,
    chart: Path | None,
    gpu_table: Path | None,
    at: str | None,
    expect_kind: str | None = None,
) -> None:
    from costctl.breakeven.gpus import load_gpu_table
    from costctl.breakeven.scenario import RagScenario, load_scenario
    from costctl.cli.options import parse_day
    from costctl.commands import breakeven as cmd

    scenario = load_scenario(path)
    if expect_kind and scenario.kind != expect_kind:
        raise InputError(
            f"kind: this scenario is {scenario.kind!r}; run it with `costctl breakeven --scenario`",
            where=str(path),
        )
    day = parse_day(at if at is not None else scenario.priced_on)
    cat = catalog(pricing, overlay)
    chart_data: dict[str, Any] | None
    if isinstance(scenario, RagScenario):
        report, chart_data = cmd.rag_report(scenario, cat, day)
    else:
        table_path = gpu_table or (path.parent / scenario.gpu_table if scenario.gpu_table else None)
        report, chart_data = cmd.self_host_report(scenario, cat, load_gpu_table(table_path), day)
    emit(report, fmt, output)
    _write_chart(chart, chart_data, report.title or "break-even")


@app.callback()
@handle_errors
def breakeven(
    ctx: typer.Context,
    scenario: ScenarioOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    chart: ChartOpt = None,
    gpu_table: GpuTableOpt = None,
    at: AtOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """Break-even economics. Run a scenario file, or use a subcommand.

    Example: costctl breakeven --scenario examples/breakeven/selfhost-8b-chat.yaml --chart crossover.svg
    """
    if ctx.invoked_subcommand is not None:
        if scenario is not None:
            raise InputError(
                "put --scenario after the subcommand, or use `costctl breakeven --scenario FILE` alone"
            )
        return
    if scenario is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    _run_scenario(scenario, fmt, output, pricing, pricing_overlay, chart, gpu_table, at)


# The subcommands live one module each; importing them registers them on `app`.
from costctl.cli import breakeven_rag, breakeven_selfhost  # noqa: E402, F401
