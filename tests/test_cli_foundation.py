"""The CLI contract: help, version, exit codes, stdout is data, import hygiene."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import invoke, needs_tiktoken_cache, run_costctl


def test_help_and_version():
    result = run_costctl("--help")
    assert result.exit_code == 0
    for command in ("estimate", "audit", "attribute", "breakeven", "pricing", "report"):
        assert command in result.stdout
    assert "Exit codes" in result.stdout
    assert run_costctl("--version").stdout.startswith("costctl ")


def test_estimate_known_usage_json():
    result = invoke(
        "estimate",
        "-m",
        "gpt-4o-mini",
        "--input-tokens",
        "1400000000",
        "--output-tokens",
        "800000000",
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["total_usd"] == "690" or data["total_usd"] == "690.00" or float(data["total_usd"]) == 690
    assert data["input_tokens_exact"] is True


def test_estimate_every_format_runs():
    for fmt in ("table", "json", "csv", "markdown"):
        result = invoke(
            "estimate",
            "-m",
            "gpt-4o,claude-haiku-4-5",
            "--input-tokens",
            "1000",
            "--output-tokens",
            "10",
            "-f",
            fmt,
        )
        assert result.exit_code == 0, (fmt, result.stderr)
        assert "gpt-4o" in result.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-m", "gpt-4o-mnii", "--input-tokens", "1"], "did you mean 'gpt-4o-mini'"),
        (["-m", "gpt-4o", "--input-tokens", "-5"], "must not be negative"),
        (["-m", "gpt-4o", "--input-tokens", "10", "--cached-input-tokens", "20"], "exceed input"),
        (["-m", "gpt-4o", "--input-tokens", "1", "--at", "23/11/2026"], "expected a date"),
    ],
)
def test_estimate_bad_input_one_line_exit_2(args, needle):
    result = invoke("estimate", *args)
    assert result.exit_code == 2
    assert needle in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_non_integer_tokens_exit_2():
    result = run_costctl("estimate", "-m", "gpt-4o", "--input-tokens", "1.5")
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_missing_batch_price_exits_3(catalog):
    model = next(m for m in catalog if m.kind == "chat" and m.current.batch is None)
    result = invoke("estimate", "-m", model.id, "--input-tokens", "10", "--batch")
    assert result.exit_code == 3 and "batch" in result.stderr


@needs_tiktoken_cache
def test_estimate_text_exact_on_openai_approximate_on_claude():
    result = invoke(
        "estimate",
        "--text",
        "Explain vector databases.",
        "-m",
        "gpt-4.1-mini,claude-haiku-4-5",
        "--output-tokens",
        "200",
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    rows = {r["model"]: r for r in result.json()["results"]}
    assert rows["gpt-4.1-mini"]["input_tokens_exact"] is True
    # 4 tokens of text + 3 per message + 3 reply priming (o200k_base)
    assert rows["gpt-4.1-mini"]["input_tokens"] == 11
    assert rows["claude-haiku-4-5"]["input_tokens_exact"] is False


def test_offline_without_encoding_notes_once_and_approximates(tmp_path):
    env = {
        "TIKTOKEN_CACHE_DIR": str(tmp_path),
        "COSTCTL_ALLOW_DOWNLOAD": "0",
        "COSTCTL_CACHE_DIR": str(tmp_path / "cache"),
        "TMPDIR": str(tmp_path),  # tiktoken's default folder is <tmp>/data-gym-cache
    }
    result = run_costctl(
        "estimate", "--text", "hello world " * 50, "-m", "gpt-4o,gpt-4o-mini", "-f", "json", env=env
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("is not on this machine") == 1 and "costctl tokens fetch" in result.stderr
    assert all(r["input_tokens_exact"] is False for r in result.json()["results"])


def test_pricing_commands():
    assert invoke("pricing", "list", "-f", "json").json()["models"]
    show = invoke("pricing", "show", "gpt-4o-mini-2024-07-18", "-f", "json").json()
    assert show["id"] == "gpt-4o-mini" and show["token_count"] == "exact"
    assert invoke("pricing", "validate").exit_code == 0


def test_pricing_check_against_genai_prices_lists_differences(tmp_path):
    data = [
        {
            "id": "openai",
            "models": [
                {
                    "id": "gpt-4o",
                    "match": {"equals": "gpt-4o"},
                    "prices": {"input_mtok": 9, "output_mtok": 10},
                }
            ],
        }
    ]
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = invoke("pricing", "check", "--against", str(path), "-f", "json")
    assert result.exit_code == 1
    diffs = result.json()["differences"]
    assert diffs == [
        {
            "model": "gpt-4o",
            "field": "input",
            "ours_usd_per_mtok": "2.50",
            "theirs_usd_per_mtok": "9.00",
            "theirs_key": "openai:gpt-4o.input_mtok",
            "source": "costctl",
            "explanation": None,
        }
    ]
    # the same data as genai-prices' package export
    path.write_text(json.dumps({"providers": data}), encoding="utf-8")
    again = invoke("pricing", "check", "--against", str(path), "-f", "json")
    assert again.exit_code == 1 and again.json()["differences"] == diffs


def test_pricing_check_against_litellm(tmp_path):
    data = {
        "gpt-4o-mini": {
            "litellm_provider": "openai",
            "input_cost_per_token": 1.5e-07,
            "output_cost_per_token": 6e-07,
        }
    }
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = invoke("pricing", "check", "--against", str(path), "-f", "json")
    assert result.exit_code == 0, result.stdout
    assert result.json()["compared_models"] == 1


@pytest.mark.parametrize(
    "argv", [["--help"], ["estimate", "-m", "gpt-4o", "--input-tokens", "10", "--output-tokens", "5"]]
)
def test_fast_paths_import_no_heavy_libraries(argv):
    code = (
        "import sys\nfrom costctl.cli.app import app\n"
        f"try:\n    app({argv!r})\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('duckdb', 'pandas', 'jinja2', 'pyspark') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY []" in proc.stderr, proc.stderr


@needs_tiktoken_cache
def test_encoding_from_cached_ranks_is_identical_to_tiktoken(tmp_path, monkeypatch):
    import tiktoken

    from costctl.tokens.counting import _encoding_with_cached_ranks

    monkeypatch.setenv("COSTCTL_CACHE_DIR", str(tmp_path))
    text = "Hello wörld <|endoftext|> 日本語 def f(x): return x**2\n" * 20
    for name in ("o200k_base", "cl100k_base"):
        first = _encoding_with_cached_ranks(name)  # decodes and writes the cache
        second = _encoding_with_cached_ranks(name)  # reads it
        reference = tiktoken.get_encoding(name)
        assert first.encode(text, disallowed_special=()) == reference.encode(text, disallowed_special=())
        assert second.encode(text, disallowed_special=()) == reference.encode(text, disallowed_special=())
        assert second.n_vocab == reference.n_vocab
    assert len(list(tmp_path.glob("bpe-*.pickle"))) == 2


def test_output_file_gets_the_usual_mode_and_no_temporary_is_left(tmp_path):
    import os
    import stat

    out = tmp_path / "est.json"
    result = invoke("estimate", "-m", "gpt-4o", "--input-tokens", "10", "-f", "json", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["est.json"]


def test_output_to_a_missing_directory_is_one_line_and_writes_nothing(tmp_path):
    result = invoke(
        "estimate", "-m", "gpt-4o", "--input-tokens", "10", "-o", str(tmp_path / "nope" / "x.txt")
    )
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert not (tmp_path / "nope").exists()
