"""The dated GPU table: specifications, rental offers and model architectures (data/gpus.yaml).

Specifications and prices come from docs/breakeven.md#gpu-table; the bundled
file cites the section of each row. `--gpu-table FILE` replaces it with a file of the same layout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from costctl.breakeven.strict import build, read_yaml
from costctl.errors import InputError, did_you_mean

BUNDLED_TABLE = Path(__file__).with_name("data") / "gpus.yaml"


@dataclass(frozen=True)
class Offer:
    gpus: int
    usd_per_instance_hour: Decimal
    source: str
    as_of: str = "unknown"


@dataclass(frozen=True)
class GpuSpec:
    memory_gb: float
    bandwidth_tb_s: float
    bf16_tflops: float
    fp8_tflops: float | None = None
    display_name: str = ""
    aliases: list[str] = field(default_factory=list)
    default_offer: str | None = None
    offers: dict[str, Offer] = field(default_factory=dict)

    # Physics in SI units (floats: this is throughput physics, never money).
    @property
    def memory_bytes(self) -> float:
        return self.memory_gb * 1e9  # 1 GB = 1e9 bytes (docs/breakeven.md#roofline-throughput)

    @property
    def bandwidth_bytes_s(self) -> float:
        return self.bandwidth_tb_s * 1e12

    def peak_flops(self, fp8_compute: bool) -> float:
        """FP8 peak only when compute is FP8 and the GPU has FP8 tensor cores (docs/breakeven.md#roofline-throughput)."""
        if fp8_compute and self.fp8_tflops:
            return self.fp8_tflops * 1e12
        return self.bf16_tflops * 1e12


@dataclass(frozen=True)
class Architecture:
    params_b: float
    layers: int
    kv_heads: int
    head_dim: int
    hidden: int
    nearest: bool = True  # eligible when picking the preset nearest to a bare parameter count


@dataclass(frozen=True)
class GpuTable:
    gpus: dict[str, GpuSpec]
    checked: str = "unknown"
    architectures: dict[str, Architecture] = field(default_factory=dict)
    source: str = "bundled"

    def get(self, name: str) -> tuple[str, GpuSpec]:
        key = name.strip().lower()
        for gpu_id, spec in self.gpus.items():
            if key == gpu_id.lower() or key in (a.lower() for a in spec.aliases):
                return gpu_id, spec
        names = list(self.gpus) + [a for s in self.gpus.values() for a in s.aliases]
        raise InputError(
            f"--gpu: unknown GPU {name!r}{did_you_mean(key, names)} (known: {', '.join(self.gpus)})"
        )

    def architecture(self, name: str) -> Architecture:
        arch = self.architectures.get(name)
        if arch is None:
            raise InputError(
                f"unknown architecture {name!r}{did_you_mean(name, self.architectures)} "
                f"(known: {', '.join(self.architectures)})"
            )
        return arch

    def nearest_architecture(self, params_b: float) -> tuple[str, Architecture]:
        candidates = [(n, a) for n, a in self.architectures.items() if a.nearest]
        if not candidates:
            raise InputError(
                "the GPU table has no architectures; give --layers, --kv-heads, --head-dim, --hidden"
            )
        return min(candidates, key=lambda item: abs(math.log(item[1].params_b / params_b)))


def load_gpu_table(path: Path | None = None) -> GpuTable:
    target = path or BUNDLED_TABLE
    raw = read_yaml(target, what="GPU table")
    table = build(GpuTable, raw, where=target.name)
    for gpu_id, spec in table.gpus.items():
        for label, value in (
            ("memory_gb", spec.memory_gb),
            ("bandwidth_tb_s", spec.bandwidth_tb_s),
            ("bf16_tflops", spec.bf16_tflops),
        ):
            if value <= 0:
                raise InputError(f"{target.name}: gpus.{gpu_id}.{label}: must be positive, got {value}")
        if spec.default_offer is not None and spec.default_offer not in spec.offers:
            raise InputError(
                f"{target.name}: gpus.{gpu_id}.default_offer: no offer named {spec.default_offer!r}"
            )
        for name, offer in spec.offers.items():
            if offer.gpus < 1 or offer.usd_per_instance_hour < 0:
                raise InputError(
                    f"{target.name}: gpus.{gpu_id}.offers.{name}: gpus must be >= 1 and price >= 0"
                )
    return GpuTable(
        gpus=table.gpus,
        checked=table.checked,
        architectures=table.architectures,
        source=str(path) if path else "bundled src/costctl/breakeven/data/gpus.yaml",
    )
