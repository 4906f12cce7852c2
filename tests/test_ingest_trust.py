"""attribute ingest never loses, merges or mis-keys a row silently, and says what it did (real DuckDB, real CLI).

One test (or a few) per class of defect: tag rules on every format, content-keyed dedupe, blank ids, CSV
records DuckDB cannot decode, vendor rejects on re-ingest, 64-bit overflow, a full disk, Ctrl-C after the
commit, columns recognised by their common names, `--dry-run`, and a mapping glob that matches nothing.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import resource
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import invoke, run_costctl
from test_attribute_ingest import write_jsonl

from costctl.logs.adapters._common import ReadContext, RecordError, guarded
from costctl.logs.schema import Reject

ROOT = Path(__file__).resolve().parents[1]


def canonical(i: int, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ts": f"2026-10-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
        "model": "gpt-4o-mini",
        "input_tokens": 1000 + i,
        "output_tokens": 100,
        "feature": "chat",
    }
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


def chat_body(i: int, prompt_tokens: int = 10, **kw: Any) -> dict[str, Any]:
    """An OpenAI chat completion response body, a vendor format."""
    return {
        "id": f"chatcmpl-{i}",
        "object": "chat.completion",
        "created": 1790000000 + i,
        "model": "gpt-4o",
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 1, "total_tokens": prompt_tokens + 1},
        **kw,
    }


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def ingest_json(*args: str) -> Any:
    # --reread: these tests read the same file again to check dedupe, rather than skip it as unchanged
    result = invoke("attribute", "ingest", *args, "-f", "json", "--reread")
    assert result.exit_code == 0, result.stderr
    return result.json()


def totals(data: Any) -> tuple[int, int, int, int]:
    t = data["total"]
    assert t["read"] == t["loaded"] + t["rejected"] + t["duplicate"]
    return t["read"], t["loaded"], t["rejected"], t["duplicate"]


def assert_one_error_line(result: Any, *needles: str) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("costctl: error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------- --rules on every format


RULES = """
feature: {value: from-rules}
user_id: {regex: "chatcmpl-(?P<user_id>[0-9]+)", on: record.id}
"""


def test_rules_apply_to_vendor_logs(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    log = write_jsonl(tmp_path / "chat.jsonl", [chat_body(1), chat_body(2)])
    db = tmp_path / "a.duckdb"
    data = ingest_json(str(log), "--rules", str(rules), "--db", str(db))
    assert totals(data) == (2, 2, 0, 0)
    assert query(db, "SELECT feature, user_id FROM requests ORDER BY user_id") == [
        ("from-rules", "1"),
        ("from-rules", "2"),
    ]


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_rules_apply_to_generic_files(tmp_path: Path, kind: str) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "feature: {from: record.route}\nteam: {regex: '^(\\w+)-', on: record.route, default: none}\n"
    )
    rows = [canonical(1, route="search-v2"), canonical(2, route="chat-v1")]
    if kind == "jsonl":
        log = write_jsonl(tmp_path / "app.jsonl", rows)
    else:
        log = tmp_path / "app.csv"
        cols = list(rows[0])
        log.write_text(
            ",".join(cols) + "\n" + "".join(",".join(str(r[c]) for c in cols) + "\n" for r in rows)
        )
    db = tmp_path / "a.duckdb"
    data = ingest_json(str(log), "--rules", str(rules), "--db", str(db))
    assert totals(data) == (2, 2, 0, 0)
    assert query(db, "SELECT feature, team FROM requests ORDER BY feature") == [
        ("chat-v1", "chat"),
        ("search-v2", "search"),
    ]


@pytest.mark.parametrize("content", [None, "feature: {colour: red}\n", "feature: [\n"])
def test_a_missing_or_invalid_rules_file_is_exit_2(tmp_path: Path, content: str | None) -> None:
    rules = tmp_path / "rules.yaml"
    if content is not None:
        rules.write_text(content)
    db = tmp_path / "a.duckdb"
    for log in (
        write_jsonl(tmp_path / "app.jsonl", [canonical(1)]),
        write_jsonl(tmp_path / "chat.jsonl", [chat_body(1)]),
    ):
        result = run_costctl("attribute", "ingest", str(log), "--rules", str(rules), "--db", str(db))
        assert_one_error_line(result, "rules.yaml")
        assert not db.exists()


def test_guarded_rejects_data_errors_and_lets_bugs_crash() -> None:
    ctx = ReadContext(path=Path("x.jsonl"), fmt="test")

    def bad_data(ctx: ReadContext, line: int, record: Any) -> Any:
        raise RecordError("usage.prompt_tokens is 'x', expected a token count")

    def bug(ctx: ReadContext, line: int, record: Any) -> Any:
        return record.no_such_attribute

    assert guarded(ctx, 1, {"a": 1}, bad_data) == Reject("usage.prompt_tokens is 'x', expected a token count")
    with pytest.raises(AttributeError):
        guarded(ctx, 1, {"a": 1}, bug)


def test_no_untyped_callable_at_the_ingest_seams() -> None:
    for path in (ROOT / "src" / "costctl" / "logs").rglob("*.py"):
        assert "Callable[..., Any]" not in path.read_text(encoding="utf-8"), path


# ---------------------------------------------------------------- dedupe follows content


def test_a_rotated_log_without_ids_keeps_its_new_rows(tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    db = tmp_path / "a.duckdb"
    write_jsonl(log, [canonical(i) for i in range(100)])
    assert totals(ingest_json(str(log), "--db", str(db))) == (100, 100, 0, 0)
    write_jsonl(log, [canonical(i, feature="after-rotation") for i in range(120)])
    assert totals(ingest_json(str(log), "--db", str(db))) == (120, 120, 0, 0)
    # an unchanged file adds nothing; an appended one adds only its new lines
    assert totals(ingest_json(str(log), "--db", str(db))) == (120, 0, 0, 120)
    write_jsonl(log, [canonical(i, feature="after-rotation") for i in range(125)])
    assert totals(ingest_json(str(log), "--db", str(db))) == (125, 5, 0, 120)
    # the same log copied elsewhere is the same requests
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(log.read_bytes())
    assert totals(ingest_json(str(copy), "--db", str(db))) == (125, 0, 0, 125)
    assert query(db, "SELECT count(*) FROM requests") == [(225,)]


def test_identical_rows_without_ids_in_one_file_are_all_kept(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "app.jsonl", [canonical(1)] * 3 + [canonical(2)])
    db = tmp_path / "a.duckdb"
    assert totals(ingest_json(str(log), "--db", str(db))) == (4, 4, 0, 0)
    assert totals(ingest_json(str(log), "--db", str(db))) == (4, 0, 0, 4)


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_request_id_is_no_id(tmp_path: Path, blank: str) -> None:
    log = write_jsonl(tmp_path / "app.jsonl", [canonical(i, request_id=blank) for i in range(100)])
    db = tmp_path / "a.duckdb"
    assert totals(ingest_json(str(log), "--db", str(db))) == (100, 100, 0, 0)
    assert query(db, "SELECT count(*) FROM requests WHERE request_id IS NULL") == [(100,)]
    assert totals(ingest_json(str(log), "--db", str(db))) == (100, 0, 0, 100)


def test_an_older_store_gets_content_keys_for_its_rows(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "app.jsonl", [canonical(i) for i in range(10)])
    db = tmp_path / "a.duckdb"
    ingest_json(str(log), "--db", str(db))
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE row_keys")  # as written before row_keys existed
    con.close()
    assert totals(ingest_json(str(log), "--db", str(db))) == (10, 0, 0, 10)


# ---------------------------------------------------------------- every physical record is counted


def test_csv_rows_with_invalid_utf8_are_rejected_at_their_line(tmp_path: Path) -> None:
    log = tmp_path / "app.csv"
    log.write_bytes(
        b"ts,model,input_tokens,output_tokens,feature\n"
        b"2026-10-01T00:00:00Z,gpt-4o-mini,10,1,a\n"
        b"2026-10-01T00:01:00Z,gpt-4o-mini,11,1,caf\xe9\n"
        b"2026-10-01T00:02:00Z,gpt-4o-mini,12,1,b\n"
        b"2026-10-01T00:03:00Z,gpt-4o-mini,13,-1,c\n"
        b"2026-10-01T00:04:00Z,gpt-\xff\xfe,14,1,d\n"
        b"2026-10-01T00:05:00Z,gpt-4o-mini,15,1,e\n"
    )
    db = tmp_path / "a.duckdb"
    data = ingest_json(str(log), "--db", str(db))
    assert totals(data) == (6, 3, 3, 0)
    assert query(db, "SELECT source_line, reason FROM rejects ORDER BY source_line") == [
        (3, "not valid UTF-8 text"),
        (5, "negative output_tokens"),
        (6, "not valid UTF-8 text"),
    ]
    assert query(db, "SELECT source_line, feature FROM requests ORDER BY source_line") == [
        (2, "a"),
        (4, "b"),
        (7, "e"),
    ]
    assert totals(ingest_json(str(log), "--db", str(db))) == (6, 0, 3, 3)
    assert query(db, "SELECT count(*) FROM rejects") == [(3,)]


def test_reingesting_a_vendor_file_records_its_rejects_once(tmp_path: Path) -> None:
    log = write_jsonl(
        tmp_path / "chat.jsonl",
        [chat_body(1), chat_body(2, prompt_tokens=-5), "{broken", chat_body(3)],
    )
    db = tmp_path / "a.duckdb"
    for _ in range(3):
        data = ingest_json(str(log), "--db", str(db))
        assert data["total"]["rejected"] == 2
        assert query(db, "SELECT count(*) FROM rejects") == [(2,)]


def test_a_row_overflowing_64_bits_is_that_rows_reject(tmp_path: Path) -> None:
    huge = 9_000_000_000_000_000_000
    log = write_jsonl(
        tmp_path / "app.jsonl",
        [
            canonical(1),
            canonical(2, input_tokens=10**20),
            canonical(3, input_tokens=huge, cached_input_tokens=huge, cache_write_5m_tokens=huge),
            canonical(4),
        ],
    )
    db = tmp_path / "a.duckdb"
    data = ingest_json(str(log), "--db", str(db))
    assert totals(data) == (4, 2, 2, 0)
    assert set(data["rejects_by_reason"]) == {
        "input_tokens is out of range (more than 64 bits)",
        "cached and cache-write tokens exceed input_tokens",
    }
    vendor = write_jsonl(tmp_path / "chat.jsonl", [chat_body(1, prompt_tokens=10**20), chat_body(2)])
    assert totals(ingest_json(str(vendor), "--db", str(db)))[1:3] == (1, 1)


# ---------------------------------------------------------------- a full disk


@contextlib.contextmanager
def tiny_tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def big_log(path: Path, rows: int) -> Path:
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT '2026-10-01T00:00:00Z' AS ts, 'gpt-4o-mini' AS model, 100 + i AS input_tokens, "
        "3 AS output_tokens, md5(i::VARCHAR) AS feature, md5((i * 7)::VARCHAR) AS user_id "
        "FROM range(?) t(i)) TO ? (FORMAT json)",
        [rows, str(path)],
    )
    con.close()
    return path


def test_a_full_disk_leaves_no_database_and_then_an_intact_one(tmp_path: Path) -> None:
    big = big_log(tmp_path / "big.jsonl", 300_000)
    small = write_jsonl(tmp_path / "small.jsonl", [canonical(i) for i in range(10)])
    with tiny_tmpfs(tmp_path / "disk", "3m") as disk:
        db = disk / "a.duckdb"
        # a first ingest that fills the disk creates no database file, so the next run is not blocked
        line = assert_one_error_line(
            run_costctl("attribute", "ingest", str(big), "--db", str(db)), "No space left"
        )
        assert "no database was created" in line
        assert list(disk.iterdir()) == []
        assert run_costctl("attribute", "ingest", str(small), "--db", str(db)).exit_code == 0
        # on an existing database the failed ingest is rolled back and the store still reads
        line = assert_one_error_line(
            run_costctl("attribute", "ingest", str(big), "--db", str(db)), "No space left"
        )
        assert "the database is as it was" in line
        assert query(db, "SELECT count(*) FROM requests") == [(10,)]
        assert run_costctl("attribute", "report", "--db", str(db)).exit_code == 0


def _file_size_limit(limit: int) -> Any:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_write_that_fails_midway_leaves_no_database(tmp_path: Path) -> None:
    """The same path without root: a file-size limit makes DuckDB's writes fail as a full disk does."""
    big = big_log(tmp_path / "big.jsonl", 300_000)
    db = tmp_path / "a.duckdb"
    exe = Path(sys.executable).parent / "costctl"
    proc = subprocess.run(
        [str(exe), "attribute", "ingest", str(big), "--db", str(db)],
        capture_output=True,
        text=True,
        preexec_fn=_file_size_limit(2_000_000),  # noqa: PLW1509 (only sets a limit, no threads)
        check=False,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("costctl: error: ")
    assert os.strerror(errno.EFBIG) in proc.stderr or "too large" in proc.stderr.lower(), proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.jsonl"]


# ---------------------------------------------------------------- Ctrl-C after the commit


def test_ctrl_c_after_the_commit_reports_the_rows_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import costctl.commands.attribute as commands

    real = commands.ingest_report

    def ctrl_c_then_report(summary: Any, db: str) -> Any:
        os.kill(os.getpid(), signal.SIGINT)  # lands after the commit, before the summary is printed
        return real(summary, db)

    monkeypatch.setattr(commands, "ingest_report", ctrl_c_then_report)
    log = write_jsonl(tmp_path / "app.jsonl", [canonical(i) for i in range(5)])
    db = tmp_path / "a.duckdb"
    result = invoke("attribute", "ingest", str(log), "--db", str(db), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["total"]["loaded"] == 5
    assert "after the ingest was committed" in result.stderr and "interrupted" not in result.stderr
    assert query(db, "SELECT count(*) FROM requests") == [(5,)]


# ---------------------------------------------------------------- your own logs, whatever their names


def test_common_column_names_are_recognised_and_said(tmp_path: Path) -> None:
    log = write_jsonl(
        tmp_path / "mine.jsonl",
        [
            {
                "timestamp": "2026-10-01T10:00:00Z",
                "user": "u1",
                "model": "gpt-4o",
                "prompt_tokens": 10,
                "completion_tokens": 2,
            },
            {
                "timestamp": "2026-10-01T11:00:00Z",
                "user": "u2",
                "model": "gpt-4o",
                "prompt_tokens": 20,
                "completion_tokens": 3,
            },
        ],
    )
    db = tmp_path / "a.duckdb"
    result = invoke("attribute", "ingest", str(log), "--db", str(db), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert totals(result.json()) == (2, 2, 0, 0)
    assert "ts <- timestamp" in result.stderr and "user_id <- user" in result.stderr
    assert "input_tokens <- prompt_tokens" in result.stderr
    assert query(db, "SELECT user_id, input_tokens, output_tokens FROM requests ORDER BY 1") == [
        ("u1", 10, 2),
        ("u2", 20, 3),
    ]


def test_openai_style_nested_usage_and_csv_are_recognised(tmp_path: Path) -> None:
    log = write_jsonl(
        tmp_path / "mine.jsonl",
        [
            {
                "created_at": "2026-10-01T10:00:00Z",
                "model": "gpt-4o",
                "user": "u1",
                "usage": {
                    "prompt_tokens": 100,
                    "completion_tokens": 5,
                    "prompt_tokens_details": {"cached_tokens": 64},
                },
            }
        ],
    )
    csv_log = tmp_path / "mine.csv"
    csv_log.write_text(
        "timestamp,user,model,prompt_tokens,completion_tokens\n2026-10-02T00:00:00Z,u9,gpt-4o,7,1\n"
    )
    db = tmp_path / "a.duckdb"
    result = invoke("attribute", "ingest", str(log), str(csv_log), "--db", str(db), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert totals(result.json()) == (2, 2, 0, 0)
    assert "input_tokens <- usage.prompt_tokens" in result.stderr
    assert query(
        db, "SELECT user_id, input_tokens, cached_input_tokens, output_tokens FROM requests ORDER BY 1"
    ) == [
        ("u1", 100, 64, 5),
        ("u9", 7, 0, 1),
    ]


def test_an_unknown_file_names_what_is_missing(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "mine.jsonl", [{"when": "2026-10-01", "model": "gpt-4o", "n": 3}])
    assert_one_error_line(
        invoke("attribute", "ingest", str(log), "--db", str(tmp_path / "a.duckdb")),
        "no known log format",
        "ts, input_tokens, output_tokens",
    )


def test_dry_run_shows_the_mapping_and_first_rejects_and_writes_nothing(tmp_path: Path) -> None:
    log = write_jsonl(
        tmp_path / "mine.jsonl",
        [
            {
                "timestamp": "2026-10-01T10:00:00Z",
                "model": "gpt-4o",
                "prompt_tokens": 10,
                "completion_tokens": 2,
            },
            {"timestamp": "yesterday", "model": "gpt-4o", "prompt_tokens": 10, "completion_tokens": 2},
            {
                "timestamp": "2026-10-01T10:00:00Z",
                "model": "gpt-4o",
                "prompt_tokens": -1,
                "completion_tokens": 2,
            },
        ],
    )
    db = tmp_path / "a.duckdb"
    data = ingest_json(str(log), "--db", str(db), "--dry-run")
    assert not db.exists()
    assert data["dry_run"] is True and totals(data) == (3, 1, 2, 0)
    file = data["files"][0]
    assert file["inferred"] == {
        "ts": "timestamp",
        "input_tokens": "prompt_tokens",
        "output_tokens": "completion_tokens",
    }
    assert [(r["line"], r["reason"]) for r in file["first_rejects"]] == [
        (2, "unrecognised timestamp format"),
        (3, "negative input_tokens"),
    ]
    assert "yesterday" in file["first_rejects"][0]["raw"]
    table = invoke("attribute", "ingest", str(log), "--db", str(db), "--dry-run")
    assert table.exit_code == 0 and "Would load" in table.stderr and "by its name" in table.stderr
    # against an existing store it counts duplicates and still writes nothing
    ingest_json(str(log), "--db", str(db))
    before = (db.read_bytes(), db.stat().st_mtime_ns)
    again = ingest_json(str(log), "--db", str(db), "--dry-run")
    assert totals(again) == (3, 0, 2, 1)
    assert (db.read_bytes(), db.stat().st_mtime_ns) == before


def test_a_mapping_glob_that_matches_nothing_says_so(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("files: 'search_*.csv'\ncolumns:\n  ts: when\n  input_tokens: p\n  output_tokens: c\n")
    log = tmp_path / "export.csv"
    log.write_text("when,model,p,c\n2026-10-01,gpt-4o,1,1\n")
    db = tmp_path / "a.duckdb"
    result = invoke("attribute", "ingest", str(log), "--mapping", str(mapping), "--db", str(db))
    assert_one_error_line(result, "files: search_*.csv", "does not match this file's name")
    # a file that reads without the mapping still loads, and the unused mapping is said
    other = write_jsonl(tmp_path / "app.jsonl", [canonical(1)])
    result = invoke("attribute", "ingest", str(other), "--mapping", str(mapping), "--db", str(db))
    assert result.exit_code == 0, result.stderr
    assert "`files: search_*.csv` matches none of the files given" in result.stderr


def test_every_physical_record_is_counted_on_random_bytes(tmp_path: Path) -> None:
    """read = loaded + rejected + duplicate and equals the records in the file, whatever the bytes."""
    import random

    rng = random.Random(16)
    for trial in range(6):
        lines = []
        for i in range(40):
            row = canonical(i, request_id=rng.choice([None, "", f"r{i % 7}", f"x{uuid.uuid4().hex[:4]}"]))
            text = json.dumps(row).encode()
            if rng.random() < 0.2:
                cut = rng.randrange(len(text))
                text = text[:cut] + bytes([rng.randrange(128, 256)]) + text[cut + 1 :]
            lines.append(text)
        log = tmp_path / f"t{trial}.csv"
        cols = ["ts", "request_id", "model", "input_tokens", "output_tokens", "feature"]
        body = [b",".join(str(canonical(i).get(c, f"id{i}")).encode() for c in cols) for i in range(40)]
        for k in rng.sample(range(40), 5):
            body[k] = body[k][:-2] + bytes([rng.randrange(128, 256)]) + body[k][-1:]
        log.write_bytes(b",".join(c.encode() for c in cols) + b"\n" + b"\n".join(body) + b"\n")
        jl = tmp_path / f"t{trial}.jsonl"
        jl.write_bytes(b"\n".join(lines) + b"\n")
        db = tmp_path / f"t{trial}.duckdb"
        for path in (log, jl):
            data = ingest_json(str(path), "--db", str(db), "--input-format", path.suffix[1:])
            assert totals(data)[0] == 40, (path, data["total"])


def test_a_broken_database_file_says_how_to_recover(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    db.write_bytes(b"\x00" * 4096 + b"not a database")  # what a failed first ingest of an older costctl left
    log = write_jsonl(tmp_path / "app.jsonl", [canonical(1)])
    assert_one_error_line(
        invoke("attribute", "ingest", str(log), "--db", str(db)), "delete the file and ingest again"
    )


def test_a_byte_order_mark_does_not_hide_the_header(tmp_path: Path) -> None:
    log = tmp_path / "excel.csv"
    log.write_bytes(
        b"\xef\xbb\xbftimestamp,model,prompt_tokens,completion_tokens\n2026-10-01T00:00:00Z,gpt-4o,1,1\n"
    )
    assert totals(ingest_json(str(log), "--db", str(tmp_path / "a.duckdb"))) == (1, 1, 0, 0)


FIXTURES = ROOT / "tests" / "fixtures" / "logs"
ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    "",
    "x",
    "12",
    [],
    {},
    [1],
    {"a": 1},
    10**30,
    "2026-13-45",
    [[{}]],
]


def _mutated(value: Any, rng: Any, share: float) -> Any:
    if isinstance(value, dict):
        return {
            k: rng.choice(ODD_VALUES) if rng.random() < share else _mutated(v, rng, share)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [rng.choice(ODD_VALUES) if rng.random() < share else _mutated(v, rng, share) for v in value]
    return value


def test_vendor_records_of_any_shape_are_rows_or_rejects_never_a_crash(tmp_path: Path) -> None:
    """Every fixture's records with values swapped for other JSON types: each adapter turns each record into a
    row or a reject (guarded() no longer hides adapter bugs, so a shape an adapter does not check shows here)."""
    import random

    from costctl.errors import InputError
    from costctl.logs.adapters import detect_format, read_log
    from costctl.logs.adapters._common import BadJson, iter_records

    rng = random.Random(14)
    for fixture in sorted(FIXTURES.iterdir()):
        try:
            fmt = detect_format(fixture)
        except InputError:
            continue
        records = [r for _, r in iter_records(fixture) if not isinstance(r, BadJson)]
        for trial in range(25):
            share = (0.05, 0.15, 0.3)[trial % 3]
            mutated = tmp_path / f"{trial}{fixture.suffix}"
            mutated.write_text("\n".join(json.dumps(_mutated(r, rng, share)) for r in records) + "\n")
            try:
                log = read_log(mutated, fmt)
                items = list(log.rows)
            except InputError:
                continue
            assert all(isinstance(item, (dict, Reject)) for _, item in items), fixture
