"""Self-host vs API analysis: physics → replica capacity → fleet cost → break-even, as plain data.

Inputs are a `SelfHostScenario` (the CLI builds one from its flags, so flags and files share one path).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from costctl.breakeven.gpus import Architecture, GpuTable
from costctl.breakeven.physics import Efficiency, ModelShape, Replica, fits, smallest_tp, throughput
from costctl.breakeven.prices import flat_price_model, monthly_usd, per_request_usd, to_decimal_physics
from costctl.breakeven.rag import Assumption, Resolver
from costctl.breakeven.scenario import SelfHostScenario
from costctl.breakeven.selfhost import Fleet, break_even, naive_break_even
from costctl.errors import InputError
from costctl.models import ModelPrice, Usage
from costctl.pricing.catalog import Catalog


@dataclass
class SelfHostResult:
    data: dict[str, Any]
    assumptions: list[Assumption]
    notes: list[str] = field(default_factory=list)
    sensitivity: list[dict[str, Any]] = field(default_factory=list)
    variants: list[dict[str, Any]] = field(default_factory=list)
    apis: list[dict[str, Any]] = field(default_factory=list)
    chart: dict[str, Any] | None = None


def _architecture(s: SelfHostScenario, table: GpuTable, assumptions: list[Assumption]) -> Architecture:
    m = s.model
    explicit = (m.layers, m.kv_heads, m.head_dim, m.hidden)
    if all(v is not None for v in explicit):
        return Architecture(m.params_b, m.layers, m.kv_heads, m.head_dim, m.hidden)  # type: ignore[arg-type]
    if any(v is not None for v in explicit):
        raise InputError("give all of --layers, --kv-heads, --head-dim and --hidden, or none")
    if m.architecture:
        arch = table.architecture(m.architecture)
        name = m.architecture
    else:
        name, arch = table.nearest_architecture(m.params_b)
    assumptions.append(
        Assumption(
            "architecture (KV-cache size)",
            f"{name}: {arch.layers} layers, {arch.kv_heads} KV heads × {arch.head_dim}, hidden {arch.hidden}",
            "preset nearest in parameters, HF config.json values (docs/breakeven.md#gpu-table)"
            if not m.architecture
            else "scenario preset (docs/breakeven.md#gpu-table)",
        )
    )
    return arch


def _volume(s: SelfHostScenario) -> Decimal | None:
    w = s.workload
    if w.requests_per_month is not None and w.tokens_per_month is not None:
        raise InputError("give --requests-per-month or --tokens-per-month, not both")
    if w.requests_per_month is not None:
        if w.requests_per_month <= 0:
            raise InputError(f"--requests-per-month: must be positive, got {w.requests_per_month}")
        return w.requests_per_month
    if w.tokens_per_month is not None:
        if w.tokens_per_month <= 0:
            raise InputError(f"--tokens-per-month: must be positive, got {w.tokens_per_month}")
        # Tokens are input + output (docs/breakeven.md#worked-examples), so requests = tokens / (ISL + OSL).
        return w.tokens_per_month / (w.input_tokens + w.output_tokens)
    return None


def _fleet(
    s: SelfHostScenario, table: GpuTable, gpu_id: str, tp: int, r: Decimal, assumptions: list[Assumption]
) -> Fleet:
    spec = table.gpus[gpu_id]
    g = s.gpu
    if g.usd_per_instance_hour is not None:
        price, per_instance = g.usd_per_instance_hour, g.gpus_per_instance or 1
        source = g.source or "user input"
    else:
        offer_name = g.offer or spec.default_offer
        if offer_name is None or offer_name not in spec.offers:
            raise InputError(
                f"--gpu-offer: no offer {offer_name!r} for {gpu_id} (offers: {', '.join(spec.offers)})"
            )
        offer = spec.offers[offer_name]
        price, per_instance = offer.usd_per_instance_hour, offer.gpus
        source = f"{offer.source}, as of {offer.as_of} (GPU table checked {table.checked})"
    assumptions.append(
        Assumption("GPU price", f"${price}/instance-hour, {per_instance} GPU(s) per instance", source)
    )
    o = s.ops
    if o.fte < 0 or o.loaded_usd_per_year < 0 or o.other_usd_per_month < 0 or o.one_time_usd < 0:
        raise InputError("ops: labour and costs must not be negative")
    ops = o.fte * o.loaded_usd_per_year / 12
    assumptions.append(
        Assumption(
            "ops labour",
            f"{o.fte} FTE × ${o.loaded_usd_per_year}/year = ${ops:.2f}/month",
            "user input; examples use $200k/yr loaded (docs/breakeven.md#defaults)",
        )
    )
    f = s.fleet
    fleet = Fleet(
        requests_per_s=r,
        tp=tp,
        usd_per_instance_hour=price,
        gpus_per_instance=per_instance,
        peak_to_average=f.peak_to_average,
        max_utilisation=f.max_utilisation,
        spares=f.spares,
        ops_usd_per_month=ops,
        other_usd_per_month=o.other_usd_per_month + o.one_time_usd / max(1, o.amortisation_months),
    )
    fleet.check()
    assumptions.append(
        Assumption(
            "load shape",
            f"peak-to-average {f.peak_to_average}, max utilisation "
            f"{f.max_utilisation}, {f.spares} spare replica(s)",
            "defaults PAR 1 / ρ 0.8 / no spare; interactive: PAR 3, N+1 (docs/breakeven.md#defaults)",
        )
    )
    return fleet


def _apis(
    s: SelfHostScenario, catalog: Catalog, on: dt.date | None, assumptions: list[Assumption]
) -> list[ModelPrice]:
    res = Resolver(catalog, None, on, assumptions, overrides=s.prices)
    models = [res.model(name, "--api-model") for name in s.api]
    if s.api_price_per_mtok is not None:
        models.append(flat_price_model(s.api_price_per_mtok, "--api-price-per-mtok"))
        assumptions.append(
            Assumption("API price", f"${s.api_price_per_mtok}/Mtok input and output", "user input")
        )
    return models


def analyse(s: SelfHostScenario, catalog: Catalog, table: GpuTable, on: dt.date | None) -> SelfHostResult:
    assumptions: list[Assumption] = []
    notes: list[str] = []
    w = s.workload
    if w.input_tokens < 0 or w.output_tokens <= 0:
        raise InputError("--input-len must be >= 0 and --output-len > 0")
    if s.model.params_b <= 0:
        raise InputError(f"--params-b: must be positive, got {s.model.params_b:g}")
    gpu_id, spec = table.get(s.gpu.name)
    arch = _architecture(s, table, assumptions)
    shape = ModelShape.from_arch(
        s.model.params_b, arch, precision=s.model.precision, kv_precision=s.model.kv_precision
    )
    context = w.input_tokens + w.output_tokens
    sv = s.serving
    if not (0 < sv.memory_fraction <= 1):
        raise InputError("memory fraction must be in (0, 1]")
    if s.gpu.gpus_per_replica is not None:
        tp = s.gpu.gpus_per_replica
        if tp < 1:
            raise InputError(f"--gpus: must be at least 1, got {tp}")
        if not fits(spec, tp, shape, context, sv.memory_fraction):
            raise InputError(
                f"a {s.model.params_b:g}B {s.model.precision} model does not fit {tp}× {gpu_id} "
                f"with {context:,} tokens of context; try more GPUs or lower precision"
            )
    else:
        found = smallest_tp(spec, shape, context, sv.memory_fraction)
        if found is None:
            raise InputError(
                f"a {s.model.params_b:g}B {s.model.precision} model fits no {gpu_id} replica of up to "
                f"8 GPUs with {context:,} tokens of context"
            )
        tp = found
        assumptions.append(
            Assumption(
                "GPUs per replica",
                str(tp),
                "smallest TP in {1,2,4,8} that fits (docs/breakeven.md#self-host-vs-api)",
            )
        )
    eff = Efficiency(mbu=sv.mbu, mfu=sv.mfu, system=sv.efficiency)
    eff.check()
    replica = Replica(spec, tp, shape, sv.memory_fraction)
    tpot = sv.tpot_slo_ms / 1000 if sv.tpot_slo_ms is not None else None
    th = throughput(replica, w.input_tokens, w.output_tokens, eff, tpot_slo_s=tpot, batch_cap=sv.batch_cap)
    ceiling = throughput(
        replica, w.input_tokens, w.output_tokens, Efficiency(1, 1, 1), batch_cap=sv.batch_cap
    )
    assumptions.append(
        Assumption(
            "efficiency",
            f"η_sys {sv.efficiency}, MBU {sv.mbu}, MFU {sv.mfu}",
            "η_sys default 0.5; 39 published points span 0.29–0.82 (docs/breakeven.md#efficiency)",
        )
    )
    assumptions.append(
        Assumption(
            "GPU",
            f"{gpu_id}: {spec.memory_gb} GB, {spec.bandwidth_tb_s} TB/s, "
            f"{spec.bf16_tflops} BF16 / {spec.fp8_tflops} FP8 TFLOPS",
            f"{table.source} (docs/breakeven.md#gpu-table)",
        )
    )
    tokens_per_s = th.output_tokens_per_s
    if sv.measured_output_tokens_per_s is not None:
        measured = sv.measured_output_tokens_per_s
        if measured <= 0:
            raise InputError(f"--throughput: must be positive, got {measured:g}")
        roof = ceiling.roofline_output_tokens_per_s
        if measured > roof:
            raise InputError(
                f"--throughput {measured:,.0f} output tok/s is above the physical roofline of {roof:,.0f} tok/s "
                f"for this model on {tp}× {gpu_id} at {w.input_tokens}/{w.output_tokens} tokens (memory bandwidth "
                "and FLOP/s at 100 %); check the unit (per GPU vs total, output vs input+output)"
            )
        if measured < 0.2 * roof:
            notes.append(
                f"measured throughput is below 0.2× the roofline ({roof:,.0f} tok/s); check the setup"
            )
        tokens_per_s = measured
        assumptions.append(
            Assumption(
                "throughput",
                f"{measured:,.0f} output tok/s measured ({measured / roof:.2f} of roofline)",
                "user measurement",
            )
        )
    r = to_decimal_physics(tokens_per_s / w.output_tokens)
    data: dict[str, Any] = {
        "gpu": gpu_id,
        "gpus_per_replica": tp,
        "precision": s.model.precision,
        "params_b": s.model.params_b,
        "input_len": w.input_tokens,
        "output_len": w.output_tokens,
        "throughput_tokens_per_s": to_decimal_physics(tokens_per_s),
        "roofline_tokens_per_s": to_decimal_physics(ceiling.roofline_output_tokens_per_s),
        "estimated_tokens_per_s": to_decimal_physics(th.output_tokens_per_s),
        "requests_per_s_per_replica": r,
        "batch": th.batch,
        "batch_limited_by": th.batch_limit,
        "max_batch_memory": th.b_max,
        "decode_bound": th.bound,
        "decode_step_ms": to_decimal_physics(th.t_dec_s * 1000),
        "prefill_ms": to_decimal_physics(th.t_pre_s * 1000),
    }
    result = SelfHostResult(data=data, assumptions=assumptions, notes=notes)
    volume = _volume(s)
    apis = _apis(s, catalog, on, assumptions)
    if volume is None and not apis:
        return result
    fleet = _fleet(s, table, gpu_id, tp, r, assumptions)
    per_req = Usage(input_tokens=w.input_tokens, output_tokens=w.output_tokens)
    tok_per_req = Decimal(w.input_tokens + w.output_tokens)
    data["capacity_requests_per_month_per_replica"] = fleet.requests_per_replica_month
    data["capacity_tokens_per_month_per_replica"] = fleet.requests_per_replica_month * tok_per_req
    data["usd_per_mtok_at_max_utilisation_gpu_only"] = (
        fleet.usd_per_request_at_max_utilisation() / tok_per_req * 1_000_000
    )
    if volume is not None:
        cost = fleet.at(volume)
        data.update(
            {
                "requests_per_month": volume,
                "tokens_per_month": volume * tok_per_req,
                "self_host_monthly_usd": cost.total_usd,
                "self_host_gpu_usd": cost.gpu_usd,
                "self_host_ops_usd": cost.ops_usd,
                "replicas": cost.replicas,
                "gpus": cost.gpus,
                "gpus_billed": cost.gpus_billed,
                "instances": cost.instances,
                "utilisation": cost.utilisation,
                "average_requests_per_s": cost.average_requests_per_s,
                "peak_requests_per_s": cost.peak_requests_per_s,
            }
        )
    for model in apis:
        c_api = per_request_usd(model, per_req, on)
        be = break_even(fleet, c_api)
        row: dict[str, Any] = {
            "model": model.id,
            "api_usd_per_request": c_api,
            "api_monthly_usd": monthly_usd(model, per_req, volume, on) if volume is not None else None,
            "break_even_requests_per_month": be.requests_per_month,
            "break_even_tokens_per_month": be.requests_per_month * tok_per_req
            if be.requests_per_month is not None
            else None,
            "break_even_gpus": be.fleet.gpus_billed if be.fleet else None,
            "break_even_self_host_usd": be.fleet.total_usd if be.fleet else None,
            "break_even_utilisation_gpu_only": fleet.break_even_utilisation(c_api),
            "naive_break_even_requests_per_month": naive_break_even(fleet, c_api),
            "reason": be.reason,
        }
        if volume is not None:
            row["cheaper"] = "self-host" if data["self_host_monthly_usd"] <= row["api_monthly_usd"] else "api"
        result.apis.append(row)
    if result.apis:
        first = result.apis[0]
        for key in ("api_monthly_usd", "break_even_tokens_per_month", "break_even_requests_per_month"):
            data[key] = first[key]
        data["api_model"] = first["model"]
        _variants(s, fleet, apis, per_req, volume, tok_per_req, on, result)
        if volume is not None:
            _sensitivity(s, fleet, apis[0], per_req, volume, on, result)
        _chart(fleet, apis, per_req, volume, s, on, result)
    return result


def _variants(
    s: SelfHostScenario,
    fleet: Fleet,
    apis: list[ModelPrice],
    per_req: Usage,
    volume: Decimal | None,
    tok_per_req: Decimal,
    on: dt.date | None,
    result: SelfHostResult,
) -> None:
    for v in s.variants:
        changes: dict[str, Any] = {}
        if v.usd_per_instance_hour is not None:
            changes["usd_per_instance_hour"] = v.usd_per_instance_hour
            changes["gpus_per_instance"] = v.gpus_per_instance or fleet.gpus_per_instance
        if v.fte is not None:
            changes["ops_usd_per_month"] = v.fte * s.ops.loaded_usd_per_year / 12
        vf = replace(fleet, **changes)
        vf.check()
        for model in apis:
            be = break_even(vf, per_request_usd(model, per_req, on))
            result.variants.append(
                {
                    "variant": v.name,
                    "api_model": model.id,
                    "self_host_monthly_usd": vf.at(volume).total_usd if volume is not None else None,
                    "break_even_tokens_per_month": be.requests_per_month * tok_per_req
                    if be.requests_per_month is not None
                    else None,
                    "break_even_requests_per_month": be.requests_per_month,
                    "source": v.source or "scenario",
                }
            )


def _sensitivity(
    s: SelfHostScenario,
    fleet: Fleet,
    api: ModelPrice,
    per_req: Usage,
    volume: Decimal,
    on: dt.date | None,
    result: SelfHostResult,
) -> None:
    """One factor at a time, low and high (docs/breakeven.md#break-even-search: tornado over price, η, PAR, ops)."""
    c_api = per_request_usd(api, per_req, on)
    eta = Decimal(str(s.serving.efficiency))
    cases: list[tuple[str, str, Fleet]] = []
    for label, k in (("GPU price ×0.75", "0.75"), ("GPU price ×1.25", "1.25")):
        cases.append(
            (
                "gpu price",
                label,
                replace(fleet, usd_per_instance_hour=fleet.usd_per_instance_hour * Decimal(k)),
            )
        )
    for e in ("0.3", "0.8"):  # η band of the published points (docs/breakeven.md#defaults)
        cases.append(
            ("efficiency", f"η {e}", replace(fleet, requests_per_s=fleet.requests_per_s * Decimal(e) / eta))
        )
    par = fleet.peak_to_average
    for p in sorted({max(Decimal(1), par / 2), par * 2}):
        cases.append(("peak-to-average", f"PAR {p}", replace(fleet, peak_to_average=p)))
    for k in ("0.5", "2"):
        cases.append(
            (
                "ops labour",
                f"ops ×{k}",
                replace(fleet, ops_usd_per_month=fleet.ops_usd_per_month * Decimal(k)),
            )
        )
    base = break_even(fleet, c_api)
    result.sensitivity.append(
        {
            "factor": "base",
            "case": "as given",
            "self_host_monthly_usd": fleet.at(volume).total_usd,
            "break_even_requests_per_month": base.requests_per_month,
        }
    )
    for factor, label, f in cases:
        be = break_even(f, c_api)
        result.sensitivity.append(
            {
                "factor": factor,
                "case": label,
                "self_host_monthly_usd": f.at(volume).total_usd,
                "break_even_requests_per_month": be.requests_per_month,
            }
        )


def _chart(
    fleet: Fleet,
    apis: list[ModelPrice],
    per_req: Usage,
    volume: Decimal | None,
    s: SelfHostScenario,
    on: dt.date | None,
    result: SelfHostResult,
) -> None:
    from costctl.breakeven.rag import volume_grid

    if s.volume_range is not None:
        grid = volume_grid(s.volume_range.start, s.volume_range.stop, max(s.volume_range.points, 2))
    else:
        cap = fleet.requests_per_replica_month
        centre = volume or cap
        grid = volume_grid(centre / 100, max(centre, cap) * 10, 60)
    series = [{"label": "self-host", "points": [[v, fleet.at(v).total_usd] for v in grid]}]
    for m in apis:
        series.append({"label": m.id, "points": [[v, monthly_usd(m, per_req, v, on)] for v in grid]})
    result.chart = {"x_label": "requests per month", "y_label": "USD per month", "series": series}
