"""The guard's shared ledger: one row per guarded request, one counter row per cap bucket.

Two backends with one schema and one protocol:
- SQLite (the default, a local file): WAL journal, every write in `BEGIN IMMEDIATE`, so the check of every cap
  and the add to every cap happen under one write lock; safe for many processes on one machine, no server.
- PostgreSQL (`postgresql://…`, the postgres extra: `pip install '.[postgres]'`): the check of every cap and the add to
  every cap are ONE statement (the buckets locked in a fixed order with `FOR UPDATE`, then updated only
  when all of them fit), for a fleet of gateway processes on several machines.

Amounts in the counters are integer picodollars (`*_pusd`, 1e-12 USD): exact for every published per-token
rate, summable in SQL on both backends. A worst case is rounded up to the next picodollar, a hard limit
down, so rounding never admits a request the exact amounts would refuse. The exact Decimal amounts are kept
as text beside them in each request row.

Accounting (what the concurrency tests check): for every bucket,
    reserved_pusd = sum of reserved_pusd over its rows in state `reserved`;
    spent_pusd    = sum of charged_pusd over its rows (actual cost once settled; the worst case once
                    expired under `on_expiry: charge`; 0 while reserved or when released).
A row moves reserved -> settled | expired (and expired -> settled when the usage arrives late) in one
transaction each, so a process killed anywhere leaves every counter consistent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

from costctl.errors import CostctlError, InputError
from costctl.models import Usage

SCHEMA_VERSION = "1"
PICO = Decimal(10) ** 12
DEFAULT_LEDGER = "costctl-budget.sqlite"
BUSY_TIMEOUT_S = 30.0
SWEEP_EVERY_US = 1_000_000  # a check looks for expired reservations at most once a second per process

REQUEST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("request_id", "TEXT PRIMARY KEY"),
    ("ts_us", "BIGINT NOT NULL"),  # request time, microseconds since the epoch (UTC)
    ("state", "TEXT NOT NULL"),  # reserved | settled | expired | rejected
    ("decision", "TEXT NOT NULL"),  # allow | fallback | reject
    ("model", "TEXT"),  # model used (NULL on reject)
    ("model_requested", "TEXT NOT NULL"),
    ("input_tokens", "BIGINT NOT NULL"),  # counted before the call
    ("max_tokens", "BIGINT NOT NULL"),
    ("reserved_usd", "TEXT NOT NULL"),  # exact worst case of the model used (of the requested one on reject)
    ("reserved_pusd", "BIGINT NOT NULL"),
    ("charged_pusd", "BIGINT NOT NULL"),  # what this row adds to its buckets' spent_pusd now
    ("expires_us", "BIGINT"),
    ("holds", "TEXT NOT NULL"),  # JSON list of bucket ids the reservation holds
    ("user_id", "TEXT"),
    ("feature", "TEXT"),
    ("team", "TEXT"),
    ("api_key", "TEXT"),
    ("tags", "TEXT"),  # JSON object
    ("reasons", "TEXT"),  # JSON list: why a model was refused, soft warnings
    ("actual_input_tokens", "BIGINT"),
    ("cached_input_tokens", "BIGINT"),
    ("cache_write_5m_tokens", "BIGINT"),
    ("cache_write_1h_tokens", "BIGINT"),
    ("output_tokens", "BIGINT"),
    ("reasoning_tokens", "BIGINT"),
    ("actual_usd", "TEXT"),
    ("settled_us", "BIGINT"),
)
BUCKET_COLUMNS: tuple[tuple[str, str], ...] = (
    ("bucket", "TEXT PRIMARY KEY"),  # cap|period|key value
    ("cap", "TEXT NOT NULL"),
    ("period", "TEXT NOT NULL"),  # 2026-12-02 or 2026-12
    ("key_value", "TEXT NOT NULL"),
    ("hard_pusd", "BIGINT"),
    ("spent_pusd", "BIGINT NOT NULL"),
    ("reserved_pusd", "BIGINT NOT NULL"),
    ("requests", "BIGINT NOT NULL"),
)


def ddl(table_options: str = "") -> tuple[str, ...]:
    """The schema; SQLite stores both tables by their primary key (`WITHOUT ROWID`: one b-tree, not a table
    plus a key index, so a check writes fewer pages)."""
    return (
        "CREATE TABLE IF NOT EXISTS budget_requests ("
        + ", ".join(f"{n} {t}" for n, t in REQUEST_COLUMNS)
        + ")"
        + table_options,
        "CREATE TABLE IF NOT EXISTS budget_buckets ("
        + ", ".join(f"{n} {t}" for n, t in BUCKET_COLUMNS)
        + ")"
        + table_options,
        "CREATE TABLE IF NOT EXISTS budget_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        # only open reservations are indexed: the expiry sweep reads this index alone
        "CREATE INDEX IF NOT EXISTS budget_open ON budget_requests (expires_us) WHERE state = 'reserved'",
    )


_INSERT_COLS = tuple(n for n, _ in REQUEST_COLUMNS[:19])
_INSERT_SQL = (
    f"INSERT INTO budget_requests ({', '.join(_INSERT_COLS)}) VALUES ({', '.join('?' * len(_INSERT_COLS))})"  # noqa: S608 (identifiers are ours, values bound)
)


class LedgerError(CostctlError):
    """The ledger cannot be opened or used (wrong file, server unreachable, missing driver)."""


class DuplicateRequestError(InputError):
    """A request id the ledger holds already (ids given by the caller must be unique)."""

    def __init__(self) -> None:
        super().__init__(
            "request_id: this id is in the ledger already; give each request its own id (or none)"
        )


class NotReservedError(InputError):
    """`record` for a request the ledger does not hold as reserved or expired."""


def to_pusd(amount: Decimal, *, up: bool = True) -> int:
    return int((amount * PICO).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR))


def from_pusd(amount: int) -> Decimal:
    value = Decimal(amount).scaleb(-12).normalize()
    return value if value.as_tuple().exponent <= 0 else value.quantize(Decimal(1))  # type: ignore[operator]


def new_request_id(ts_us: int) -> str:
    """32 hex digits: the time in microseconds, then 72 random bits. Ids sort by time, so a ledger's primary key
    grows at its end (good locality in both backends) and reads in time order without another index."""
    return f"{ts_us:014x}{os.urandom(9).hex()}"


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MICROSECOND = dt.timedelta(microseconds=1)


def epoch_us(when: dt.datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return (when - _EPOCH) // _MICROSECOND  # exact integer arithmetic on timedelta, no float


def from_epoch_us(value: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=value)


@dataclass(frozen=True)
class Hold:
    """One cap bucket a request is checked and reserved against."""

    cap: str
    period: str
    key_value: str
    hard_pusd: int | None
    bucket: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "bucket", f"{self.cap}|{self.period}|{self.key_value}")


@dataclass(frozen=True)
class BucketState:
    bucket: str
    cap: str
    period: str
    key_value: str
    hard_pusd: int | None
    spent_pusd: int
    reserved_pusd: int
    requests: int


@dataclass
class Reservation:
    """A guarded request as the ledger stores it when it is decided."""

    request_id: str
    ts_us: int
    decision: str
    model: str | None
    model_requested: str
    input_tokens: int
    max_tokens: int
    reserved_usd: Decimal
    expires_us: int | None
    holds: Sequence[Hold] = ()
    user_id: str | None = None
    feature: str | None = None
    team: str | None = None
    api_key: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def reserved_pusd(self) -> int:
        return to_pusd(self.reserved_usd)

    def values(self, state: str) -> list[Any]:
        return [
            self.request_id,
            self.ts_us,
            state,
            self.decision,
            self.model,
            self.model_requested,
            self.input_tokens,
            self.max_tokens,
            f"{self.reserved_usd:f}",
            self.reserved_pusd,  # kept after settle / expiry; held only while the state is `reserved`
            0,
            self.expires_us,
            json.dumps(sorted(h.bucket for h in self.holds)),
            self.user_id,
            self.feature,
            self.team,
            self.api_key,
            json.dumps(self.tags, sort_keys=True) if self.tags else None,
            json.dumps(self.reasons) if self.reasons else None,
        ]


@dataclass(frozen=True)
class ReserveOutcome:
    admitted: bool
    buckets: tuple[BucketState, ...]  # after the add when admitted, as found when not


@dataclass(frozen=True)
class SettleOutcome:
    previous_state: str  # reserved | expired
    charged_before_pusd: int


class Ledger:
    """The protocol both backends implement; SQL is shared, `?` placeholders (PostgreSQL maps them)."""

    location: str
    backend: str
    _next_sweep_us = 0
    _table_options = ""

    # -- transactions, provided by the backend
    def _begin(self) -> None:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        raise NotImplementedError

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> Any:
        raise NotImplementedError

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def _check_and_add(
        self, buckets: list[str], amount: int, row: list[Any], found: list[BucketState]
    ) -> tuple[bool, list[BucketState]]:
        """The reservation: add `amount` to every bucket and insert the request row, or do nothing when any
        bucket's hard limit would be crossed. `found`: the buckets as read in this transaction. Returns
        (admitted, the buckets after it)."""
        raise NotImplementedError

    def _add_to_buckets(self, buckets: list[str], reserved_delta: int, spent_delta: int) -> None:
        raise NotImplementedError

    def _lock_row(self, *, skip_locked: bool = False) -> str:
        return ""  # SQLite: BEGIN IMMEDIATE already excludes every other writer

    # PostgreSQL sweeps expired reservations in a transaction of its own, so a reservation locks only its
    # own buckets, in order (no deadlock between a sweep and a reservation); SQLite serialises writers anyway.
    _sweep_apart = False

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _transaction(self, work: Any) -> Any:
        self._begin()
        try:
            result = work()
        except BaseException:
            self._rollback()
            raise
        self._commit()
        return result

    # -- the operations

    def reserve(self, reservation: Reservation, *, now_us: int, charge_expired: bool) -> ReserveOutcome:
        """Atomically: expire stale reservations, then add the worst case to every bucket, or to none when
        any hard limit would be crossed; the request row is written only when admitted."""
        holds = sorted(reservation.holds, key=lambda h: h.bucket)
        names = [h.bucket for h in holds]
        row = reservation.values("reserved")
        amount: int = row[9]  # reserved_pusd, rounded up once

        sweep = now_us >= self._next_sweep_us
        if sweep:  # at most once a second per process: the probe is a query of its own
            self._next_sweep_us = now_us + SWEEP_EVERY_US
        if sweep and self._sweep_apart and self._anything_expired(now_us):
            self.expire(now_us=now_us, charge=charge_expired)

        def work() -> ReserveOutcome:
            if sweep and not self._sweep_apart:
                self._expire(now_us, charge_expired)
            if not holds:
                self._exec(_INSERT_SQL, row)
                return ReserveOutcome(True, ())
            found = {b.bucket: b for b in self._buckets_named(names)}
            missing = [h for h in holds if h.bucket not in found]
            if missing:
                self._many(
                    "INSERT INTO budget_buckets VALUES (?, ?, ?, ?, ?, 0, 0, 0) ON CONFLICT (bucket) DO NOTHING",
                    [[h.bucket, h.cap, h.period, h.key_value, h.hard_pusd] for h in missing],
                )
            current = []
            for h in holds:
                state = found.get(h.bucket) or BucketState(
                    h.bucket, h.cap, h.period, h.key_value, h.hard_pusd, 0, 0, 0
                )
                if state.hard_pusd != h.hard_pusd:  # a policy edit changes the limit of the current buckets
                    self._exec(
                        "UPDATE budget_buckets SET hard_pusd = ? WHERE bucket = ?", [h.hard_pusd, h.bucket]
                    )
                    state = dataclasses.replace(state, hard_pusd=h.hard_pusd)
                current.append(state)
            admitted, states = self._check_and_add(names, amount, row, current)
            return ReserveOutcome(admitted, tuple(states))

        outcome: ReserveOutcome = self._retry(work)
        return outcome

    def reject(self, reservation: Reservation) -> None:
        """Keep a rejected request in the ledger (it holds nothing)."""
        self._retry(
            lambda: self._exec(
                f"INSERT INTO budget_requests ({', '.join(_INSERT_COLS)}) VALUES ({', '.join('?' * len(_INSERT_COLS))})",  # noqa: S608 (identifiers are ours, values bound)
                reservation.values("rejected"),
            )
        )

    def settle(self, request_id: str, usage: Usage, actual_usd: Decimal, *, now_us: int) -> SettleOutcome:
        """Replace a reservation (or an expired one's charge) with the actual cost, in one transaction."""
        actual = to_pusd(actual_usd)

        values = [
            actual,
            usage.input_tokens,
            usage.cached_input_tokens,
            usage.cache_write_5m_tokens,
            usage.cache_write_1h_tokens,
            usage.output_tokens,
            usage.reasoning_tokens,
            f"{actual_usd:f}",
            now_us,
            request_id,
        ]
        settle_sql = (
            "UPDATE budget_requests SET state = 'settled', charged_pusd = ?, actual_input_tokens = ?,"
            " cached_input_tokens = ?, cache_write_5m_tokens = ?, cache_write_1h_tokens = ?, output_tokens = ?,"
            " reasoning_tokens = ?, actual_usd = ?, settled_us = ? WHERE request_id = ? AND state = ?"
            " RETURNING reserved_pusd, holds"
        )

        def work() -> SettleOutcome:
            # the usual case in one statement: a reservation still open (it holds its worst case, charges 0)
            row = self._exec(settle_sql, [*values, "reserved"]).fetchone()
            if row is not None:
                holds = json.loads(row[1])
                if holds:
                    self._add_to_buckets(sorted(holds), -int(row[0]), actual)
                return SettleOutcome("reserved", 0)
            found = self._exec(
                "SELECT state, charged_pusd, holds FROM budget_requests WHERE request_id = ?"  # noqa: S608 (a fixed lock clause)
                + self._lock_row(),
                [request_id],
            ).fetchone()
            if found is None:
                raise NotReservedError(f"request {request_id!r} is not in the ledger")
            state, charged, holds = found[0], int(found[1]), json.loads(found[2])
            if state != "expired":
                raise NotReservedError(f"request {request_id!r} is {state}; it can be recorded only once")
            self._exec(settle_sql, [*values, "expired"]).fetchone()
            if holds:  # an expired reservation holds nothing; its charge (if any) becomes the actual cost
                self._add_to_buckets(sorted(holds), 0, actual - charged)
            return SettleOutcome("expired", charged)

        result: SettleOutcome = self._retry(work)
        return result

    def _anything_expired(self, now_us: int) -> bool:
        found = self._exec(
            "SELECT 1 FROM budget_requests WHERE state = 'reserved' AND expires_us < ? LIMIT 1", [now_us]
        ).fetchone()
        return found is not None

    def expire(self, *, now_us: int, charge: bool) -> int:
        """Expire every reservation whose time has passed; how many."""
        count: int = self._retry(lambda: self._expire(now_us, charge))
        return count

    def _expire(self, now_us: int, charge: bool) -> int:
        rows = self._exec(
            "SELECT request_id, reserved_pusd, holds FROM budget_requests"  # noqa: S608 (a fixed lock clause)
            " WHERE state = 'reserved' AND expires_us < ?" + self._lock_row(skip_locked=True),
            [now_us],
        ).fetchall()
        if not rows:
            return 0
        per_bucket: dict[str, int] = {}
        for request_id, reserved, holds in rows:
            self._exec(
                "UPDATE budget_requests SET state = 'expired', charged_pusd = ? WHERE request_id = ?",
                [int(reserved) if charge else 0, request_id],
            )
            for bucket in json.loads(holds):
                per_bucket[bucket] = per_bucket.get(bucket, 0) + int(reserved)
        for bucket in sorted(per_bucket):
            amount = per_bucket[bucket]
            self._exec(
                "UPDATE budget_buckets SET reserved_pusd = reserved_pusd - ?, spent_pusd = spent_pusd + ?"
                " WHERE bucket = ?",
                [amount, amount if charge else 0, bucket],
            )
        return len(rows)

    def row(self, request_id: str) -> dict[str, Any] | None:
        """One request row by id, or None."""
        names = [n for n, _ in REQUEST_COLUMNS]
        found = self._exec(
            f"SELECT {', '.join(names)} FROM budget_requests WHERE request_id = ?",  # noqa: S608 (identifiers are ours, values bound)
            [request_id],
        ).fetchone()
        return None if found is None else dict(zip(names, found, strict=True))

    def buckets_named(self, names: list[str]) -> list[BucketState]:
        return self._buckets_named(names)

    def _buckets_named(self, names: list[str]) -> list[BucketState]:
        if not names:
            return []
        marks = ", ".join("?" * len(names))
        rows = self._exec(
            f"SELECT {', '.join(n for n, _ in BUCKET_COLUMNS)} FROM budget_buckets WHERE bucket IN ({marks})"  # noqa: S608 (identifiers are ours, values bound)
            " ORDER BY bucket",
            names,
        ).fetchall()
        return [_bucket(r) for r in rows]

    def buckets(self, periods: Sequence[str] | None = None) -> list[BucketState]:
        """Bucket counters, all or those of some periods (e.g. today and this month)."""
        sql = f"SELECT {', '.join(n for n, _ in BUCKET_COLUMNS)} FROM budget_buckets"  # noqa: S608 (identifiers are ours)
        params: list[Any] = []
        if periods:
            sql += f" WHERE period IN ({', '.join('?' * len(periods))})"
            params = list(periods)
        return [_bucket(r) for r in self._exec(sql + " ORDER BY cap, period, key_value", params).fetchall()]

    def rows(self, *, since_us: int | None = None) -> Iterator[dict[str, Any]]:
        """Every request row in request-id order (time order for the ids the guard makes), as a dict."""
        names = [n for n, _ in REQUEST_COLUMNS]
        sql = f"SELECT {', '.join(names)} FROM budget_requests"  # noqa: S608 (identifiers are ours)
        params: list[Any] = []
        if since_us is not None:
            sql += " WHERE ts_us >= ?"
            params.append(since_us)
        # request ids the guard makes start with the time, so their order is time order
        cursor = self._exec(sql + " ORDER BY request_id", params)
        while batch := cursor.fetchmany(5000):
            for r in batch:
                yield dict(zip(names, r, strict=True))

    def _retry(self, work: Any) -> Any:
        return self._transaction(work)

    def _create_schema(self) -> None:
        def work() -> None:
            if self.backend == "postgresql":  # concurrent CREATE ... IF NOT EXISTS can collide on PostgreSQL
                self._exec("SELECT pg_advisory_xact_lock(7354101)")
            for statement in ddl(self._table_options):
                self._exec(statement)
            found = self._exec("SELECT value FROM budget_meta WHERE key = 'schema_version'").fetchone()
            if found is None:
                self._exec("INSERT INTO budget_meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
            elif found[0] != SCHEMA_VERSION:
                raise LedgerError(
                    f"ledger schema version {found[0]}, this costctl uses {SCHEMA_VERSION}",
                    where=self.location,
                )

        self._transaction(work)


def added(b: BucketState, amount: int) -> BucketState:
    """A bucket after a reservation of `amount` was added to it."""
    return BucketState(
        b.bucket,
        b.cap,
        b.period,
        b.key_value,
        b.hard_pusd,
        b.spent_pusd,
        b.reserved_pusd + amount,
        b.requests + 1,
    )


def _bucket(r: Sequence[Any]) -> BucketState:
    return BucketState(
        bucket=r[0],
        cap=r[1],
        period=r[2],
        key_value=r[3],
        hard_pusd=None if r[4] is None else int(r[4]),
        spent_pusd=int(r[5]),
        reserved_pusd=int(r[6]),
        requests=int(r[7]),
    )


# ---------------------------------------------------------------- SQLite


class SqliteLedger(Ledger):
    backend = "sqlite"
    _table_options = " WITHOUT ROWID"

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        db = Path(path)
        self.location = str(db)
        if not create and not db.exists():
            raise InputError("no budget ledger here (a guard creates it on its first check)", where=str(db))
        if create and not db.parent.is_dir():
            raise InputError("directory does not exist", where=str(db))
        if sqlite3.sqlite_version_info < (3, 35):
            raise LedgerError(
                f"a budget ledger needs SQLite 3.35 or later, this Python has {sqlite3.sqlite_version}"
            )
        try:
            # autocommit: every write is our own BEGIN IMMEDIATE ... COMMIT
            self.con = sqlite3.connect(str(db), timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self.con.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL: a commit survives a killed process (kill -9); only power loss can drop the last ones
            self.con.execute("PRAGMA synchronous = NORMAL")
            self._create_schema()
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"cannot open as a budget ledger ({exc})", where=str(db)) from None

    def _begin(self) -> None:
        self.con.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        self.con.execute("COMMIT")

    def _rollback(self) -> None:
        if self.con.in_transaction:
            self.con.execute("ROLLBACK")

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.con.execute(sql, params)

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.con.executemany(sql, rows)

    def _check_and_add(
        self, buckets: list[str], amount: int, row: list[Any], found: list[BucketState]
    ) -> tuple[bool, list[BucketState]]:
        # Under BEGIN IMMEDIATE this process holds the only write lock since `found` was read: the check and
        # the add are one step.
        fits = all(
            b.hard_pusd is None or b.spent_pusd + b.reserved_pusd + amount <= b.hard_pusd for b in found
        )
        if not fits:
            return False, found
        self.con.execute(
            "UPDATE budget_buckets SET reserved_pusd = reserved_pusd + ?, requests = requests + 1"  # noqa: S608 (placeholders only)
            f" WHERE bucket IN ({', '.join('?' * len(buckets))})",
            [amount, *buckets],
        )
        self.con.execute(_INSERT_SQL, row)
        return True, [added(b, amount) for b in found]

    def _add_to_buckets(self, buckets: list[str], reserved_delta: int, spent_delta: int) -> None:
        self.con.execute(
            "UPDATE budget_buckets SET reserved_pusd = reserved_pusd + ?, spent_pusd = spent_pusd + ?"  # noqa: S608 (placeholders only)
            f" WHERE bucket IN ({', '.join('?' * len(buckets))})",
            [reserved_delta, spent_delta, *buckets],
        )

    def _retry(self, work: Any) -> Any:
        try:
            return self._transaction(work)
        except sqlite3.IntegrityError as exc:
            if "budget_requests" in str(exc):
                raise DuplicateRequestError() from None
            raise
        except sqlite3.OperationalError as exc:
            raise LedgerError(f"ledger busy or unwritable ({exc})", where=self.location) from None

    def close(self) -> None:
        self.con.close()


# ---------------------------------------------------------------- PostgreSQL

# The reservation in one statement: lock the buckets in a fixed order, decide, then add to all of them and
# insert the request row, or do neither. The bucket locks are held only until the COMMIT that follows.
_PG_CHECK_AND_ADD_TEMPLATE = """
WITH locked AS (
    SELECT bucket, cap, period, key_value, hard_pusd, spent_pusd, reserved_pusd, requests FROM budget_buckets
    WHERE bucket = ANY(%(buckets)s) ORDER BY bucket FOR UPDATE
), verdict AS (
    SELECT coalesce(bool_and(hard_pusd IS NULL OR spent_pusd + reserved_pusd + %(amount)s <= hard_pusd), TRUE)
        AS fits
    FROM locked
), added AS (
    UPDATE budget_buckets b SET reserved_pusd = b.reserved_pusd + %(amount)s, requests = b.requests + 1
    WHERE b.bucket = ANY(%(buckets)s) AND (SELECT fits FROM verdict)
    RETURNING b.bucket
), inserted AS (
    INSERT_SELECT WHERE (SELECT fits FROM verdict)
    RETURNING 1
)
SELECT l.*, v.fits, (SELECT count(*) FROM added), (SELECT count(*) FROM inserted)
FROM locked l CROSS JOIN verdict v ORDER BY l.bucket
"""
_PG_INSERT_SELECT = f"INSERT INTO budget_requests ({', '.join(_INSERT_COLS)}) SELECT {', '.join(f'%(c{i})s' for i in range(len(_INSERT_COLS)))}"  # noqa: S608 (identifiers are ours, values bound)
_PG_CHECK_AND_ADD = _PG_CHECK_AND_ADD_TEMPLATE.replace("INSERT_SELECT", _PG_INSERT_SELECT)
# Bucket deltas of a settle or expiry: lock in the fixed order first, then update (no deadlock between two).
_PG_ADD_TO_BUCKETS = """
WITH locked AS (SELECT bucket FROM budget_buckets WHERE bucket = ANY(%(buckets)s) ORDER BY bucket FOR UPDATE)
UPDATE budget_buckets b SET reserved_pusd = b.reserved_pusd + %(reserved)s, spent_pusd = b.spent_pusd + %(spent)s
FROM locked l WHERE b.bucket = l.bucket
"""


class PostgresLedger(Ledger):
    backend = "postgresql"
    _sweep_apart = True

    def __init__(self, url: str) -> None:
        self.location = _redact(url)
        try:
            import psycopg
        except ImportError:
            raise LedgerError(
                "a PostgreSQL ledger needs psycopg: pip install '.[postgres]' in a checkout, or pip install psycopg",
                where=self.location,
            ) from None
        self._psycopg = psycopg
        try:
            self.con = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise LedgerError(f"cannot connect ({first})", where=self.location) from None
        self._cursor: Any = None
        self._create_schema()

    def _begin(self) -> None:
        self._cursor = self.con.cursor()
        self._cursor.execute("BEGIN")

    def _commit(self) -> None:
        self._cursor.execute("COMMIT")

    def _rollback(self) -> None:
        try:
            self.con.execute("ROLLBACK")
        except self._psycopg.Error:
            pass

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cur = self._cursor or self.con.cursor()
        cur.execute(sql.replace("?", "%s"), list(params))
        return cur

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        cur = self._cursor or self.con.cursor()
        cur.executemany(sql.replace("?", "%s"), [list(r) for r in rows])

    def _lock_row(self, *, skip_locked: bool = False) -> str:
        return " FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE"

    def _check_and_add(
        self, buckets: list[str], amount: int, row: list[Any], found: list[BucketState]
    ) -> tuple[bool, list[BucketState]]:
        # `found` was read without a lock; the statement locks, re-reads and decides itself
        params: dict[str, Any] = {"buckets": buckets, "amount": amount}
        params.update({f"c{i}": v for i, v in enumerate(row)})
        locked = self._cursor.execute(_PG_CHECK_AND_ADD, params).fetchall()
        fits = bool(locked[0][8]) if locked else True
        count = int(locked[0][9]) if locked else 0
        if len(locked) != len(buckets) or (fits and count != len(buckets)):
            # a bucket row missing: never admit on a partial add
            raise LedgerError(
                f"reservation found {len(locked)} of {len(buckets)} buckets", where=self.location
            )
        states = [_bucket(r[:8]) for r in locked]
        if fits:
            states = [added(b, amount) for b in states]
        return fits, states

    def _add_to_buckets(self, buckets: list[str], reserved_delta: int, spent_delta: int) -> None:
        self._cursor.execute(
            _PG_ADD_TO_BUCKETS, {"buckets": buckets, "reserved": reserved_delta, "spent": spent_delta}
        )

    def _retry(self, work: Any) -> Any:
        errors = self._psycopg.errors
        for attempt in range(20):
            try:
                return self._transaction(work)
            except (errors.DeadlockDetected, errors.SerializationFailure, errors.UniqueViolation) as exc:
                # UniqueViolation: two first requests created the same new bucket at once; try again
                if isinstance(exc, errors.UniqueViolation) and "budget_requests" in str(exc):
                    raise DuplicateRequestError() from None
                if isinstance(exc, errors.UniqueViolation) and "budget_buckets" not in str(exc):
                    raise
                time.sleep(0.001 * (attempt + 1))
            except self._psycopg.OperationalError as exc:
                raise LedgerError(f"ledger connection failed ({exc})", where=self.location) from None
            finally:
                self._cursor = None
        raise LedgerError("ledger too contended: 20 attempts deadlocked", where=self.location)

    def close(self) -> None:
        self.con.close()


def _redact(url: str) -> str:
    """The URL without its password, for messages and source names."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def is_url(spec: str) -> bool:
    return spec.startswith(("postgresql://", "postgres://"))


def open_ledger(spec: str | Path, *, create: bool = True) -> Ledger:
    """A ledger from a path (SQLite) or a `postgresql://` URL."""
    text = str(spec)
    if is_url(text):
        return PostgresLedger(text)
    if "://" in text:
        raise InputError(
            f"--ledger: {text.split('://', 1)[0]!r} is not a ledger scheme, expected a file path or postgresql://…"
        )
    return SqliteLedger(Path(text), create=create)
