"""Self-host fleet cost vs an API, in Decimal (docs/breakeven.md#self-host-vs-api).

Demand λ_avg = N / 2.628e6 s; peak = PAR·λ_avg; replicas = max(1, ceil(peak/(ρ_max·R))) + spares;
GPUs = replicas·TP rounded up to whole instances; monthly cost = instances·$/instance-h·730 + ops + other.
Break-even volume: C_sh is a step function, so it is found by scanning the replica steps, solving the
linear API cost inside each step exactly (docs/breakeven.md#break-even-search). Never when the marginal self-host cost per request
c_marg = TP·p_gpu·PAR/(3600·ρ_max·R) is at least the API cost per request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, Decimal

from costctl.breakeven.prices import MONTH_HOURS, MONTH_SECONDS
from costctl.errors import InputError


def ceil_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True)
class Fleet:
    """Everything but the volume: replica capacity, prices, load shape and labour."""

    requests_per_s: Decimal  # planning capacity R of one replica (η applied or measured)
    tp: int
    usd_per_instance_hour: Decimal
    gpus_per_instance: int
    peak_to_average: Decimal = Decimal(1)
    max_utilisation: Decimal = Decimal("0.8")  # ρ_max (docs/breakeven.md#defaults)
    spares: int = 0
    ops_usd_per_month: Decimal = Decimal(0)
    other_usd_per_month: Decimal = Decimal(0)

    def check(self) -> None:
        if self.requests_per_s <= 0:
            raise InputError("replica throughput must be positive")
        if not (0 < self.max_utilisation <= 1):
            raise InputError(f"max utilisation must be in (0, 1], got {self.max_utilisation}")
        if self.peak_to_average < 1:
            raise InputError(f"peak-to-average must be at least 1, got {self.peak_to_average}")
        if self.spares < 0:
            raise InputError(f"spares must not be negative, got {self.spares}")
        if self.gpus_per_instance < 1 or self.usd_per_instance_hour < 0:
            raise InputError("an instance needs at least one GPU and a non-negative price")

    @property
    def usd_per_gpu_hour(self) -> Decimal:
        return self.usd_per_instance_hour / self.gpus_per_instance

    @property
    def requests_per_replica_month(self) -> Decimal:
        """Volume one replica serves at ρ_max under the peak: ρ·R·2.628e6/PAR."""
        return self.max_utilisation * self.requests_per_s * MONTH_SECONDS / self.peak_to_average

    def cost_of_replicas(self, replicas: int) -> tuple[int, int, Decimal]:
        gpus = replicas * self.tp
        instances = -(-gpus // self.gpus_per_instance)
        gpu_usd = instances * self.usd_per_instance_hour * MONTH_HOURS
        return gpus, instances, gpu_usd

    def serving_replicas(self, requests_per_month: Decimal) -> int:
        peak = self.peak_to_average * requests_per_month / MONTH_SECONDS
        return max(1, ceil_int(peak / (self.max_utilisation * self.requests_per_s)))

    def at(self, requests_per_month: Decimal) -> FleetCost:
        serving = self.serving_replicas(requests_per_month)
        replicas = serving + self.spares
        gpus, instances, gpu_usd = self.cost_of_replicas(replicas)
        avg = requests_per_month / MONTH_SECONDS
        return FleetCost(
            requests_per_month=requests_per_month,
            replicas=replicas,
            spare_replicas=self.spares,
            gpus=gpus,
            gpus_billed=instances * self.gpus_per_instance,
            instances=instances,
            gpu_usd=gpu_usd,
            ops_usd=self.ops_usd_per_month,
            other_usd=self.other_usd_per_month,
            total_usd=gpu_usd + self.ops_usd_per_month + self.other_usd_per_month,
            average_requests_per_s=avg,
            peak_requests_per_s=avg * self.peak_to_average,
            utilisation=avg / (replicas * self.requests_per_s),
        )

    def marginal_usd_per_request(self) -> Decimal:
        return (
            self.tp
            * self.usd_per_gpu_hour
            * self.peak_to_average
            / (Decimal(3600) * self.max_utilisation * self.requests_per_s)
        )

    def break_even_utilisation(self, api_usd_per_request: Decimal) -> Decimal:
        """u* = TP·p_gpu/(3600·R·c_api), GPU cost only (docs/breakeven.md#fleet-sizing)."""
        return self.tp * self.usd_per_gpu_hour / (Decimal(3600) * self.requests_per_s * api_usd_per_request)

    def usd_per_request_at_max_utilisation(self) -> Decimal:
        """GPU-only cost per request at ρ_max (docs/breakeven.md#fleet-sizing, '$/1M tokens at ρ_max')."""
        return self.tp * self.usd_per_gpu_hour / (Decimal(3600) * self.requests_per_s * self.max_utilisation)


@dataclass(frozen=True)
class FleetCost:
    requests_per_month: Decimal
    replicas: int
    spare_replicas: int
    gpus: int
    gpus_billed: int
    instances: int
    gpu_usd: Decimal
    ops_usd: Decimal
    other_usd: Decimal
    total_usd: Decimal
    average_requests_per_s: Decimal
    peak_requests_per_s: Decimal
    utilisation: Decimal


@dataclass(frozen=True)
class BreakEven:
    requests_per_month: Decimal | None  # None = never
    reason: str
    fleet: FleetCost | None = None


def break_even(fleet: Fleet, api_usd_per_request: Decimal, *, max_steps: int = 1_000_000) -> BreakEven:
    """Smallest monthly volume at which self-hosting costs no more than the API."""
    if api_usd_per_request <= 0:
        return BreakEven(None, "the API costs nothing per request")
    c_marg = fleet.marginal_usd_per_request()
    if c_marg >= api_usd_per_request:
        return BreakEven(
            None,
            f"never: each extra request costs ${c_marg:.6f} of GPU time at peak sizing, at least the API's "
            f"${api_usd_per_request:.6f}",
        )
    per_replica = fleet.requests_per_replica_month
    fixed = fleet.ops_usd_per_month + fleet.other_usd_per_month + fleet.cost_of_replicas(fleet.spares)[2]
    slope = api_usd_per_request * per_replica - fleet.tp * fleet.usd_per_gpu_hour * MONTH_HOURS
    # No crossing below this many serving replicas (instance rounding only raises the cost): skip them.
    start = max(1, int(fixed / slope) - 1) if slope > 0 else 1
    for serving in range(start, start + max_steps):
        low = per_replica * (serving - 1)
        high = per_replica * serving
        cost = (
            fleet.cost_of_replicas(serving + fleet.spares)[2]
            + fleet.ops_usd_per_month
            + fleet.other_usd_per_month
        )
        volume = max(low, cost / api_usd_per_request)
        if volume <= high:
            return BreakEven(
                volume, f"self-hosting is cheaper from here ({serving} serving replica(s))", fleet.at(volume)
            )
    raise InputError(
        "break-even search did not converge; check the inputs"
    )  # unreachable when c_marg < c_api


def naive_break_even(fleet: Fleet, api_usd_per_request: Decimal) -> Decimal:
    """One replica, no ops, no spare, PAR 1 — what simple calculators report (docs/breakeven.md#worked-examples)."""
    return fleet.tp * fleet.usd_per_gpu_hour * MONTH_HOURS / api_usd_per_request


def scaled(fleet: Fleet, **changes: Decimal | int) -> Fleet:
    return replace(fleet, **changes)  # type: ignore[arg-type]
