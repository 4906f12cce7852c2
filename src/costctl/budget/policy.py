"""The guard's policy: the per-request rule plus caps that hold across requests, from a strict YAML file.

    per_request:                 # today's per-request rule (costctl.budget.request.BudgetPolicy)
      max_cost_usd: 0.05
      fallback_model: gpt-4.1-mini
    caps:
      - name: user-daily
        key: user                # user | feature | team | api_key | tag:NAME | global
        period: day              # day | month (UTC calendar)
        hard_usd: 1.00           # reject (or fall back) when a request's worst case would cross it
        warn_at_pct: [50, 75, 90]  # soft warnings, percent of the hard limit (the default)
      - name: search-monthly
        key: feature
        value: search            # only this key value (default: every value has its own cap)
        period: month
        hard_usd: 500
        soft_usd: 400            # a soft limit: a warning when crossed, never a rejection
    reservation:
      ttl_seconds: 600           # an unsettled reservation expires after this long
      on_expiry: charge          # charge: keep its worst case as spent; release: free it

Unknown keys and wrong types are errors naming `file:line` and the field (the strict builder of
costctl.breakeven.strict does the typing; this module adds the lines and the cap rules).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from costctl.breakeven.strict import build
from costctl.budget.request import BudgetPolicy
from costctl.errors import InputError, did_you_mean

KEYS = ("user", "feature", "team", "api_key", "global")
PERIODS = ("day", "month")
EXPIRY = ("charge", "release")
DEFAULT_WARN_PCTS = (50, 75, 90)
DEFAULT_TTL_SECONDS = 600
# Ledger counters are integer picodollars in 64-bit columns; a cap above this could overflow them.
MAX_CAP_USD = Decimal(9_000_000)


@dataclass(frozen=True)
class Cap:
    """A spend cap over a period for every value of one request key (or one value, or globally)."""

    name: str
    key: str
    period: str
    hard_usd: Decimal | None = None
    soft_usd: Decimal | None = None
    warn_at_pct: list[int] = field(default_factory=lambda: list(DEFAULT_WARN_PCTS))
    value: str | None = None

    @property
    def tag(self) -> str | None:
        return self.key[4:] if self.key.startswith("tag:") else None


@dataclass(frozen=True)
class GuardPolicy:
    per_request: BudgetPolicy = field(default_factory=BudgetPolicy)
    caps: tuple[Cap, ...] = ()
    reservation_ttl_seconds: int = DEFAULT_TTL_SECONDS
    on_expiry: str = "charge"
    source: str | None = None

    def __post_init__(self) -> None:
        names = [c.name for c in self.caps]
        for cap in self.caps:
            check_cap(cap)
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InputError(f"caps: names must be unique, {', '.join(map(repr, dupes))} repeated")
        if self.reservation_ttl_seconds <= 0:
            raise InputError(f"reservation.ttl_seconds must be positive, got {self.reservation_ttl_seconds}")
        if self.on_expiry not in EXPIRY:
            raise InputError(
                f"reservation.on_expiry is {self.on_expiry!r}, expected one of {', '.join(EXPIRY)}"
            )


_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def check_cap(cap: Cap) -> None:
    """The rules a cap must meet besides its field types; InputError naming the cap and field."""
    where = f"cap {cap.name!r}"
    if not _NAME.match(cap.name):
        raise InputError(f"{where}: name: expected 1-64 letters, digits or . _ : -")
    if cap.key not in KEYS and not (cap.tag and cap.tag.strip()):
        raise InputError(
            f"{where}: key: {cap.key!r}{did_you_mean(cap.key, KEYS)}, expected one of "
            f"{', '.join(KEYS)} or tag:NAME"
        )
    if cap.key == "global" and cap.value is not None:
        raise InputError(f"{where}: value: a global cap has no key value")
    if cap.period not in PERIODS:
        raise InputError(f"{where}: period: {cap.period!r}, expected one of {', '.join(PERIODS)}")
    if cap.hard_usd is None and cap.soft_usd is None:
        raise InputError(f"{where}: needs hard_usd or soft_usd (or both)")
    for name in ("hard_usd", "soft_usd"):
        amount = getattr(cap, name)
        if amount is not None and not (0 <= amount <= MAX_CAP_USD):
            raise InputError(f"{where}: {name}: {amount}, expected between 0 and {MAX_CAP_USD}")
    for pct in cap.warn_at_pct:
        if not 0 < pct <= 100:
            raise InputError(f"{where}: warn_at_pct: {pct}, expected percentages between 1 and 100")


# ---------------------------------------------------------------- YAML with lines


class _Map(dict[Any, Any]):
    """A YAML mapping that remembers the line of each key (and its own)."""

    line = 0
    key_lines: dict[str, int]


def _read(path: Path) -> Any:
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    def construct_map(loader: Any, node: Any) -> Iterator[_Map]:
        data = _Map()
        data.line = node.start_mark.line + 1
        data.key_lines = {}
        yield data
        loader.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            data[key] = loader.construct_object(value_node, deep=True)
            data.key_lines[str(key).replace("-", "_")] = key_node.start_mark.line + 1

    _Loader.add_constructor("tag:yaml.org,2002:map", construct_map)
    from costctl.inputs import parse_yaml, read_text

    return parse_yaml(read_text(path, "budget policy"), where=str(path), what="budget policy", loader=_Loader)


def _line_of(node: Any, message: str, prefix: str) -> int:
    """The line of the field an error message names (`prefix.field: ...`), else of the mapping."""
    if not isinstance(node, _Map):
        return 1
    rest = message[len(prefix) + 1 :] if message.startswith(prefix + ".") else ""
    name = re.split(r"[.:\[ ]", rest, maxsplit=1)[0]
    return node.key_lines.get(name, node.line)


def _build(cls: type[Any], node: Any, where: str, path: Path) -> Any:
    try:
        return build(cls, node, where)
    except InputError as exc:
        raise InputError(exc.message, where=f"{path}:{_line_of(node, exc.message, where)}") from None


def load_policy(path: Path) -> GuardPolicy:
    """Read and validate a policy file; every problem is one InputError at `file:line`."""
    path = Path(path)
    raw = _read(path)
    if raw is None:
        raw = _Map()
    if not isinstance(raw, _Map):
        raise InputError(
            "budget policy: expected a mapping (per_request, caps, reservation)", where=str(path)
        )
    allowed = ("per_request", "caps", "reservation")
    for key in raw:
        if str(key).replace("-", "_") not in allowed:
            raise InputError(
                f"{key}: unknown field{did_you_mean(str(key), allowed)} (expected one of: {', '.join(allowed)})",
                where=f"{path}:{raw.key_lines.get(str(key), raw.line)}",
            )
    per_request = _build(BudgetPolicy, raw.get("per_request") or _Map(), "per_request", path)
    caps_raw = raw.get("caps") or []
    if not isinstance(caps_raw, list):
        raise InputError("caps: expected a list of caps", where=f"{path}:{raw.key_lines.get('caps', 1)}")
    caps = []
    for i, node in enumerate(caps_raw):
        cap = _build(Cap, node, f"caps[{i}]", path)
        try:
            check_cap(cap)
        except InputError as exc:
            line = node.key_lines.get(exc.message.split(": ")[1], node.line) if isinstance(node, _Map) else 1
            raise InputError(f"caps[{i}] {exc.message}", where=f"{path}:{line}") from None
        caps.append(cap)
    reservation = raw.get("reservation") or _Map()
    if not isinstance(reservation, _Map):
        raise InputError(
            "reservation: expected a mapping", where=f"{path}:{raw.key_lines.get('reservation', 1)}"
        )
    settings = _build(_Reservation, reservation, "reservation", path)
    try:
        return GuardPolicy(
            per_request=per_request,
            caps=tuple(caps),
            reservation_ttl_seconds=settings.ttl_seconds,
            on_expiry=settings.on_expiry,
            source=str(path),
        )
    except InputError as exc:
        line = reservation.key_lines.get("on_expiry" if "on_expiry" in exc.message else "ttl_seconds", 1)
        where = (
            f"{path}:{line}"
            if exc.message.startswith("reservation")
            else f"{path}:{raw.key_lines.get('caps', 1)}"
        )
        raise InputError(exc.message, where=where) from None


@dataclass(frozen=True)
class _Reservation:
    ttl_seconds: int = DEFAULT_TTL_SECONDS
    on_expiry: str = "charge"
