"""costctl.values: the one home for parsing amounts, shares, counts, dates and months."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from conftest import invoke

from costctl.errors import InputError
from costctl.values import (
    MAX_AMOUNT,
    parse_count,
    parse_date,
    parse_fraction,
    parse_month,
    parse_number,
    parse_percent,
    parse_usd,
)


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("1500", Decimal(1500)),
        ("$1,500.25", Decimal("1500.25")),
        ("1_000", Decimal(1000)),
        (0.1, Decimal("0.1")),
    ],
)
def test_usd_accepts_what_people_type(raw, want):
    assert parse_usd(raw, "--budget") == want


@pytest.mark.parametrize(
    ("parse", "raw", "message"),
    [
        (parse_usd, "lots", "--x: expected an amount in USD"),
        (parse_usd, "-3", "--x: must not be negative"),
        (parse_usd, "1e30", "--x: must be at most"),
        (parse_usd, "NaN", "--x: expected a finite"),
        (parse_usd, True, "--x: expected an amount"),
        (parse_fraction, "1.5", "--x: must be at most 1"),
        (parse_percent, "101%", "--x: must be at most 100"),
        (parse_count, "1.5", "--x: expected a whole number"),
        (parse_count, 10**30, "--x: must be at most"),
        (parse_date, "2026-02-30", "--x: expected a date YYYY-MM-DD"),
        (parse_month, "2026-13", "--x: expected YYYY-MM"),
    ],
)
def test_bad_values_are_one_clear_error(parse, raw, message):
    with pytest.raises(InputError) as err:
        parse(raw, "--x")
    assert err.value.line().startswith(message)


def test_values_in_range():
    assert parse_percent("10%", "--p") == Decimal(10)
    assert parse_fraction("0.25", "--f") == Decimal("0.25")
    assert parse_count(3.0, "n") == 3
    assert parse_number("-2", "n", minimum=None) == Decimal(-2)
    assert parse_number(MAX_AMOUNT, "n") == MAX_AMOUNT
    assert parse_date("2026-03-01T23:30:00-02:00", "--at") == dt.date(2026, 3, 2)  # its UTC date
    assert parse_date(dt.date(2026, 1, 5), "d") == dt.date(2026, 1, 5)
    assert parse_month("2026-10", "--month") == dt.date(2026, 10, 1)


def test_missing_output_tokens_and_empty_prompt_are_said():
    res = invoke("estimate", "-m", "gpt-4o-mini", "--input-tokens", "100")
    assert res.exit_code == 0
    assert "output priced as 0 tokens" in res.stderr
    res = invoke("estimate", "-m", "gpt-4o-mini", "--text", "", "--output-tokens", "5")
    assert res.exit_code == 0
    assert "the prompt is empty" in res.stderr
    quiet = invoke("estimate", "-m", "gpt-4o-mini", "--input-tokens", "100", "--output-tokens", "0")
    assert quiet.stderr == ""


def test_absurd_counts_and_amounts_are_usage_errors():
    res = invoke("estimate", "-m", "gpt-4o-mini", "--input-tokens", str(10**30))
    assert res.exit_code == 2 and "--input-tokens: must be at most" in res.stderr
    res = invoke("estimate", "-m", "gpt-4o-mini", "--text", "hi", "--max-tokens", "10", "--budget", "1e30")
    assert res.exit_code == 2 and "--budget: must be at most" in res.stderr
