"""`costctl audit prompt` and `costctl audit logs`: findings with file:line, tokens and $/month.

Commands return a `Report`; they never print. Waste totals: for prompts, the monthly cost now minus the cost
with every finding fixed (overlaps counted once); for logs, the sum of billed-waste findings. `--fail-over`
compares that figure with the user's limit (the CLI decides the exit code).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from costctl.audit.findings import Finding, sort_findings
from costctl.audit.prompt import PromptAudit, Traffic, audit_prompt_text
from costctl.errors import ExitCode, InputError
from costctl.models import ZERO
from costctl.pricing.catalog import Catalog
from costctl.report import DETAIL, ESSENTIAL, Column, Report, Table

FINDING_COLUMNS = [
    Column("severity", "Severity"),
    Column("rule", "Rule", priority=ESSENTIAL),
    Column("location", "Location"),
    Column("tokens", "Tokens", "int", priority=DETAIL),
    Column("usd_per_month", "$/month", "usd", priority=ESSENTIAL),
    Column("message", "Finding", wrap=True),
    Column("fix", "Fix", priority=DETAIL, wrap=True),
]


@dataclass(frozen=True)
class PromptInput:
    where: str  # file path shown in findings (or workload#component)
    text: str
    model: str
    traffic: Traffic


def prompt_inputs_from_files(
    files: Sequence[Path], model: str, requests_per_day: int, days: int, **traffic: Any
) -> list[PromptInput]:
    from costctl.audit.segment import read_prompt_file

    if requests_per_day < 0:
        raise InputError(f"--requests-per-day must not be negative, got {requests_per_day}")
    if days < 1:
        raise InputError(f"--days must be at least 1, got {days}")
    return [
        PromptInput(
            str(path),
            read_prompt_file(path),
            model,
            Traffic(requests_per_month=requests_per_day * days, days=days, **traffic),
        )
        for path in files
    ]


def prompt_inputs_from_workload(workload: Any, **traffic: Any) -> list[PromptInput]:
    """Components of a workload (costctl.commands.workload) that carry a system prompt text."""
    from decimal import ROUND_HALF_EVEN

    days = int(getattr(workload, "days_per_month", 30))
    inputs: list[PromptInput] = []
    for comp in workload.components:
        text = getattr(comp, "system_prompt_text", None) or getattr(comp, "prompt_text", None)
        if not text:
            continue
        requests = int(Decimal(comp.requests_per_month).to_integral_value(rounding=ROUND_HALF_EVEN))
        where = str(getattr(comp, "system_prompt_path", None) or f"{workload.source}#{comp.name}")
        hit = getattr(comp, "cache_hit_rate", None)
        options = dict(traffic)
        if hit and options.get("cache_hit_rate") is None:
            options["cache_hit_rate"] = Decimal(hit)
        if not options.get("extra_input_tokens"):
            options["extra_input_tokens"] = int(getattr(comp, "input_tokens", 0) or 0)
        inputs.append(
            PromptInput(where, text, comp.model, Traffic(requests_per_month=requests, days=days, **options))
        )
    if not inputs:
        raise InputError(
            "no component has a system_prompt_file or prompt_file to audit", where=str(workload.source)
        )
    return inputs


def audit_prompts(catalog: Catalog, inputs: Sequence[PromptInput]) -> Report:
    audits: list[PromptAudit] = []
    for item in inputs:
        model = catalog.get(item.model, where="--model")
        audits.append(audit_prompt_text(item.text, item.where, model, item.traffic))
    findings = sort_findings([f for a in audits for f in a.findings])
    now = sum((a.now_usd_per_month for a in audits), ZERO)
    fixed = sum((a.fixed_usd_per_month for a in audits), ZERO)
    listed = sum((a.list_usd_per_month for a in audits), ZERO)
    waste = now - fixed
    totals = {
        "system_prompt_usd_per_month": listed,
        "cost_now_usd_per_month": now,
        "cost_fixed_usd_per_month": fixed,
        "waste_usd_per_month": waste,
        "findings": len(findings),
    }
    data: dict[str, Any] = {
        "kind": "prompt",
        "prompts": [_prompt_data(a) for a in audits],
        "findings": [f.as_dict() for f in findings],
        "totals": totals,
    }
    notes = [n for a in audits for n in a.notes]
    if any(not a.tokens_exact for a in audits):
        notes.append(
            "approximate token counts (no public tokenizer for the model); see README 'Token counts'"
        )
    notes.append(
        "redundancy is found lexically (char n-gram TF-IDF + negation/number guard); heavily reworded "
        "duplicates are not detected (docs/audit.md#similarity-method)"
    )
    tables = [_findings_table(findings), _sections_table(audits), _totals_table(audits, totals)]
    return Report("audit prompt", data, tables, notes, title="costctl audit prompt")


def _prompt_data(a: PromptAudit) -> dict[str, Any]:
    return {
        "file": a.file,
        "model": a.model.id,
        "tokens": a.tokens,
        "tokens_exact": a.tokens_exact,
        "tokens_method": a.tokens_method,
        "requests_per_month": a.traffic.requests_per_month,
        "requests_per_day": a.traffic.requests_per_day,
        "days": a.traffic.days,
        "system_prompt_usd_per_month": a.list_usd_per_month,
        "cost_now_usd_per_month": a.now_usd_per_month,
        "cost_fixed_usd_per_month": a.fixed_usd_per_month,
        "sections": [
            {
                "title": s.section.title,
                "kind": s.section.kind,
                "role": s.section.role,
                "line": s.section.start_line,
                "end_line": s.section.end_line,
                "tokens": s.tokens,
                "share": s.share,
                "usd_per_month": s.usd_per_month,
            }
            for s in a.sections
        ],
        "cacheability": a.cacheability,
    }


def _sections_table(audits: list[PromptAudit]) -> Table:
    rows = []
    for a in audits:
        for s in a.sections:
            rows.append(
                {
                    "location": f"{a.file}:{s.section.start_line}",
                    "section": s.section.title,
                    "role": s.section.role,
                    "tokens": s.tokens,
                    "share": s.share,
                    "usd_per_month": s.usd_per_month,
                }
            )
    columns = [
        Column("location", "Location"),
        Column("section", "Section"),
        Column("role", "Role"),
        Column("tokens", "Tokens", "int"),
        Column("share", "Share", "pct"),
        Column("usd_per_month", "$/month (list)", "usd"),
    ]
    footer = {
        "location": "total",
        "tokens": sum(a.tokens for a in audits),
        "usd_per_month": sum((a.list_usd_per_month for a in audits), ZERO),
    }
    return Table(
        columns, rows, title="System prompt by section (tokens x requests x input price)", footer=footer
    )


def _findings_table(findings: list[Finding]) -> Table:
    return Table(FINDING_COLUMNS, [f.as_dict() for f in findings], title="Findings")


def _totals_table(audits: list[PromptAudit], totals: dict[str, Any]) -> Table:
    rows = []
    for a in audits:
        c = a.cacheability
        rows.append(
            {
                "file": a.file,
                "model": a.model.id,
                "tokens": a.tokens,
                "count": a.tokens_exact,
                "requests_per_month": a.traffic.requests_per_month,
                "static_prefix": c.get("static_prefix_tokens"),
                "min_cacheable": c.get("min_cacheable_tokens"),
                "hit_rate": c.get("hit_rate_assumed"),
                "list_usd": a.list_usd_per_month,
                "now_usd": a.now_usd_per_month,
                "fixed_usd": a.fixed_usd_per_month,
            }
        )
    columns = [
        Column("file", "File", priority=ESSENTIAL),
        Column("model", "Model"),
        Column("tokens", "Tokens", "int"),
        Column("count", "Count", "exact", priority=DETAIL),
        Column("requests_per_month", "Requests/month", "int", priority=DETAIL),
        Column("static_prefix", "Static prefix", "int", priority=DETAIL),
        Column("min_cacheable", "Cache min", "int", priority=DETAIL),
        Column("hit_rate", "Cache hits", "pct", priority=DETAIL),
        Column("list_usd", "System prompt $/mo", "usd", priority=DETAIL),
        Column("now_usd", "Now (cached) $/mo", "usd", priority=ESSENTIAL),
        Column("fixed_usd", "Fixed $/mo", "usd", priority=ESSENTIAL),
    ]
    footer = {
        "file": "total",
        "list_usd": totals["system_prompt_usd_per_month"],
        "now_usd": totals["cost_now_usd_per_month"],
        "fixed_usd": totals["cost_fixed_usd_per_month"],
    }
    return Table(
        columns,
        rows,
        title="Monthly cost: list price, now (with caching), with findings fixed",
        footer=footer,
    )


def waste_usd(report: Report) -> Decimal:
    value = report.data.get("totals", {}).get("waste_usd_per_month", ZERO)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def judge_fail_over(report: Report, limit: Decimal | None) -> Report:
    """`--fail-over USD`: exit 1 when the monthly waste found exceeds the limit; exit 3 when unpriced
    requests leave it undecidable. A log audit counts only billed waste; a prompt audit all of it.
    The verdict goes in `data["fail_over"]` and `exit_code`."""
    if limit is None:
        return report
    totals = report.data.get("totals", {})
    logs = "billed_waste_usd_per_month" in totals
    waste = billed_waste_usd(report) if logs else waste_usd(report)
    if waste > limit:
        status, report.exit_code = "fail", int(ExitCode.CHECK_FAILED)
    elif logs and report.data.get("unpriced_requests"):
        status, report.exit_code = "incomplete", int(ExitCode.INCOMPLETE)
    else:
        status = "pass"
    report.data["fail_over"] = {"limit_usd": limit, "waste_usd": waste, "status": status}
    return report


# ------------------------------------------------------------------------------------------------ logs

LOG_FINDING_COLUMNS = [
    Column("severity", "Severity"),
    Column("rule", "Rule", priority=ESSENTIAL),
    Column("scope", "Scope"),
    Column("requests", "Requests", "int", priority=DETAIL),
    Column("usd_per_month", "$/month", "usd", priority=ESSENTIAL),
    Column("message", "Finding", wrap=True),
    Column("fix", "Fix", priority=DETAIL, wrap=True),
]


def audit_log_files(catalog: Catalog, files: Sequence[Path], *, days: int = 30) -> Report:
    """Ingest log files (any format `costctl attribute ingest` reads) into a temporary store, then audit it."""
    import tempfile

    from costctl.logs.ingest import ingest_files, vendor_reader
    from costctl.logs.store import connect

    with tempfile.TemporaryDirectory(prefix="costctl-audit-") as tmp:
        db = Path(tmp) / "audit.duckdb"
        con = connect(db, write=True)
        try:
            ingest_files(con, list(files), read_log=vendor_reader())
        finally:
            con.close()
        return audit_log_db(catalog, db, days=days)


def audit_log_db(catalog: Catalog, db: Path, *, days: int = 30) -> Report:
    from costctl.audit import logs as la

    return _audit_log(catalog, la.open_store(db), str(db), days)


def audit_log_spark(catalog: Catalog, engine: Any, *, days: int = 30) -> Report:
    """The same audit on a `costctl.rollup.spark.SparkEngine` (canonical rows from --source): the same
    queries in Spark's dialect, the same pricing and findings on their small results."""
    from costctl.audit import logs as la

    return _audit_log(
        catalog, la.SparkSql(engine.spark, engine.frame, source=engine.source), engine.source, days
    )


