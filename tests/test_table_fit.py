"""Terminal tables fit the terminal: DETAIL columns go first, labels are cut with an ellipsis, prose folds,
numbers are never cut, and hidden columns are named under the table."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import invoke

from costctl.render.table import display_width, render_table, table_text
from costctl.render.values import format_usd
from costctl.report import DETAIL, ESSENTIAL, Column, Report, Table

ROOT = Path(__file__).resolve().parents[1]
MONEY = re.compile(r"\$[\d,]+(?:\.\d+)?")


def widest(text: str) -> int:
    return max(display_width(line) for line in text.splitlines())


def sample() -> Table:
    return Table(
        [
            Column("name", "Name", priority=ESSENTIAL),
            Column("kind", "Kind", priority=DETAIL),
            Column("tokens", "Tokens", "int"),
            Column("note", "Note", wrap=True),
            Column("cost", "Cost", "usd", priority=ESSENTIAL),
        ],
        [
            {
                "name": "a-very-long-model-label-that-does-not-fit-anywhere",
                "kind": "detail value",
                "tokens": 123_456_789,
                "note": "a long sentence of prose that folds onto several lines when the terminal is narrow",
                "cost": Decimal("12345.678"),
            },
            {"name": "短い名前", "kind": "x", "tokens": 1, "note": "short", "cost": Decimal("0.0065")},
        ],
        footer={"name": "Total", "tokens": 123_456_790, "cost": Decimal("12345.6845")},
    )


def test_full_width_without_a_terminal_width():
    text = table_text(sample())
    assert "a-very-long-model-label-that-does-not-fit-anywhere" in text and "hidden" not in text
    assert text == table_text(sample(), width=1000)


@pytest.mark.parametrize("width", [40, 60, 80])
def test_narrow_table_fits_cuts_labels_folds_prose_keeps_numbers(width):
    text = table_text(sample(), width=width)
    body = [ln for ln in text.splitlines() if ln.startswith(("│", "┌", "├", "└"))]
    assert max(display_width(ln) for ln in body) <= width, text
    for number in ("123,456,789", "$12,345.68", "$0.0065", "123,456,790", "$12,345.68"):
        assert number in text, (number, text)  # never cut, never wrapped
    assert "…" in text  # the long label is cut with an ellipsis
    assert "Kind" not in body[1] and "hidden to fit" in text and "Kind" in text.split("hidden to fit")[1]
    assert "Name" in body[1] and "Cost" in body[1]  # ESSENTIAL columns stay
    if width >= 60:  # prose continues on the next lines rather than being cut
        assert "a long sentence of" in text and "is narrow" in text
    else:  # too narrow for prose too: the NORMAL column goes after the DETAIL one
        assert "Note" in text.split("hidden to fit")[1]


def test_numbers_are_never_cut_even_when_nothing_else_can_give():
    table = Table(
        [Column(k, k, "usd", priority=ESSENTIAL) for k in "abcdef"],
        [dict.fromkeys("abcdef", Decimal("123456789.5"))],
    )
    text = table_text(table, width=30)
    assert text.count("$123,456,789.50") == 6  # too wide for 30 columns: runs past the edge, intact


def test_a_text_column_of_numbers_is_not_cut():
    table = Table(
        [Column("k", "Quantity"), Column("v", "Value", priority=ESSENTIAL)],
        [{"k": "x" * 60, "v": "1,234,567,890.5"}],
    )
    text = table_text(table, width=30)
    assert "1,234,567,890.5" in text and widest(text) <= 30


def test_render_table_passes_the_width_to_every_table():
    report = Report("t", {}, [sample(), sample()])
    assert widest(render_table(report, 60)) <= 60


def _db(tmp_path: Path) -> Path:
    db = tmp_path / "c.duckdb"
    result = invoke("attribute", "ingest", str(ROOT / "sample_logs" / "app_requests.jsonl"), "--db", str(db))
    assert result.exit_code == 0, result.stderr
    return db


COMMANDS = {
    "estimate": lambda tmp: [
        "estimate", "--input-tokens", "1200", "--output-tokens", "300",
        "-m", "gpt-4.1-mini,claude-haiku-4-5,gemini-2.5-flash",
    ],
    "estimate workload": lambda tmp: ["estimate", "--workload", str(ROOT / "examples" / "workload.yaml")],
    "attribute report": lambda tmp: ["attribute", "report", "--db", str(_db(tmp)), "--by", "feature,model"],
    "breakeven": lambda tmp: [
        "breakeven", "--scenario", str(ROOT / "examples" / "breakeven" / "rag-support-assistant.yaml"),
    ],
    "audit prompt": lambda tmp: [
        "audit", "prompt", str(ROOT / "examples" / "prompts" / "support-bot.md"), "-m", "gpt-4o", "-r", "50000",
    ],
    "audit logs": lambda tmp: ["audit", "logs", "--db", str(_db(tmp))],
}  # fmt: skip


@pytest.mark.parametrize("command", list(COMMANDS))
def test_commands_fit_80_and_200_columns(command, tmp_path):
    args = COMMANDS[command](tmp_path)
    full = invoke(*args, env={"COLUMNS": None})  # type: ignore[dict-item]  # None unsets it
    assert full.exit_code in (0, 1), full.stderr
    natural = widest(full.stdout)
    assert natural > 80, f"{command} no longer needs fitting at 80 columns; pick a wider example"
    money = set(MONEY.findall(full.stdout))
    for width in (80, 200):
        fitted = invoke(*args, env={"COLUMNS": str(width)})
        assert fitted.exit_code == full.exit_code, fitted.stderr
        drawn = [ln for ln in fitted.stdout.splitlines() if ln[:1] in "│┌├└"]
        assert max(display_width(ln) for ln in drawn) <= width, f"{command} at {width}:\n{fitted.stdout}"
        # every amount still shown is shown whole: no cut or wrapped number
        shown = set(MONEY.findall(fitted.stdout))
        assert shown and shown <= money, (command, width, shown - money)
        if natural <= width:
            assert fitted.stdout == full.stdout
    narrow = invoke(*args, env={"COLUMNS": "80"}).stdout
    assert "hidden to fit 80 columns" in narrow or "…" in narrow


def test_a_pipe_gets_every_column(tmp_path):
    """No COLUMNS and not a terminal (as here): full width, whatever the terminal was."""
    args = COMMANDS["audit prompt"](tmp_path)
    assert "hidden to fit" not in invoke(*args, env={"COLUMNS": None}).stdout  # type: ignore[dict-item]


def test_format_usd_is_what_the_tables_show():
    assert format_usd(Decimal("12345.678")) == "$12,345.68"
