"""`costctl breakeven`: thin argv layer; the work is in costctl.commands.breakeven and costctl.breakeven."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from costctl.cli import breakeven_options as o
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


@app.command("self-host")
@handle_errors
def self_host(
    params_b: o.ParamsB = None,
    precision: o.Precision = "fp8",
    kv_precision: o.KvPrecision = None,
    architecture: o.Architecture = None,
    layers: o.Layers = None,
    kv_heads: o.KvHeads = None,
    head_dim: o.HeadDim = None,
    hidden: o.Hidden = None,
    gpu: o.Gpu = None,
    gpus: o.Gpus = None,
    gpu_offer: o.GpuOffer = None,
    gpu_price: o.GpuPrice = None,
    gpus_per_instance: o.GpusPerInstance = None,
    input_len: o.InputLen = 1000,
    output_len: o.OutputLen = 200,
    efficiency: o.Efficiency = 0.5,
    mbu: o.Mbu = 1.0,
    mfu: o.Mfu = 1.0,
    tpot_ms: o.TpotMs = None,
    throughput: o.Throughput = None,
    api_model: o.ApiModel = None,
    api_price_per_mtok: o.ApiPricePerMtok = None,
    tokens_per_month: o.TokensPerMonth = None,
    requests_per_month: o.RequestsPerMonth = None,
    peak_to_average: o.PeakToAverage = "1",
    max_utilisation: o.MaxUtilisation = "0.8",
    spares: o.Spares = 0,
    ops_fte: o.OpsFte = "0",
    ops_salary: o.OpsSalary = "200000",
    scenario: ScenarioOpt = None,
    gpu_table: GpuTableOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    chart: ChartOpt = None,
    at: AtOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """Self-host vs API: roofline throughput, fleet size, monthly cost and break-even volume.

    Examples:

      costctl breakeven self-host --params-b 70 --precision fp8 --gpu h100-sxm --gpus 2 --input-len 1000 --output-len 1000 --efficiency 0.5

      costctl breakeven self-host --params-b 8 --gpu h100-sxm --api-model gpt-4.1-nano --requests-per-month 3000000 --peak-to-average 3 --spares 1 --ops-fte 0.25
    """
    if scenario is not None:
        _run_scenario(scenario, fmt, output, pricing, pricing_overlay, chart, gpu_table, at, "self-host")
        return
    from costctl.breakeven.gpus import load_gpu_table
    from costctl.breakeven.scenario import (
        FleetShape,
        GpuChoice,
        ModelSpec,
        Ops,
        SelfHostScenario,
        Serving,
        Workload,
    )
    from costctl.cli.options import parse_day, split_models
    from costctl.commands import breakeven as cmd

    if params_b is None or gpu is None:
        raise InputError("give --params-b and --gpu (e.g. --params-b 70 --gpu h100-sxm), or --scenario FILE")
    s = SelfHostScenario(
        kind="self-host",
        model=ModelSpec(
            params_b=params_b,
            precision=precision,
            kv_precision=kv_precision,
            architecture=architecture,
            layers=layers,
            kv_heads=kv_heads,
            head_dim=head_dim,
            hidden=hidden,
        ),
        gpu=GpuChoice(
            name=gpu,
            gpus_per_replica=gpus,
            offer=gpu_offer,
            usd_per_instance_hour=_dec(gpu_price, "--gpu-price"),
            gpus_per_instance=gpus_per_instance,
            source="--gpu-price" if gpu_price else None,
        ),
        serving=Serving(
            efficiency=efficiency,
            mbu=mbu,
            mfu=mfu,
            tpot_slo_ms=tpot_ms,
            measured_output_tokens_per_s=throughput,
        ),
        workload=Workload(
            input_tokens=input_len,
            output_tokens=output_len,
            requests_per_month=_dec(requests_per_month, "--requests-per-month"),
            tokens_per_month=_dec(tokens_per_month, "--tokens-per-month"),
        ),
        fleet=FleetShape(
            peak_to_average=_dec(peak_to_average, "--peak-to-average"),  # type: ignore[arg-type]
            max_utilisation=_dec(max_utilisation, "--max-utilisation"),  # type: ignore[arg-type]
            spares=spares,
        ),
        ops=Ops(fte=_dec(ops_fte, "--ops-fte"), loaded_usd_per_year=_dec(ops_salary, "--ops-salary")),  # type: ignore[arg-type]
        api=split_models(api_model),
        api_price_per_mtok=_dec(api_price_per_mtok, "--api-price-per-mtok"),
    )
    report, chart_data = cmd.self_host_report(
        s, catalog(pricing, pricing_overlay), load_gpu_table(gpu_table), parse_day(at)
    )
    emit(report, fmt, output)
    _write_chart(chart, chart_data, report.title or "self-host vs API")