def _audit_log(catalog: Catalog, con: Any, where: str, days: int) -> Report:
    from costctl.audit import logs as la

    try:
        resolved = la.prepare(con, catalog)
        span, first, last = la.observed_days(con)
        scale = Decimal(days) / Decimal(span)
        findings: list[Finding] = []
        total = la.priced(con, resolved)[""] if _has_rows(con) else la.Priced()
        variants = _variants(con, la, resolved, scale, total)
        outputs = la.output_stats(con)
        findings += _output_findings(con, la, resolved, scale, outputs)
        findings += _traffic_findings(con, la, resolved, scale)
        findings += _cache_findings(con, la, resolved, scale)
        stats = la.counts(con)
    finally:
        con.close()
    findings = sort_findings(findings)
    unpriced = sorted(total.unpriced_models)
    billed = sum((f.usd_per_month or ZERO for f in findings if f.counts_as_waste), ZERO)
    totals = {
        "observed_days": span,
        "first_request": first,
        "last_request": last,
        "requests": total.requests,
        "observed_usd": total.usd,
        "monthly_usd": total.usd * scale,
        "billed_waste_usd_per_month": billed,
        "waste_usd_per_month": billed,
        "findings": len(findings),
    }
    data: dict[str, Any] = {
        "kind": "logs",
        "database": where,
        "totals": totals,
        "system_prompt_variants": variants,
        "output_length": outputs,
        "findings": [f.as_dict() for f in findings],
        "counts": stats,
        "unpriced_requests": total.unpriced_requests,
        "unpriced_models": unpriced,
    }
    notes = [
        f"observed {span} day(s) of logs; monthly figures = observed x {days}/{span}",
        "unused max_tokens headroom is not billed; it reserves tokens-per-minute capacity (docs/audit.md#output-length-what-is-and-is-not-billed)",
    ]
    if unpriced:
        notes.append(
            f"{total.unpriced_requests} request(s) of model(s) {', '.join(unpriced)} are unpriced "
            "(unknown to the price tables or missing a price); they are not counted as $0"
        )
    tables = [
        Table(LOG_FINDING_COLUMNS, [f.as_dict() for f in findings], title="Findings"),
        Table(
            [
                Column("system_prompt_hash", "System prompt"),
                Column("requests", "Requests", "int"),
                Column("input_usd_per_month", "Input $/month", "usd"),
                Column("share_of_input_spend", "Share", "pct"),
                Column("unpriced_requests", "Unpriced", "int"),
            ],
            variants,
            title="System-prompt variants (by system_prompt_hash)",
        ),
        Table(
            [
                Column("feature", "Feature"),
                Column("model", "Model"),
                Column("requests", "Requests", "int"),
                Column("p50", "p50", priority=DETAIL),
                Column("p95", "p95"),
                Column("p99", "p99", priority=DETAIL),
                Column("max", "max", "int", priority=DETAIL),
                Column("max_tokens_cap", "Cap", "int"),
                Column("truncation_rate", "Truncated", "pct"),
                Column("recommended_cap", "Recommended cap", "int"),
            ],
            outputs,
            title="Output length vs max_tokens",
        ),
        Table(
            [Column("metric", "Total"), Column("value", "Value", "row")],
            [
                {"metric": "requests", "value": total.requests, "kind": "int"},
                {"metric": "observed cost", "value": total.usd, "kind": "usd"},
                {"metric": "monthly cost", "value": total.usd * scale, "kind": "usd"},
                {"metric": "billed waste per month", "value": billed, "kind": "usd"},
                {"metric": "unpriced requests", "value": total.unpriced_requests, "kind": "int"},
            ],
            title="Totals",
        ),
    ]
    return Report("audit logs", data, tables, notes, title="costctl audit logs")


