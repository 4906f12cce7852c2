"""Roofline throughput of one serving replica (floats: physics, never money).

Every formula is docs/breakeven.md#roofline-throughput:
- weights W = N·b_w; KV bytes per token κ = 2·L·n_kv·d_head·b_kv;
- decode step t_dec(B, c) = max((W + B·c·κ)/(TP·BW·η_m), (2·N·B + 4·L·d·c·B)/(TP·F·η_f));
- prefill t_pre(ISL) = (2·N·ISL + 2·L·d·ISL²)/(TP·F·η_f), compute-bound;
- B_max = floor((TP·M·f_mem − W)/(c·κ)) with c = ISL + OSL;
- GPU-seconds per request S(B) = t_pre(ISL) + OSL·t_dec(B, ISL + OSL/2)/B; R = 1/S; X = R·OSL.
  (The offline static-batch form X = B·OSL/(B·t_pre + OSL·t_dec) is algebraically the same.)
- B = min(B_max, B_slo, batch cap 4,096) where B_slo is the largest B with t_dec ≤ TPOT SLO.
The calibrated estimate is η_sys × this (default η_sys 0.5, docs/breakeven.md#efficiency; 39 published points lie within
0.29–0.82 of the η = 1 roofline).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from costctl.breakeven.gpus import Architecture, GpuSpec
from costctl.errors import InputError

# bytes per weight / KV element for each precision name (docs/breakeven.md#roofline-throughput: INT4 = 0.5 byte, FP8/INT8 = 1)
PRECISION_BYTES = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
TP_DEGREES = (1, 2, 4, 8)  # docs/breakeven.md#self-host-vs-api step 1
DEFAULT_F_MEM = 0.90  # vLLM gpu_memory_utilization default (docs/breakeven.md#defaults)
DEFAULT_BATCH_CAP = 4096  # TRT-LLM v1.0 rows cap the batch at 4,096 (docs/breakeven.md#roofline-throughput)


def precision_bytes(name: str, what: str) -> float:
    key = name.strip().lower()
    if key not in PRECISION_BYTES:
        raise InputError(f"{what}: unknown precision {name!r}, expected one of {', '.join(PRECISION_BYTES)}")
    return PRECISION_BYTES[key]


@dataclass(frozen=True)
class ModelShape:
    params: float  # N, parameters
    layers: int
    kv_heads: int
    head_dim: int
    hidden: int
    weight_bytes_per_param: float
    kv_bytes_per_element: float
    fp8_compute: bool

    @classmethod
    def from_arch(
        cls, params_b: float, arch: Architecture, *, precision: str, kv_precision: str | None = None
    ) -> ModelShape:
        b_w = precision_bytes(precision, "--precision")
        b_kv = precision_bytes(kv_precision or ("fp8" if b_w <= 1 else "fp16"), "--kv-precision")
        return cls(
            params=params_b * 1e9,
            layers=arch.layers,
            kv_heads=arch.kv_heads,
            head_dim=arch.head_dim,
            hidden=arch.hidden,
            weight_bytes_per_param=b_w,
            kv_bytes_per_element=b_kv,
            # FP8 compute (W8A8) only for fp8 weights; int8/int4 are weight-only (docs/breakeven.md#gpu-table).
            fp8_compute=precision.strip().lower() == "fp8",
        )

    @property
    def weight_bytes(self) -> float:
        return self.params * self.weight_bytes_per_param

    @property
    def kv_bytes_per_token(self) -> float:
        return 2 * self.layers * self.kv_heads * self.head_dim * self.kv_bytes_per_element


@dataclass(frozen=True)
class Efficiency:
    mbu: float = 1.0  # η_m, achieved/peak bandwidth
    mfu: float = 1.0  # η_f, achieved/peak FLOP/s
    system: float = 0.5  # η_sys applied on top (docs/breakeven.md#defaults default 0.5)

    def check(self) -> None:
        for name, value in (("mbu", self.mbu), ("mfu", self.mfu), ("efficiency", self.system)):
            if not (0 < value <= 1):
                raise InputError(
                    f"{name}: must be in (0, 1], got {value:g} (efficiency above 1 beats physics)"
                )


@dataclass(frozen=True)
class Replica:
    gpu: GpuSpec
    tp: int
    model: ShapeLike
    f_mem: float = DEFAULT_F_MEM

    def b_max(self, context: float) -> int:
        free = self.tp * self.gpu.memory_bytes * self.f_mem - self.model.weight_bytes
        if free <= 0:
            return 0
        return math.floor(free / (context * self.model.kv_bytes_per_token))

    def t_dec(self, batch: int, context: float, eff: Efficiency) -> float:
        m = self.model
        mem = (m.weight_bytes + batch * context * m.kv_bytes_per_token) / (
            self.tp * self.gpu.bandwidth_bytes_s * eff.mbu
        )
        flops = 2 * m.params * batch + 4 * m.layers * m.hidden * context * batch
        comp = flops / (self.tp * self.gpu.peak_flops(m.fp8_compute) * eff.mfu)
        return max(mem, comp)

    def decode_bound(self, batch: int, context: float, eff: Efficiency) -> str:
        m = self.model
        mem = (m.weight_bytes + batch * context * m.kv_bytes_per_token) / (
            self.tp * self.gpu.bandwidth_bytes_s * eff.mbu
        )
        return "memory" if mem >= self.t_dec(batch, context, eff) else "compute"

    def t_pre(self, isl: int, eff: Efficiency) -> float:
        m = self.model
        flops = 2 * m.params * isl + 2 * m.layers * m.hidden * isl * isl
        return flops / (self.tp * self.gpu.peak_flops(m.fp8_compute) * eff.mfu)


ShapeLike = ModelShape


@dataclass(frozen=True)
class Throughput:
    batch: int
    batch_limit: str  # memory | slo | cap
    bound: str  # memory | compute (decode)
    b_max: int
    t_dec_s: float
    t_pre_s: float
    roofline_requests_per_s: float  # η_sys = 1
    requests_per_s: float  # × η_sys (the planning figure)
    output_len: int

    @property
    def roofline_output_tokens_per_s(self) -> float:
        return self.roofline_requests_per_s * self.output_len

    @property
    def output_tokens_per_s(self) -> float:
        return self.requests_per_s * self.output_len


def slo_batch(replica: Replica, context: float, eff: Efficiency, tpot_s: float, limit: int) -> int:
    """Largest B ≤ limit with t_dec(B) ≤ TPOT (t_dec rises with B, so bisect)."""
    if replica.t_dec(1, context, eff) > tpot_s:
        raise InputError(
            f"TPOT SLO {tpot_s * 1000:g} ms is unreachable: one sequence alone needs "
            f"{replica.t_dec(1, context, eff) * 1000:.1f} ms per token on this replica"
        )
    lo, hi = 1, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if replica.t_dec(mid, context, eff) <= tpot_s:
            lo = mid
        else:
            hi = mid - 1
    return lo


def throughput(
    replica: Replica,
    isl: int,
    osl: int,
    eff: Efficiency,
    *,
    tpot_slo_s: float | None = None,
    batch_cap: int = DEFAULT_BATCH_CAP,
) -> Throughput:
    eff.check()
    b_max = replica.b_max(isl + osl)
    if b_max < 1:
        raise InputError("the model does not fit this replica (weights + one sequence of KV exceed memory)")
    batch, limit = (b_max, "memory") if b_max <= batch_cap else (batch_cap, "cap")
    context = isl + osl / 2  # mean context during decode (docs/breakeven.md#roofline-throughput)
    if tpot_slo_s is not None:
        b_slo = slo_batch(replica, context, eff, tpot_slo_s, batch)
        if b_slo < batch:
            batch, limit = b_slo, "slo"
    t_dec = replica.t_dec(batch, context, eff)
    t_pre = replica.t_pre(isl, eff)
    seconds_per_request = t_pre + osl * t_dec / batch
    roof = 1.0 / seconds_per_request
    return Throughput(
        batch=batch,
        batch_limit=limit,
        bound=replica.decode_bound(batch, context, eff),
        b_max=b_max,
        t_dec_s=t_dec,
        t_pre_s=t_pre,
        roofline_requests_per_s=roof,
        requests_per_s=roof * eff.system,
        output_len=osl,
    )


def fits(gpu: GpuSpec, tp: int, model: ModelShape, context: int, f_mem: float = DEFAULT_F_MEM) -> bool:
    return Replica(gpu, tp, model, f_mem).b_max(context) >= 1


def smallest_tp(gpu: GpuSpec, model: ModelShape, context: int, f_mem: float = DEFAULT_F_MEM) -> int | None:
    """Smallest TP ∈ {1,2,4,8} whose memory holds the weights and one sequence of KV (docs/breakeven.md#self-host-vs-api)."""
    for tp in TP_DEGREES:
        if fits(gpu, tp, model, context, f_mem):
            return tp
    return None
