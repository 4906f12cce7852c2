"""SARIF 2.1.0 for `costctl audit` findings, so GitHub code scanning shows them on the pull request.

Reads `report.data["findings"]` (the dicts of costctl.audit.findings.Finding) and the rule catalogue.
Prompt findings carry file:line regions; log findings point at the database as a whole.
"""

from __future__ import annotations

import json
from typing import Any

from costctl import __version__
from costctl.render.json_ import to_jsonable
from costctl.render.text import json_inert
from costctl.report import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _rules() -> dict[str, tuple[str, str]]:
    from costctl.audit.findings import RULES

    return RULES


def _location(file: str, line: int | None, end_line: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": file}}
    if line is not None:
        physical["region"] = {"startLine": line, "endLine": end_line or line}
    return {"physicalLocation": physical}


def render_sarif(report: Report) -> str:
    rules_catalogue = _rules()
    findings = report.data.get("findings", [])
    used = sorted({f["rule_id"] for f in findings})
    rules = [
        {
            "id": rule_id,
            "name": rules_catalogue[rule_id][0],
            "shortDescription": {"text": rules_catalogue[rule_id][1]},
            "helpUri": "https://github.com/costctl/costctl#costctl-audit",
        }
        for rule_id in used
    ]
    default_artifact = report.data.get("database")
    results = []
    for f in findings:
        text = f["message"] + (f" Fix: {f['fix']}" if f.get("fix") else "")
        result: dict[str, Any] = {
            "ruleId": f["rule_id"],
            "ruleIndex": used.index(f["rule_id"]),
            "level": _LEVELS[f["severity"]],
            "message": {"text": text},
            "properties": {
                "usd_per_month": f.get("usd_per_month"),
                "tokens": f.get("tokens"),
                "severity": f["severity"],
                "counts_as_waste": f.get("counts_as_waste", False),
            },
        }
        if f.get("file"):
            result["locations"] = [_location(f["file"], f.get("line"), f.get("end_line"))]
        elif default_artifact:
            result["locations"] = [_location(default_artifact, None, None)]
        related = [r for r in f.get("related", []) if r.get("file")]
        if related:
            result["relatedLocations"] = [
                {
                    "id": i,
                    **_location(r["file"], r.get("line"), r.get("end_line")),
                    "message": {"text": r.get("role", "")},
                }
                for i, r in enumerate(related)
            ]
        results.append(result)
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "costctl",
                        "version": __version__,
                        "informationUri": "https://github.com/costctl/costctl",
                        "rules": rules,
                    }
                },
                "results": results,
                "properties": {"totals": report.data.get("totals", {})},
            }
        ],
    }
    return json_inert(json.dumps(to_jsonable(sarif), indent=2, ensure_ascii=False)) + "\n"