def _has_rows(con: Any) -> bool:
    return bool(con.execute("SELECT count(*) FROM audit_rows").fetchone()[0])


def _log_finding(
    rule: str,
    severity: str,
    scope: str,
    requests: int,
    usd: Decimal | None,
    message: str,
    fix: str,
    *,
    waste: bool,
) -> Finding:
    return Finding(
        rule,
        severity,
        message,
        fix,
        usd_per_month=usd,
        counts_as_waste=waste,
        extra={"scope": scope, "requests": requests},
    )


def _variants(con: Any, la: Any, resolved: Any, scale: Decimal, total: Any) -> list[dict[str, Any]]:
    groups = la.priced(con, resolved, key="system_prompt_hash")
    spend = sum((g.input_usd for g in groups.values()), ZERO)
    rows = []
    for key, g in sorted(groups.items(), key=lambda kv: -kv[1].input_usd):
        tokens = con.execute(
            "SELECT sum(i_tok) FROM audit_rows WHERE coalesce(system_prompt_hash, '(none)') = ?", [key]
        ).fetchone()[0]
        rows.append(
            {
                "system_prompt_hash": key,
                "requests": g.requests,
                "input_tokens": int(tokens or 0),
                "input_usd_per_month": g.input_usd * scale,
                "share_of_input_spend": (g.input_usd / spend) if spend else ZERO,
                "unpriced_requests": g.unpriced_requests,
            }
        )
    return rows


