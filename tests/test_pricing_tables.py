"""Price-table validation: every bad input is one clear line and exit 2; the bundled tables are sound."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from conftest import invoke

from costctl.errors import PricingError
from costctl.pricing.catalog import load_catalog

GOOD = """\
schema: costctl/pricing@1
provider: acme
source_url: https://acme.example/pricing
checked: 2026-11-01
models:
  - id: acme-1
    aliases: [acme-1-2026-01-01, acme/acme-1]
    tokenizer: approx:generic
    prices:
      - from: 2026-01-01
        input_usd_per_mtok: 1
        output_usd_per_mtok: 2
"""


def write(tmp_path: Path, text: str, name: str = "acme.yaml") -> Path:
    (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_good_table_loads(tmp_path):
    cat = load_catalog(write(tmp_path, GOOD))
    assert cat.get("ACME/acme-1").id == "acme-1"
    assert cat.get("acme-1-2026-01-01").id == "acme-1"


BAD = {
    "malformed yaml": (GOOD.replace("models:", "models: [\n"), "malformed YAML"),
    "unknown key": (
        GOOD.replace("    tokenizer:", "    colour: red\n    tokenizer:"),
        "unknown key 'colour'",
    ),
    "missing required price": (
        GOOD.replace("        output_usd_per_mtok: 2\n", ""),
        "missing required price 'output_usd_per_mtok'",
    ),
    "non-numeric price": (
        GOOD.replace("input_usd_per_mtok: 1", "input_usd_per_mtok: cheap"),
        "must be a number, got 'cheap'",
    ),
    "negative price": (
        GOOD.replace("input_usd_per_mtok: 1", "input_usd_per_mtok: -1"),
        "must not be negative",
    ),
    "overlapping periods": (
        GOOD.replace(
            "        output_usd_per_mtok: 2\n",
            "        output_usd_per_mtok: 2\n        to: 2026-06-01\n      - from: 2026-03-01\n        input_usd_per_mtok: 1\n        output_usd_per_mtok: 2\n",
        ),
        "overlap",
    ),
    "duplicate alias": (
        GOOD
        + "  - id: acme-2\n    aliases: [acme-1-2026-01-01]\n    tokenizer: approx:generic\n    prices:\n      - input_usd_per_mtok: 1\n        output_usd_per_mtok: 1\n",
        "already used",
    ),
    "duplicate id": (
        GOOD
        + "  - id: acme-1\n    tokenizer: approx:generic\n    prices:\n      - input_usd_per_mtok: 1\n        output_usd_per_mtok: 1\n",
        "duplicate model id",
    ),
    "bad date": (GOOD.replace("from: 2026-01-01", "from: 01/02/2026"), "must be a date"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_tables_one_line_exit_2(tmp_path, case):
    text, expected = BAD[case]
    directory = write(tmp_path, text)
    with pytest.raises(PricingError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_catalog(directory)
    result = invoke("pricing", "validate", str(directory))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costctl: error: ") and "acme.yaml" in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_overlay_overrides_only_named_fields(tmp_path):
    base = write(tmp_path / "base" if (tmp_path / "base").mkdir() is None else tmp_path, GOOD)
    overlay = tmp_path / "discount.yaml"
    overlay.write_text(
        "schema: costctl/pricing@1\nmodels:\n  - id: acme-1\n    prices:\n      - from: 2026-01-01\n"
        "        input_usd_per_mtok: 0.8\n        output_usd_per_mtok: 1.6\n",
        encoding="utf-8",
    )
    cat = load_catalog(base, [overlay])
    model = cat.get("acme/acme-1")  # aliases kept from the base table
    assert str(model.current.standard.input) == "0.8"
    assert model.source_url == "https://acme.example/pricing"


def test_bundled_tables_cover_the_headline_models(catalog):
    chat = [m for m in catalog if m.kind == "chat"]
    assert len(chat) >= 40
    assert len({m.provider for m in chat}) >= 6
    for name in [
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "gpt-4o",
        "gpt-4o-mini",
        "o3",
        "o4-mini",
        "gpt-5",
        "gpt-5-mini",
        "claude-haiku-4-5",
        "claude-sonnet-4-5",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "gemini-2.5-flash-lite",
        "text-embedding-3-small",
        "text-embedding-3-large",
        "gpt-4o-mini-2024-07-18",
        "openai/gpt-4o-mini",
        "anthropic/claude-sonnet-4-5",
        "claude-sonnet-4-5-20250929",
    ]:
        assert catalog.find(name) is not None, name
    for model in catalog:
        assert model.source_url.startswith("https://") and model.checked <= dt.date(2026, 12, 31)


def test_o3_price_history(catalog):
    o3 = catalog.get("o3")
    assert str(o3.period_at(dt.date(2025, 6, 9)).standard.input) == "10"
    assert str(o3.period_at(dt.date(2025, 6, 10)).standard.input) == "2"


def test_tables_ship_inside_the_wheel(tmp_path):
    import subprocess
    import sys
    import zipfile

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(root),
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot build a wheel offline here: {proc.stderr[-300:]}")
    wheel = next(tmp_path.glob("costctl_llm-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "costctl/_pricing/openai.yaml" in names and "costctl/_pricing/anthropic.yaml" in names


def test_catalog_cache_is_invalidated_by_an_edit(tmp_path):
    import os

    directory = write(tmp_path, GOOD)
    assert str(load_catalog(directory).get("acme-1").current.standard.input) == "1"
    path = directory / "acme.yaml"
    path.write_text(GOOD.replace("input_usd_per_mtok: 1", "input_usd_per_mtok: 1.5"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert str(load_catalog(directory).get("acme-1").current.standard.input) == "1.5"
