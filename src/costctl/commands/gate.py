"""The CI gate: fail a pipeline when projected monthly spend crosses a threshold.

Rules (docs/ci.md#gate-rules): `metric` is `monthly_cost`, `increase` (USD against the baseline)
or `increase_pct`; `scope` is `total`, `component:<glob>` or `tag:<key>=<value>`; each rule has a `warn`
and/or `fail` threshold; `min_abs` is the noise floor of percent rules (a change smaller than it in dollars
never trips a percent rule). Configured in the workload's `gate:` section or by flags.

Exit codes and their precedence (docs/ci.md#exit-codes):
1 when a `fail` threshold is certainly breached; else 3 when the answer is incomplete (a price the workload
needs is unpublished, e.g. no batch rate); else 0. Unknown prices only add cost, so a `monthly_cost` breach
on the priced part alone is certain (exit 1), while `increase` rules with unknowns on either side are
undecidable (exit 3). Usage errors (bad rules, unreadable or foreign baseline, unknown model) exit 2 before
anything is evaluated.

The baseline is the JSON of an earlier `costctl estimate --workload ... --format json` (same schema, so a
gate run's own JSON is a baseline too), or a git ref whose workload file is re-estimated (`git show
REF:./FILE`; prompt files it names are read from the working tree, and prices are today's, so the diff shows
the change of the workload, not of the price tables).

Annotations are written to stderr (the Actions runner reads workflow commands from both streams), so stdout
stays data only.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from costctl.errors import ExitCode, InputError
from costctl.models import ZERO
from costctl.report import SCHEMA_VERSION, Column, Report, Table
from costctl.values import parse_number

METRICS = ("monthly_cost", "increase", "increase_pct")


@dataclass(frozen=True)
class Rule:
    name: str
    metric: str
    scope: str = "total"
    warn: Decimal | None = None
    fail: Decimal | None = None
    min_abs: Decimal = ZERO


@dataclass(frozen=True)
class Scoped:
    """Monthly cost of a scope, and whether every price in it was known."""

    cost: Decimal
    complete: bool
    present: bool = True


@dataclass(frozen=True)
class Baseline:
    total: Scoped
    components: Mapping[str, tuple[Scoped, Mapping[str, str]]]
    source: str


@dataclass
class RuleResult:
    rule: Rule
    status: str  # pass | warn | fail | incomplete
    value: Decimal | None
    message: str
    level: str | None = None  # the threshold level that was breached or undecidable


@dataclass
class GateResult:
    results: list[RuleResult] = field(default_factory=list)
    complete: bool = True

    @property
    def exit_code(self) -> ExitCode:
        if any(r.status == "fail" for r in self.results):
            return ExitCode.CHECK_FAILED
        if not self.complete or any(r.status == "incomplete" for r in self.results):
            return ExitCode.INCOMPLETE
        return ExitCode.OK

    @property
    def status(self) -> str:
        code = self.exit_code
        if code is ExitCode.CHECK_FAILED:
            return "fail"
        if code is ExitCode.INCOMPLETE:
            return "incomplete"
        return "warn" if any(r.status == "warn" for r in self.results) else "pass"


# ------------------------------------------------------------------------------------------------- rules


def _money(value: Any, where: str, name: str) -> Decimal:
    return parse_number(value, f"field {name!r}", where=where)


def rules_from_config(raw: Mapping[str, Any], source: str) -> list[Rule]:
    """The workload's `gate:` section: `rules: [{name, metric, scope, warn, fail, min_abs}]`."""
    where = f"{source}: gate"
    unknown = [k for k in raw if k != "rules"]
    if unknown:
        raise InputError(f"unknown field {unknown[0]!r} (expected `rules:`)", where=where)
    rules = []
    raw_rules = raw.get("rules") or []
    if not isinstance(raw_rules, list):
        raise InputError("field 'rules' must be a list", where=where)
    allowed = {"name", "metric", "scope", "warn", "fail", "min_abs"}
    for i, item in enumerate(raw_rules):
        w = f"{where}: rules[{i}]"
        if not isinstance(item, Mapping):
            raise InputError("each rule must be a mapping", where=w)
        bad = sorted(str(k) for k in item if k not in allowed)
        if bad:
            raise InputError(f"unknown field {bad[0]!r} (known: {', '.join(sorted(allowed))})", where=w)
        metric = item.get("metric")
        if metric not in METRICS:
            raise InputError(f"field 'metric' must be one of {', '.join(METRICS)}, got {metric!r}", where=w)
        scope = str(item.get("scope", "total"))
        check_scope(scope, w)
        if item.get("warn") is None and item.get("fail") is None:
            raise InputError("a rule needs a `warn` or a `fail` threshold", where=w)
        rules.append(
            Rule(
                name=str(item.get("name") or f"{metric} {scope}"),
                metric=metric,
                scope=scope,
                warn=_money(item["warn"], w, "warn") if item.get("warn") is not None else None,
                fail=_money(item["fail"], w, "fail") if item.get("fail") is not None else None,
                min_abs=_money(item.get("min_abs", 0), w, "min_abs"),
            )
        )
    return rules