def _output_findings(
    con: Any, la: Any, resolved: Any, scale: Decimal, outputs: list[dict[str, Any]]
) -> list[Finding]:
    found: list[Finding] = []
    for s in outputs:
        scope = f"{s['feature']} | {s['model']}"
        cap = s["max_tokens_cap"]
        rec = s["recommended_cap"]
        few = s["requests"] < la.CAP_MIN_SAMPLES
        message = (
            f"output p50/p95/p99/max = {s['p50']}/{s['p95']}/{s['p99']}/{s['max']} tokens against a cap of "
            f"{cap if cap is not None else 'none'}; truncation rate {s['truncation_rate'] * 100:.1f}%; "
            f"recommended cap {rec}"
            + (" (fewer than 200 samples: indicative)" if few else "")
            + ". Unused headroom is not billed but reserves tokens-per-minute capacity"
        )
        severity = "warning" if s["truncation_rate"] > Decimal("0.05") else "info"
        found.append(
            _log_finding(
                "CL211",
                severity,
                scope,
                s["requests"],
                ZERO,
                message,
                f"set max_tokens to about {rec}" if rec else "log max_tokens and finish_reason",
                waste=False,
            )
        )
        if s["output_tokens"] and s["reasoning_tokens"]:
            share = Decimal(s["reasoning_tokens"]) / Decimal(s["output_tokens"])
            if share > la.REASONING_SHARE_FLAG:
                found.append(
                    _log_finding(
                        "CL221",
                        "info",
                        scope,
                        s["requests"],
                        None,
                        f"{share * 100:.0f}% of output tokens are hidden reasoning",
                        "try a lower reasoning effort and confirm quality with an eval (an opportunity, not a saving)",
                        waste=False,
                    )
                )
    checks = (
        (
            "truncation_retried",
            "CL212",
            "warning",
            "truncated answers retried with the same prompt: the truncated "
            "attempt is billed and the retry is billed again",
            "raise max_tokens for this route or shorten the answer",
        ),
        (
            "empty_truncation",
            "CL213",
            "error",
            "reasoning requests hit the cap before any visible answer: input and "
            "reasoning bought with nothing returned",
            "raise the cap (OpenAI suggests reserving 25,000) or lower the effort",
        ),
    )
    for flag, rule, severity, message, fix in checks:
        for scope, g in la.priced(con, resolved, filter_name=flag, key="feature_model").items():
            found.append(_priced_finding(rule, severity, scope, g, scale, message, fix))
    return found


