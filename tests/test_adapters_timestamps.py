"""The one timestamp parser: epochs by magnitude, ISO 8601 with and without offsets (docs/log-formats.md#traps-handled)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costctl.logs.timestamps import TimestampError, parse_timestamp

UTC = dt.timezone.utc
T = dt.datetime(2025, 1, 24, 9, 20, 46, 847371, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        1737710446.847371,
        "1737710446.847371",
        1737710446847.371,
        1737710446847371,
        "1737710446847371",
        1737710446847371000,
        "1737710446847371000",
        "2025-01-24T09:20:46.847371Z",
        "2025-01-24T09:20:46.847371+00:00",
        "2025-01-24 09:20:46.847371",
        "2025-01-24T01:20:46.847371-08:00",
        "2025-01-24T17:20:46.847371+0800",
        "2025-01-24T10:20:46.847371+01",
        "2025-01-24T09:20:46.847371999Z",
        "2025-01-24t09:20:46,847371z",
    ],
)
def test_every_spelling_of_one_instant(value: object) -> None:
    assert parse_timestamp(value) == T


def test_seconds_milliseconds_and_date_only() -> None:
    assert parse_timestamp(1742500035) == dt.datetime(2025, 3, 20, 19, 47, 15, tzinfo=UTC)
    assert parse_timestamp(1742500035000) == dt.datetime(2025, 3, 20, 19, 47, 15, tzinfo=UTC)
    assert parse_timestamp("2025-03-20") == dt.datetime(2025, 3, 20, tzinfo=UTC)
    assert parse_timestamp("2025-03-20 07:05") == dt.datetime(2025, 3, 20, 7, 5, tzinfo=UTC)


def test_naive_strings_are_utc_and_results_are_aware() -> None:
    parsed = parse_timestamp("2025-01-24 09:20:46")
    assert parsed.tzinfo is not None and parsed.utcoffset() == dt.timedelta(0)
    assert parse_timestamp(dt.datetime(2025, 1, 1)) == dt.datetime(2025, 1, 1, tzinfo=UTC)


def test_nanoseconds_keep_integer_precision() -> None:
    # a float would lose the last digits of a 19-digit nanosecond epoch; ints must not
    assert parse_timestamp(1758026593210770000).microsecond == 210770
    assert parse_timestamp("1758026593210770999").microsecond == 210770


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "",
        "2025-13-01",
        "2025-02-30T00:00:00Z",
        "2025-01-01T25:00:00",
        "2025-01-01T00:00:00+25:00",
        -5,
        True,
        None,
        [1],
        float("nan"),
        float("inf"),
        "12:00",
    ],
)
def test_rejects_name_the_value(value: object) -> None:
    with pytest.raises(TimestampError) as err:
        parse_timestamp(value)
    assert repr(value) in str(err.value) or str(value) in str(err.value)


aware = st.datetimes(
    min_value=dt.datetime(2001, 9, 10), max_value=dt.datetime(2999, 12, 31), timezones=st.just(UTC)
)


@given(aware)
def test_iso_round_trip(when: dt.datetime) -> None:
    assert parse_timestamp(when.isoformat()) == when
    assert parse_timestamp(when.isoformat().replace("+00:00", "Z")) == when
    assert parse_timestamp(when.replace(tzinfo=None).isoformat(sep=" ")) == when


@given(aware, st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_offsets_shift_to_utc(when: dt.datetime, minutes: int) -> None:
    local = when.astimezone(dt.timezone(dt.timedelta(minutes=minutes)))
    assert parse_timestamp(local.isoformat()) == when


@given(aware)
def test_epoch_units_agree(when: dt.datetime) -> None:
    micros = (when - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(microseconds=1)
    seconds = micros // 1_000_000
    assert parse_timestamp(seconds) == when.replace(microsecond=0)
    assert parse_timestamp(micros // 1000) == when.replace(microsecond=(micros % 1_000_000) // 1000 * 1000)
    assert parse_timestamp(micros) == when
    assert parse_timestamp(micros * 1000) == when
    assert parse_timestamp(str(micros * 1000 + 999)) == when
