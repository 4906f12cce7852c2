"""Reading the flags and files of `costctl estimate` into each mode's typed request (no logic beyond that)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from costctl.values import parse_count, parse_fraction, parse_number, parse_percent, parse_usd

if TYPE_CHECKING:
    from costctl.commands.budget import BudgetRequest
    from costctl.commands.gate import GateRequest
    from costctl.commands.whatif import Levers
    from costctl.commands.workload import Workload

T = TypeVar("T")


def optional(parse: Callable[[Any, str], T], value: Any, flag: str) -> T | None:
    return None if value is None else parse(value, flag)


def read_text(path: Path, flag: str) -> str:
    from costctl.inputs import read_text as read

    return read(path, f"{flag}: file")


def read_json(path: Path, flag: str) -> object:
    from costctl.inputs import parse_json

    return parse_json(read_text(path, flag), where=str(path), what=f"{flag}: the file")


def budget_request(
    models: Sequence[str], prompt: str | None, max_tokens: int | None, budget: str | None, fallback: str | None,
    max_input: int | None, max_output: int | None, max_total: int | None, on: dt.date, system: Path | None,
) -> BudgetRequest:  # fmt: skip
    from costctl.commands.budget import BudgetPolicy, BudgetRequest

    policy = BudgetPolicy(
        max_cost_usd=optional(parse_usd, budget, "--budget"),
        max_input_tokens=optional(parse_count, max_input, "--max-input-tokens"),
        max_output_tokens=optional(parse_count, max_output, "--max-output-tokens"),
        max_total_tokens=optional(parse_count, max_total, "--max-total-tokens"),
        fallback_model=fallback,
    )
    system_text = read_text(system, "--system") if system is not None else None
    return BudgetRequest(models, prompt, max_tokens, policy, on, system_text)


def gate_request(
    workload: Path, on: dt.date, thresholds: Mapping[str, str | None], min_increase_usd: str | None,
    baseline: Path | None, baseline_ref: str | None,
) -> GateRequest:  # fmt: skip
    from costctl.commands.gate import GateRequest

    def parse(key: str, value: str | None) -> Decimal | None:
        flag = "--" + key.replace("_", "-")
        if key.endswith("_pct"):  # an increase may exceed 100 %
            return optional(parse_number, value.strip().removesuffix("%") if value else value, flag)
        return optional(parse_usd, value, flag)

    return GateRequest(
        workload_path=workload,
        on=on,
        thresholds={key: parse(key, value) for key, value in thresholds.items()},
        min_increase_usd=optional(parse_usd, min_increase_usd, "--min-increase-usd") or Decimal(0),
        baseline_file=baseline,
        baseline_ref=baseline_ref,
    )


def levers_from_flags(
    work: Workload, cap_output: int | None, route_to: str | None, route_share: str | None,
    cache_hit_rate: str | None, batch_share: str | None, compress_pct: str | None,
) -> Levers:  # fmt: skip
    """The workload's `what_if:` levers, with any flag given replacing its field."""
    from costctl.commands.whatif import Levers

    flags: dict[str, Any] = {
        "cap_output_tokens": cap_output,
        "route_to": route_to,
        "route_share": optional(parse_fraction, route_share, "--route-share"),
        "cache_hit_rate": optional(parse_fraction, cache_hit_rate, "--cache-hit-rate"),
        "batch_share": optional(parse_fraction, batch_share, "--batch-share"),
        "compress_pct": optional(parse_percent, compress_pct, "--compress-pct"),
    }
    levers = Levers.from_mapping(work.what_if, work.source)
    return replace(levers, **{k: v for k, v in flags.items() if v is not None})