def _priced_finding(
    rule: str, severity: str, scope: str, g: Any, scale: Decimal, message: str, fix: str
) -> Finding:
    usd = None if g.unpriced_requests == g.requests else g.usd * scale
    suffix = f" ({g.unpriced_requests} unpriced)" if g.unpriced_requests else ""
    return _log_finding(
        rule, severity, scope, g.requests, usd, f"{g.requests} request(s): {message}{suffix}", fix, waste=True
    )


def _traffic_findings(con: Any, la: Any, resolved: Any, scale: Decimal) -> list[Finding]:
    found: list[Finding] = []
    for scope, g in la.priced(con, resolved, filter_name="duplicate_extra", key="feature_model").items():
        found.append(
            _priced_finding(
                "CL231",
                "warning",
                scope,
                g,
                scale,
                f"identical prompt sent again within {la.DUPLICATE_WINDOW_S} s (each copy after the first is billed)",
                "cache responses for identical requests (temperature 0) or deduplicate client-side",
            )
        )
    for scope, g in la.priced(con, resolved, filter_name="storm", key="feature_model").items():
        finding = _priced_finding(
            "CL232",
            "warning",
            scope,
            g,
            scale,
            f"rate-limited responses in bursts of {la.STORM_MIN}+ within {la.STORM_WINDOW_S} s: a retry loop that "
            "burns the per-minute limit it waits on (billed only where tokens were logged)",
            "retry with exponential backoff and jitter, honour Retry-After, and keep one retry layer",
        )
        finding.counts_as_waste = bool(finding.usd_per_month)
        found.append(finding)
    for scope, g in la.priced(con, resolved, filter_name="test_like", key="feature_model").items():
        found.append(
            _priced_finding(
                "CL233",
                "warning",
                scope,
                g,
                scale,
                "repeated prompts from callers tagged ci/test: looks like a test suite hitting a live endpoint",
                "record and replay responses in CI (vcrpy / pytest-recording in replay-only mode)",
            )
        )
    return found


def _cache_findings(con: Any, la: Any, resolved: Any, scale: Decimal) -> list[Finding]:
    found: list[Finding] = []
    actual = la.priced(con, resolved, filter_name="cache_eligible", key="model")
    simulated = la.priced(con, resolved, filter_name="cache_eligible", key="model", usage="cache_sim")
    for model, g in actual.items():
        rates = con.execute(
            "SELECT sum(c_tok), sum(i_tok) FROM audit_rows WHERE coalesce(model, '(none)') = ?", [model]
        ).fetchone()
        hit = Decimal(int(rates[0] or 0)) / Decimal(int(rates[1])) if rates[1] else ZERO
        sim = simulated.get(model)
        saving = (g.usd - sim.usd) * scale if sim is not None and not g.unpriced_requests else None
        if saving is not None and saving <= 0:
            saving = ZERO
        found.append(
            _log_finding(
                "CL241",
                "warning" if saving else "info",
                model,
                g.requests,
                saving,
                f"prompt-cache hit rate {hit * 100:.1f}% of input tokens; simulated saving left on the table with "
                f"the shared system-prompt prefix cached ({la.CACHE_TTL_S // 60}-minute TTL, write premiums included)",
                "keep the static prefix first and identical across requests; enable caching where it is opt-in",
                waste=bool(saving),
            )
        )
    return found


def billed_waste_usd(report: Report) -> Decimal:
    value = report.data.get("totals", {}).get("billed_waste_usd_per_month", ZERO)
    return value if isinstance(value, Decimal) else Decimal(str(value))