def check_scope(scope: str, where: str) -> None:
    if scope == "total" or scope.startswith("component:"):
        return
    if scope.startswith("tag:") and "=" in scope:
        return
    raise InputError(
        f"field 'scope' must be total, component:<glob> or tag:<key>=<value>, got {scope!r}", where=where
    )


def rules_from_flags(
    *,
    max_monthly: Decimal | None = None,
    max_increase: Decimal | None = None,
    max_increase_pct: Decimal | None = None,
    warn_monthly: Decimal | None = None,
    warn_increase: Decimal | None = None,
    warn_increase_pct: Decimal | None = None,
    min_increase_usd: Decimal = ZERO,
) -> list[Rule]:
    found = []
    for metric, warn, fail, label in (
        ("monthly_cost", warn_monthly, max_monthly, "monthly total"),
        ("increase", warn_increase, max_increase, "increase in USD"),
        ("increase_pct", warn_increase_pct, max_increase_pct, "increase in %"),
    ):
        if warn is not None or fail is not None:
            floor = min_increase_usd if metric == "increase_pct" else ZERO
            found.append(Rule(name=label, metric=metric, warn=warn, fail=fail, min_abs=floor))
    return found


# ---------------------------------------------------------------------------------------------- baseline


def read_baseline(path: Path) -> Baseline:
    """A previous run's JSON. Its `schema_version` must be ours (another version: exit 2)."""
    from costctl.inputs import read_json

    return baseline_from_json(read_json(path, "baseline file"), str(path))


def _scoped(raw: Mapping[str, Any], where: str, field_name: str) -> Scoped:
    value = raw.get("monthly_cost_usd")
    if not isinstance(value, str):
        raise InputError(f"field {field_name!r} must be a decimal string, got {value!r}", where=where)
    cost = parse_number(
        value, f"field {field_name!r}", where=where, minimum=None, expected="a decimal string"
    )
    return Scoped(cost, bool(raw.get("complete", True)))


def baseline_from_json(data: Any, source: str) -> Baseline:
    if not isinstance(data, Mapping):
        raise InputError(
            "baseline must be a JSON object from `costctl estimate --workload --format json`", where=source
        )
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise InputError(
            f"field 'schema_version': baseline has schema version {version!r}, this costctl reads "
            f"{SCHEMA_VERSION}; regenerate it with this version",
            where=source,
        )
    if "monthly_cost_usd" not in data or not isinstance(data.get("components"), list):
        raise InputError(
            "field 'monthly_cost_usd'/'components' missing: not the JSON of `costctl estimate --workload`",
            where=source,
        )
    total = _scoped(data, source, "monthly_cost_usd")
    comps: dict[str, tuple[Scoped, Mapping[str, str]]] = {}
    for i, c in enumerate(data["components"]):
        if not isinstance(c, Mapping) or not isinstance(c.get("name"), str):
            raise InputError(f"field 'components[{i}]' must be an object with a name", where=source)
        raw_tags = c.get("tags")
        tags = {str(k): str(v) for k, v in raw_tags.items()} if isinstance(raw_tags, Mapping) else {}
        comps[c["name"]] = (_scoped(c, source, f"components[{i}].monthly_cost_usd"), tags)
    return Baseline(total=total, components=comps, source=source)


