"""Bad input: one clear stderr line, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, run_costctl

BASE = [
    "breakeven",
    "self-host",
    "--params-b",
    "70",
    "--gpu",
    "h100-sxm",
    "--gpus",
    "2",
    "--input-len",
    "1000",
    "--output-len",
    "1000",
]


def one_line_exit2(r, needle):
    assert r.exit_code == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr and lines[0].startswith("costctl: error:")
    assert needle in lines[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["breakeven", "rag-vs-finetune", "--training-cost", "0", "--per-query-savings", "0.004"],
            "--training-cost",
        ),
        (
            ["breakeven", "rag-vs-finetune", "--training-cost", "200", "--per-query-savings", "-1"],
            "--per-query-savings",
        ),
        ([*BASE, "--efficiency", "1.5"], "efficiency"),
        ([*BASE, "--api-price-per-mtok", "1", "--tokens-per-month", "0"], "--tokens-per-month"),
        ([*BASE, "--api-price-per-mtok", "1", "--requests-per-month", "-5"], "--requests-per-month"),
        (["breakeven", "self-host", "--params-b", "70", "--gpu", "h10-sxm"], "did you mean 'h100-sxm'"),
        (["breakeven", "self-host", "--params-b", "2000", "--precision", "fp16", "--gpu", "l4"], "fits no"),
        (
            [
                "breakeven",
                "self-host",
                "--params-b",
                "70",
                "--precision",
                "fp16",
                "--gpu",
                "h100-sxm",
                "--gpus",
                "1",
            ],
            "does not fit",
        ),
        ([*BASE, "--throughput", "20000"], "above the physical roofline"),
        ([*BASE, "--api-model", "gpt-4.1-minii", "--requests-per-month", "1000"], "unknown model"),
    ],
)
def test_bad_input(args, needle):
    one_line_exit2(invoke(*args), needle)


def test_bad_input_subprocess():
    one_line_exit2(run_costctl(*BASE, "--throughput", "20000"), "roofline")


def test_unknown_scenario_key(tmp_path: Path):
    f = tmp_path / "s.yaml"
    f.write_text(
        "kind: self-host\nmodel: {params_b: 8}\ngpu: {name: h100-sxm}\n"
        "workload: {input_tokens: 10, output_tokens: 10, requets_per_month: 5}\n"
    )
    r = invoke("breakeven", "--scenario", str(f))
    one_line_exit2(r, "workload.requets_per_month: unknown field")


def test_bad_scenario_kind(tmp_path: Path):
    f = tmp_path / "s.yaml"
    f.write_text("kind: nonsense\n")
    one_line_exit2(run_costctl("breakeven", "--scenario", str(f)), "kind")


def test_rag_zero_volume(tmp_path: Path):
    f = tmp_path / "s.yaml"
    f.write_text(
        "kind: rag-vs-finetune\nqueries_per_month: 0\nquery_tokens: 10\noutput_tokens: 10\n"
        "knowledge_base: {tokens: 1000}\nrag: {model: gpt-4.1-mini, system_tokens: 10, chunks: 1, chunk_tokens: 10}\n"
    )
    one_line_exit2(invoke("breakeven", "--scenario", str(f)), "queries_per_month")
