"""`costctl breakeven self-host`: roofline throughput, fleet size, monthly cost and break-even volume vs an API."""

from __future__ import annotations

from costctl.cli import breakeven_options as o
from costctl.cli.breakeven import (
    AtOpt,
    ChartOpt,
    GpuTableOpt,
    ScenarioOpt,
    _dec,
    _run_scenario,
    _write_chart,
    app,
)
from costctl.cli.common import (
    FormatOpt,
    OutputOpt,
    OverlayOpt,
    PricingDirOpt,
    catalog,
    emit,
    handle_errors,
)
from costctl.errors import InputError
from costctl.report import Format


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
