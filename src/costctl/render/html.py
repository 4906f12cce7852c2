"""The monthly report as one self-contained HTML file, and its markdown summary.

Contract (docs/report.md#self-contained-html):
- one file: inline CSS, inline SVG drawn here at build time, no script to run, no font, no URL but `data:`;
  a Content-Security-Policy meta tag forbids any fetch even if something slipped through;
- every chart's data is a CSV `data:` link beside it, cells neutralised against spreadsheet formulas
  (render/csv_.py `neutralise`), and the whole payload is embedded as inert JSON (`application/json`);
- jinja2 with autoescape on: user-controlled names (features, teams, users, models) are text, never markup.
  SVG is built by render/svg.py, which XML-escapes every text, and is the only thing marked safe;
- byte-for-byte reproducible: no clock, no random ids; the generation time comes from the caller.

jinja2 is imported inside the function that renders (the CLI stays light for `--help`).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from costctl import __version__
from costctl.render import svg
from costctl.render.csv_ import csv_text as write_csv
from costctl.render.csv_ import is_number
from costctl.render.json_ import to_jsonable
from costctl.render.markdown import escape_md
from costctl.render.text import inert, json_inert
from costctl.render.values import format_cell, format_usd, plain_cell
from costctl.report import Report

TEMPLATES = Path(__file__).parent / "templates"
DIMENSIONS = (("by_feature", "Feature"), ("by_model", "Model"), ("by_team", "Team"), ("by_user", "User"))


def usd(value: Any, missing: str = "—") -> str:
    if value is None:
        return missing
    return format_usd(value if isinstance(value, Decimal) else Decimal(str(value)))


def priced_usd(value: Any) -> str:
    """A cost that is None had nothing priced: say so, never show $0."""
    return usd(value, "unpriced")


def pct(value: Any) -> str:
    return format_cell(value, "pct")


def signed_usd(value: Any) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + usd(value)


def signed_pct(value: Any) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + pct(value)


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    """CSV with exact decimals, every cell made inert (render/csv_.py)."""
    return write_csv(header, ([(plain_cell(v, "text"), is_number(v)) for v in row] for row in rows))


def data_uri(text: str) -> str:
    return "data:text/csv;charset=utf-8," + quote(text, safe="")


def download(name: str, header: list[str], rows: list[list[Any]]) -> dict[str, str]:
    return {"name": f"{name}.csv", "href": data_uri(csv_text(header, rows))}


# ---------------------------------------------------------------- the page's parts


def headline_cards(data: dict[str, Any]) -> list[dict[str, str]]:
    h = data["headline"]
    budget = h["budget"]
    cards = [
        {
            "label": "Total spend",
            "value": usd(h["total_usd"]),
            "sub": f"{h['requests']:,} requests",
            "kind": "",
        },
        {
            "label": f"Change vs {data['previous_month']}",
            "value": signed_usd(h["change_usd"]),
            "sub": f"{signed_pct(h['change_pct'])} (was {usd(h['previous_usd'])})",
            "kind": "up" if h["change_usd"] > 0 else "down" if h["change_usd"] < 0 else "",
        },
        {
            "label": "Cost per request",
            "value": usd(h["cost_per_request_usd"]),
            "sub": "priced requests",
            "kind": "",
        },
        {
            "label": "Cost per active user",
            "value": usd(h["cost_per_active_user_usd"]),
            "sub": f"{h['active_users']:,} active users",
            "kind": "",
        },
        {
            "label": "Unpriced requests",
            "value": f"{h['unpriced_requests']:,}",
            "sub": (f"{pct(h['unpriced_share_of_requests'])} of requests, not in the totals")
            if h["unpriced_requests"]
            else "every request priced",
            "kind": "warn" if h["unpriced_requests"] else "",
        },
    ]
    if budget["status"] == "no budget set":
        cards.append({"label": "Budget", "value": "—", "sub": "no budget set (--total-budget)", "kind": ""})
    else:
        cards.append(
            {
                "label": "Budget",
                "value": budget["status"],
                "sub": f"{usd(budget['spent_usd'])} of {usd(budget['budget_usd'])} ({pct(budget['burn'])}); "
                f"month-end projection {usd(budget['projected_usd'])}",
                "kind": "warn" if budget["status"] != "within budget" else "ok",
            }
        )
    return cards


def daily_chart(data: dict[str, Any]) -> dict[str, Any]:
    stack = data["daily_by_feature"]
    days = stack["days"]
    labels = [f"{d:%d}" for d in days]
    series = [(s["key"], s["cost_usd"]) for s in stack["series"]]
    tips = [f"{d.isoformat()}: {usd(sum((s[1][i] for s in series), Decimal(0)))}" for i, d in enumerate(days)]
    chart = svg.stacked_bar_chart(
        labels, series, title=f"Daily spend by feature, {data['month']}", tips=tips, value_text=usd
    )
    header = ["day", *[s["key"] for s in stack["series"]]]
    rows = [[d.isoformat(), *[s["cost_usd"][i] for s in stack["series"]]] for i, d in enumerate(days)]
    return {"svg": chart, "csv": download(f"daily-spend-by-feature-{data['month']}", header, rows)}


def trend_chart(data: dict[str, Any]) -> dict[str, Any]:
    months = data["trend"]
    chart = svg.stacked_bar_chart(
        [m["month"] for m in months],
        [("spend", [m["cost_usd"] for m in months])],
        title="Twelve-month trend",
        tips=[f"{m['month']}: {usd(m['cost_usd'])}, {m['requests']:,} requests" for m in months],
        value_text=usd,
    )
    rows = [[m["month"], m["cost_usd"], m["requests"], m["unpriced_requests"]] for m in months]
    return {
        "svg": chart,
        "csv": download("twelve-month-trend", ["month", "cost_usd", "requests", "unpriced_requests"], rows),
    }


def mom_chart(data: dict[str, Any]) -> dict[str, Any]:
    split = data["month_over_month"]["feature"]
    steps = [
        (data["previous_month"], split["previous_usd"]),
        ("volume", split["volume_usd"]),
        ("rate", split["rate_usd"]),
        ("mix", split["mix_usd"]),
        (data["month"], split["current_usd"]),
    ]
    chart = svg.waterfall_chart(steps, title="Change against last month: volume, rate, mix", value_text=usd)
    header = ["split_by", "previous_usd", "volume_usd", "rate_usd", "mix_usd", "current_usd", "change_usd"]
    rows = [
        [
            s["by"],
            s["previous_usd"],
            s["volume_usd"],
            s["rate_usd"],
            s["mix_usd"],
            s["current_usd"],
            s["change_usd"],
        ]
        for s in data["month_over_month"].values()
    ]
    table = [
        {
            "by": s["by"],
            "cells": [
                usd(s["previous_usd"]),
                signed_usd(s["volume_usd"]),
                signed_usd(s["rate_usd"]),
                signed_usd(s["mix_usd"]),
                usd(s["current_usd"]),
                signed_usd(s["change_usd"]),
            ],
        }
        for s in data["month_over_month"].values()
    ]
    return {"svg": chart, "csv": download("month-over-month-split", header, rows), "table": table}


def top_charts(data: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key, label in DIMENSIONS:
        rows = [r for r in data[key] if not r["is_other"]]
        bars = [(r["name"], r["cost_usd"]) for r in rows]
        chart = svg.hbar_chart(bars, title=f"Top {label.lower()}s by spend", value_text=priced_usd)
        csv_rows = [[r["name"], r["cost_usd"], r["requests"]] for r in rows]
        out.append(
            {
                "svg": chart,
                "csv": download(f"top-{label.lower()}s", [label.lower(), "cost_usd", "requests"], csv_rows),
            }
        )
    return out


def dimension_tables(data: dict[str, Any]) -> list[dict[str, Any]]:
    tables = []
    for key, label in DIMENSIONS:
        with_change = key in ("by_feature", "by_model")
        rows = []
        for r in data[key]:
            cells = [
                {"text": f"{r['requests']:,}", "num": True, "warn": False},
                {"text": priced_usd(r["cost_usd"]), "num": True, "warn": r["cost_usd"] is None},
                {"text": pct(r["share"]), "num": True, "warn": False},
                {"text": usd(r["cost_per_request_usd"]), "num": True, "warn": False},
                {"text": f"{r['unpriced_requests']:,}", "num": True, "warn": bool(r["unpriced_requests"])},
            ]
            if with_change:
                cells.append({"text": signed_usd(r.get("change_usd")), "num": True, "warn": False})
            spark = svg.sparkline(r["daily_usd"], label=f"{r['name']}: daily spend, {data['month']}")
            rows.append({"name": r["name"], "other": r["is_other"], "cells": cells, "spark": spark})
        header = ["Requests", "Cost", "Share", "Per request", "Unpriced req"] + (
            ["Change"] if with_change else []
        )
        days = data["daily_by_feature"]["days"]
        csv_header = [
            label.lower(),
            "requests",
            "cost_usd",
            "share",
            "cost_per_request_usd",
            "unpriced_requests",
        ]
        csv_header += ["change_usd"] if with_change else []
        csv_header += [f"{d.isoformat()}_usd" for d in days]
        csv_rows = [
            [
                r["name"],
                r["requests"],
                r["cost_usd"],
                r["share"],
                r["cost_per_request_usd"],
                r["unpriced_requests"],
            ]
            + ([r.get("change_usd")] if with_change else [])
            + list(r["daily_usd"])
            for r in data[key]
        ]
        title = f"Top {data['top']} users" if key == "by_user" else f"By {label.lower()}"
        tables.append(
            {
                "id": key.replace("_", "-"),
                "title": title,
                "label": label,
                "header": header,
                "rows": rows,
                "csv": download(f"cost-{key.replace('_', '-')}-{data['month']}", csv_header, csv_rows),
            }
        )
    return tables


def generic_table(
    title: str, columns: list[tuple[str, str, str]], rows: list[dict[str, Any]], name: str
) -> dict[str, Any]:
    """columns: (key, header, kind) with kind as in costctl.report.Column."""
    body = [
        [
            {"text": format_cell(r.get(k), kind), "num": kind in ("usd", "int", "pct")}
            for k, _, kind in columns
        ]
        for r in rows
    ]
    csv_rows = [[r.get(k) for k, _, _ in columns] for r in rows]
    return {
        "title": title,
        "header": [h for _, h, _ in columns],
        "num": [kind in ("usd", "int", "pct") for _, _, kind in columns],
        "rows": body,
        "csv": download(name, [k for k, _, _ in columns], csv_rows),
    }


def chargeback_section(data: dict[str, Any]) -> dict[str, Any]:
    cols = [
        ("team", "Team", "text"),
        ("requests", "Requests", "int"),
        ("direct_cost_usd", "Direct", "usd"),
        ("shared_usd", "Shared", "usd"),
        ("chargeback_usd", "Chargeback", "usd"),
        ("unpriced_requests", "Unpriced req", "int"),
    ]
    shared = data["shared"]
    pool = None
    if shared:
        items = [{"name": k, "usd": v} for k, v in shared["shared_costs_usd"].items()]
        if shared["overhead_usd"]:
            items.append({"name": "overhead", "usd": shared["overhead_usd"]})
        pool = {
            "total": usd(shared["pool_usd"]),
            "by": shared["allocate_by"],
            "items": [{"name": i["name"], "usd": usd(i["usd"])} for i in items],
        }
    return {
        "table": generic_table("Team chargeback", cols, data["chargeback"], f"chargeback-{data['month']}"),
        "pool": pool,
    }


def anomaly_budget_tables(data: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    if data["anomalies"]:
        cols = [
            ("key", "Feature", "text"),
            ("day", "Day", "text"),
            ("cost_usd", "Cost", "usd"),
            ("baseline_usd", "Trailing 7-day mean", "usd"),
            ("factor", "Factor", "text"),
        ]
        rows = [
            {**a, "factor": f"{a['factor']:.1f}x" if a["factor"].is_finite() else "new"}
            for a in data["anomalies"]
        ]
        out.append(
            generic_table(
                f"Anomalies (a day above {data['anomaly_factor']}x its trailing 7-day mean)",
                cols,
                rows,
                "anomalies",
            )
        )
    if data["budgets"]:
        cols = [
            ("key", "Feature", "text"),
            ("budget_usd", "Budget", "usd"),
            ("spent_usd", "Spent", "usd"),
            ("pct", "Burn", "pct"),
            ("projected_usd", "Projected", "usd"),
            ("alert", "Alert", "text"),
        ]
        rows = [
            {**b, "alert": f"{max(b['alerts'])}% crossed" if b["alerts"] else ""} for b in data["budgets"]
        ]
        out.append(generic_table("Budget alerts", cols, rows, "budgets"))
    return out


def audit_section(data: dict[str, Any]) -> dict[str, Any] | None:
    audit = data["audit"]
    if audit is None:
        return None
    totals = [{"name": k.replace("_", " "), "value": _scalar(k, v)} for k, v in audit["totals"].items()]
    findings = []
    for f in audit["findings"]:
        what = next(
            (str(f[k]) for k in ("title", "message", "summary", "rule", "kind") if f.get(k)), "finding"
        )
        where = next((str(f[k]) for k in ("location", "where", "file", "key") if f.get(k)), "")
        money = next(((k, v) for k, v in f.items() if "usd" in k and v is not None), None)
        findings.append({"what": what, "where": where, "usd": _scalar(money[0], money[1]) if money else ""})
    caps = [
        {
            "name": " / ".join(str(c[k]) for k in ("feature", "model", "key") if c.get(k)) or "all",
            "cap": "—" if c.get("max_tokens_cap") is None else f"{c['max_tokens_cap']:,}",
            "recommended": "—" if c.get("recommended_cap") is None else f"{c['recommended_cap']:,}",
            "truncation": pct(c.get("truncation_rate")) if c.get("truncation_rate") is not None else "—",
        }
        for c in audit["caps"]
    ]
    return {
        "source": audit["source"],
        "totals": totals,
        "findings": findings,
        "more": audit["findings_total"] - len(findings),
        "caps": caps,
    }


def _scalar(key: str, value: Any) -> str:
    if "usd" in key:
        try:
            return usd(Decimal(str(value)))
        except ArithmeticError:
            return str(value)
    if "share" in key or "rate" in key:
        try:
            return pct(Decimal(str(value)))
        except ArithmeticError:
            return str(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def estimate_section(data: dict[str, Any]) -> dict[str, Any] | None:
    eva = data["estimate_vs_actual"]
    if eva is None:
        return None
    cols = [
        ("component", "Component (feature)", "text"),
        ("model", "Model", "text"),
        ("estimated_requests", "Est. requests", "int"),
        ("actual_requests", "Actual requests", "int"),
        ("estimated_usd", "Estimated", "usd"),
        ("actual_usd", "Actual", "usd"),
        ("difference_usd", "Actual − estimate", "usd"),
        ("actual_over_estimate", "Actual / estimate", "pct"),
    ]
    table = generic_table(f"Estimate vs actual ({eva['workload']})", cols, eva["rows"], "estimate-vs-actual")
    return {"table": table, "estimated": usd(eva["estimated_usd"]), "actual": usd(eva["actual_usd"])}


def unpriced_table(data: dict[str, Any]) -> dict[str, Any] | None:
    if not data["unpriced"]:
        return None
    cols = [
        ("model", "Model", "text"),
        ("reason", "Why unpriced", "text"),
        ("requests", "Requests", "int"),
        ("input_tokens", "Input tokens", "int"),
        ("output_tokens", "Output tokens", "int"),
    ]
    return generic_table("Unpriced volume (not in any total)", cols, data["unpriced"], "unpriced")


def embedded_json(report: Report) -> str:
    """The payload as inert JSON inside <script type="application/json">: `<`, `>` and `&` are escaped as
    JSON unicode escapes so no text can close the element."""
    text = json.dumps(
        to_jsonable({"command": report.command, **report.data}), ensure_ascii=False, sort_keys=False
    )
    text = json_inert(text)  # DEL, C1 and bidi controls as \uXXXX escapes: the same values, nothing raw
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def context(report: Report) -> dict[str, Any]:
    from markupsafe import Markup

    data = report.data

    def safe_svg(part: dict[str, Any]) -> dict[str, Any]:
        return {**part, "svg": Markup(part["svg"])}

    tables = dimension_tables(data)
    for t in tables:
        for row in t["rows"]:
            row["spark"] = Markup(row["spark"])
    return {
        "title": report.title or "LLM cost report",
        "data": data,
        "version": __version__,
        "cards": headline_cards(data),
        "daily": safe_svg(daily_chart(data)),
        "trend": safe_svg(trend_chart(data)),
        "mom": safe_svg(mom_chart(data)),
        "tops": [safe_svg(c) for c in top_charts(data)],
        "tables": tables,
        "chargeback": chargeback_section(data),
        "alerts": anomaly_budget_tables(data),
        "audit": audit_section(data),
        "estimate": estimate_section(data),
        "estimate_note": data.get("estimate_vs_actual_note"),
        "unpriced": unpriced_table(data),
        "notes": report.notes,
        "json": Markup(embedded_json(report)),
    }


def render_report_html(report: Report) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every {{ }} is escaped; only the SVG built by render/svg.py is Markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # names are text (autoescape); their control and bidi characters are shown as escapes, as in every
    # other format, so an RTL override cannot make one name read as another
    return inert(env.get_template("report.html.j2").render(**context(report)), keep="\t\r\n")


# ---------------------------------------------------------------- markdown summary (chat, PR)


def render_report_markdown(report: Report) -> str:
    data = report.data
    h = data["headline"]
    lines = [f"### {escape_md(report.title or 'LLM cost report')}", ""]
    lines.append(
        f"- **Total spend:** {usd(h['total_usd'])} ({h['requests']:,} requests), "
        f"{signed_usd(h['change_usd'])} ({signed_pct(h['change_pct'])}) vs {data['previous_month']}"
    )
    split = data["month_over_month"]["feature"]
    lines.append(
        f"- **Why it changed:** volume {signed_usd(split['volume_usd'])}, rate {signed_usd(split['rate_usd'])}, "
        f"mix {signed_usd(split['mix_usd'])}"
    )
    lines.append(
        f"- **Per request:** {usd(h['cost_per_request_usd'])} · **per active user:** "
        f"{usd(h['cost_per_active_user_usd'])} ({h['active_users']:,} users)"
    )
    unpriced = (
        f"{h['unpriced_requests']:,} requests ({pct(h['unpriced_share_of_requests'])}) are unpriced and not in the totals"
        if h["unpriced_requests"]
        else "none"
    )
    lines.append(f"- **Unpriced:** {escape_md(unpriced)}")
    budget = h["budget"]
    if budget["status"] != "no budget set":
        lines.append(
            f"- **Budget:** {budget['status']}: {usd(budget['spent_usd'])} of {usd(budget['budget_usd'])} "
            f"({pct(budget['burn'])}), projected {usd(budget['projected_usd'])}"
        )
    lines += ["", "| Feature | Cost | Share | Change |", "|---|---:|---:|---:|"]
    for r in data["by_feature"]:
        lines.append(
            f"| {escape_md(r['name'])} | {priced_usd(r['cost_usd'])} | {pct(r['share'])} | {signed_usd(r.get('change_usd'))} |"
        )
    alerts = [
        f"- anomaly: {escape_md(str(a['key']))} on {a['day']}: {usd(a['cost_usd'])} (7-day mean {usd(a['baseline_usd'])})"
        for a in data["anomalies"]
    ]
    alerts += [
        f"- budget: {escape_md(str(b['key']))} at {pct(b['pct'])} of {usd(b['budget_usd'])}"
        for b in data["budgets"]
        if b["alerts"]
    ]
    if alerts:
        lines += ["", "**Alerts**", *alerts]
    return "\n".join(lines) + "\n"