def baseline_from_projection(projection: Any, source: str) -> Baseline:
    comps = {c.name: (Scoped(c.monthly_cost_usd, c.complete), c.tags) for c in projection.components}
    return Baseline(Scoped(projection.monthly_cost_usd, projection.complete), comps, source)


def workload_at_ref(path: Path, ref: str) -> Any | None:
    """The workload file as of a git ref (`git show REF:./file`), or None when it did not exist there."""
    import subprocess

    from costctl.commands.workload import parse_workload
    from costctl.pricing.loader import read_yaml

    if not ref or ref.startswith("-"):
        raise InputError(f"--baseline-ref: not a git ref: {ref!r}")
    try:
        proc = subprocess.run(
            ["git", "show", f"{ref}:./{path.name}"],
            cwd=path.parent.resolve(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"--baseline-ref: cannot run git ({exc})") from None
    if proc.returncode != 0:
        err = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "git show failed"
        if "exists on disk, but not in" in err or "does not exist in" in err:
            return None
        raise InputError(f"--baseline-ref {ref}: {err}", where=str(path))
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as tmp:
        tmp.write(proc.stdout)
    try:
        raw = read_yaml(Path(tmp.name))
    finally:
        Path(tmp.name).unlink(missing_ok=True)
    return parse_workload(raw, source=f"{ref}:{path}", base=path.parent)


# -------------------------------------------------------------------------------------------- evaluation


def _in_scope(scope: str, name: str, tags: Mapping[str, str]) -> bool:
    if scope == "total":
        return True
    if scope.startswith("component:"):
        return fnmatch.fnmatchcase(name, scope.removeprefix("component:"))
    key, _, value = scope.removeprefix("tag:").partition("=")
    return tags.get(key) == value


def current_scoped(projection: Any, scope: str) -> Scoped:
    parts = [c for c in projection.components if _in_scope(scope, c.name, c.tags)]
    return Scoped(sum((c.monthly_cost_usd for c in parts), ZERO), all(c.complete for c in parts), bool(parts))


def baseline_scoped(baseline: Baseline, scope: str) -> Scoped:
    if scope == "total":
        return baseline.total
    parts = [s for name, (s, tags) in baseline.components.items() if _in_scope(scope, name, tags)]
    return Scoped(sum((s.cost for s in parts), ZERO), all(s.complete for s in parts), bool(parts))


def _evaluate(rule: Rule, now: Scoped, base: Scoped | None) -> RuleResult:
    levels = [(lvl, t) for lvl, t in (("fail", rule.fail), ("warn", rule.warn)) if t is not None]
    if rule.metric == "monthly_cost":
        for level, threshold in levels:
            if now.cost > threshold:
                certain = "" if now.complete else " (priced part alone; unpriced parts only add)"
                return RuleResult(
                    rule, level, now.cost, f"${now.cost:,.2f}/month exceeds ${threshold:,.2f}{certain}", level
                )
        if not now.complete:
            return RuleResult(
                rule,
                "incomplete",
                now.cost,
                "some prices are unpublished; the total cannot be decided",
                levels[0][0],
            )
        return RuleResult(rule, "pass", now.cost, f"${now.cost:,.2f}/month within limits")
    assert base is not None
    if not (now.complete and base.complete):
        return RuleResult(
            rule, "incomplete", None, "unpriced parts on one side make the change undecidable", levels[0][0]
        )
    delta = now.cost - base.cost
    if rule.metric == "increase":
        for level, threshold in levels:
            if delta > threshold:
                return RuleResult(
                    rule, level, delta, f"+${delta:,.2f}/month exceeds +${threshold:,.2f}", level
                )
        return RuleResult(rule, "pass", delta, f"change ${delta:,.2f}/month within limits")
    if abs(delta) < rule.min_abs:
        return RuleResult(
            rule, "pass", None, f"change ${delta:,.2f} below the noise floor ${rule.min_abs:,.2f}"
        )
    if base.cost == 0:
        return RuleResult(
            rule, "pass", None, "no baseline spend; percent change undefined (use an increase rule)"
        )
    pct = delta / base.cost * 100
    for level, threshold in levels:
        if pct > threshold:
            return RuleResult(rule, level, pct, f"+{pct:.1f}% exceeds +{threshold}%", level)
    return RuleResult(rule, "pass", pct, f"change {pct:+.1f}% within limits")


def evaluate(rules: Sequence[Rule], projection: Any, baseline: Baseline | None) -> GateResult:
    result = GateResult(complete=projection.complete)
    for rule in rules:
        if rule.metric != "monthly_cost" and baseline is None:
            raise InputError(
                f"rule {rule.name!r} compares with a baseline: give --baseline FILE or --baseline-ref REF"
            )
        now = current_scoped(projection, rule.scope)
        base = baseline_scoped(baseline, rule.scope) if baseline is not None else None
        result.results.append(_evaluate(rule, now, base))
    return result


# ---------------------------------------------------------------------------------------------- outputs


def diff_rows(projection: Any, baseline: Baseline | None) -> list[dict[str, Any]]:
    rows = []
    names = [c.name for c in projection.components]
    if baseline is not None:
        names += [n for n in baseline.components if n not in names]
    for name in names:
        now = projection.component(name)
        before = baseline.components.get(name) if baseline is not None else None
        new = now.monthly_cost_usd if now is not None else ZERO
        old = before[0].cost if before is not None else None
        rows.append(
            {
                "name": name,
                "model": now.model if now is not None else "(removed)",
                "baseline_monthly_usd": old,
                "monthly_cost_usd": new,
                "change_usd": new - old if old is not None else None,
            }
        )
    return rows


def gate_report(
    projection: Any, workload_report: Report, result: GateResult, baseline: Baseline | None
) -> Report:
    """The workload JSON (so this output is itself a baseline) plus a `gate` section."""
    total = projection.monthly_cost_usd
    data = dict(workload_report.data)
    gate: dict[str, Any] = {
        "status": result.status,
        "exit_code": int(result.exit_code),
        "rules": [
            {
                "name": r.rule.name,
                "metric": r.rule.metric,
                "scope": r.rule.scope,
                "warn": r.rule.warn,
                "fail": r.rule.fail,
                "status": r.status,
                "value": r.value,
                "message": r.message,
            }
            for r in result.results
        ],
    }
    if baseline is not None:
        gate["baseline"] = baseline.source
        gate["baseline_monthly_usd"] = baseline.total.cost
        gate["increase_usd"] = total - baseline.total.cost
        gate["increase_pct"] = (
            (total - baseline.total.cost) / baseline.total.cost * 100 if baseline.total.cost else None
        )
    data["gate"] = gate
    if baseline is not None:
        change = total - baseline.total.cost
        arrow = "increased" if change > 0 else "decreased" if change < 0 else "unchanged"
        headline = f"LLM spend {arrow}: ${baseline.total.cost:,.2f} → ${total:,.2f}/month ({'+' if change >= 0 else '-'}${abs(change):,.2f})"
    else:
        headline = f"Projected LLM spend: ${total:,.2f}/month"
    icon = {"pass": "✅", "warn": "⚠️", "fail": "❌", "incomplete": "❔"}[result.status]
    tables = [
        Table(
            columns=[
                Column("name", "Component"),
                Column("model", "Model"),
                Column("baseline_monthly_usd", "Baseline", "usd"),
                Column("monthly_cost_usd", "New monthly", "usd"),
                Column("change_usd", "Change", "usd"),
            ],
            rows=diff_rows(projection, baseline),
            title="Monthly cost by component",
            footer={
                "name": "Total",
                "baseline_monthly_usd": baseline.total.cost if baseline else None,
                "monthly_cost_usd": total,
                "change_usd": total - baseline.total.cost if baseline else None,
            },
        ),
        Table(
            columns=[
                Column("status", "Status"),
                Column("name", "Rule"),
                Column("scope", "Scope"),
                Column("message", "Result"),
            ],
            rows=[
                {"status": r.status, "name": r.rule.name, "scope": r.rule.scope, "message": r.message}
                for r in result.results
            ],
            title="Gate rules",
        ),
    ]
    return Report(
        command="estimate",
        data=data,
        tables=tables,
        notes=list(workload_report.notes),
        title=f"{icon} costctl gate: {result.status} — {headline}",
    )


# ------------------------------------------------------------------------------------------------ command


@dataclass(frozen=True)
class GateRequest:
    """What the gate is asked: thresholds from flags (added to the workload's `gate:` rules) and where the
    baseline comes from (a previous run's JSON, or a git ref whose workload file is re-estimated)."""

    workload_path: Path
    on: dt.date
    thresholds: Mapping[str, Decimal | None] = field(default_factory=dict)  # rules_from_flags' keywords
    min_increase_usd: Decimal = ZERO
    baseline_file: Path | None = None
    baseline_ref: str | None = None


def _baseline(catalog: Any, request: GateRequest, notes: list[str]) -> Baseline | None:
    from costctl.commands.workload import project_workload

    if request.baseline_file is not None:
        return read_baseline(request.baseline_file)
    if request.baseline_ref is None:
        return None
    ref, path = request.baseline_ref, request.workload_path
    old = workload_at_ref(path, ref)
    if old is None:
        notes.append(f"{path.name} does not exist at {ref}; baseline is $0")
        return Baseline(Scoped(ZERO, True), {}, f"{ref} (no workload)")
    return baseline_from_projection(
        project_workload(catalog, old, on=request.on, strict=False), f"{ref}:{path.name}"
    )


def run_gate(catalog: Any, workload: Any, request: GateRequest) -> Report:
    """Evaluate the workload's rules and the flag thresholds against the baseline.

    The report is the workload projection's JSON plus a `gate` section (so its JSON is itself a baseline);
    its `exit_code` is the gate's: 1 fail, 3 incomplete, else 0.
    """
    from costctl.commands.estimate import workload_report
    from costctl.commands.workload import project_workload

    if request.baseline_file is not None and request.baseline_ref is not None:
        raise InputError("give --baseline FILE or --baseline-ref REF, not both")
    notes: list[str] = []
    rules = rules_from_config(workload.gate, workload.source) if workload.gate else []
    if request.baseline_file is None and request.baseline_ref is None:
        for rule in [r for r in rules if r.metric != "monthly_cost"]:
            notes.append(f"rule {rule.name!r} skipped: it needs --baseline FILE or --baseline-ref REF")
            rules.remove(rule)
    rules += rules_from_flags(**request.thresholds, min_increase_usd=request.min_increase_usd)
    base = _baseline(catalog, request, notes)
    projection = project_workload(catalog, workload, on=request.on, strict=False)
    result = evaluate(rules, projection, base)
    report = gate_report(projection, workload_report(projection), result, base)
    report.notes[:0] = notes
    report.exit_code = int(result.exit_code)
    return report
