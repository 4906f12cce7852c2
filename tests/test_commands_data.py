"""Commands hand renderers data, never display text: CSV carries exact numbers, tables carry `$`."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import invoke

SRC = Path(__file__).resolve().parents[1] / "src" / "costctl"
SELF_HOST = ["breakeven", "self-host", "--params-b", "8", "--gpu", "h100-sxm", "--output-len", "200",
             "--api-model", "gpt-4.1-nano", "--requests-per-month", "3000000"]  # fmt: skip


def test_key_value_tables_keep_numbers_in_csv_and_format_them_in_tables():
    csv = invoke(*SELF_HOST, "-f", "csv")
    assert csv.exit_code == 0, csv.stderr
    rows = dict(line.split(",", 1) for line in csv.stdout.splitlines()[1:])
    assert "$" not in csv.stdout
    assert rows["self_host_monthly_usd"].replace(".", "", 1).isdigit()
    table = invoke(*SELF_HOST, "-f", "table")
    assert "$" in table.stdout and "%" in table.stdout


def test_no_command_imports_a_renderer_or_formatter():
    for path in (SRC / "commands").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("costctl.render"), f"{path.name} imports {node.module}"


def test_every_format_has_a_renderer_or_a_clear_error():
    from costctl.errors import InputError
    from costctl.render import formats_for, render
    from costctl.report import Format, Report

    report = Report("estimate", {"total_usd": 1}, [])
    assert formats_for("estimate") == [Format.TABLE, Format.JSON, Format.CSV, Format.MARKDOWN]
    assert Format.HTML in formats_for("report") and Format.SARIF in formats_for("audit logs")
    for fmt in Format:
        if fmt in formats_for("estimate"):
            assert isinstance(render(report, fmt), str)
        else:
            try:
                render(report, fmt)
            except InputError as exc:
                assert "use table, json, csv, markdown" in str(exc)
            else:
                raise AssertionError(f"{fmt} rendered for estimate")
