"""`costctl tokens fetch/status`: the one deliberate network step, checked against tiktoken's sha256 pins."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from conftest import TIKTOKEN_CACHE, CliResult, invoke, needs_tiktoken_cache, run_costctl

from costctl.tokens.counting import BPE_PINS, bpe_cache_name


def isolated(tmp_path: Path) -> dict[str, str]:
    """No tiktoken folder anywhere costctl looks, except the ones a test creates."""
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return {
        "TIKTOKEN_CACHE_DIR": "",
        "COSTCTL_CACHE_DIR": str(tmp_path / "cache"),
        "TMPDIR": str(tmp_path / "tmp"),
    }


def one_error(result: CliResult, needle: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("costctl: error: ") and needle in lines[0], lines


@needs_tiktoken_cache
def test_fetch_from_a_folder_makes_estimates_exact(tmp_path: Path) -> None:
    env = isolated(tmp_path)
    before = run_costctl("tokens", "status", "-f", "json", env=env)
    assert before.exit_code == 0 and {r["status"] for r in before.json()["encodings"]} == {"missing"}
    assert "costctl tokens fetch" in before.stderr
    approx = run_costctl("estimate", "--text", "hello world", "-m", "gpt-4o", "-f", "json", env=env)
    assert approx.json()["input_tokens_exact"] is False and "costctl tokens fetch" in approx.stderr

    got = run_costctl("tokens", "fetch", "--from", str(TIKTOKEN_CACHE), "-f", "json", env=env)
    assert got.exit_code == 0, got.stderr
    rows = {r["encoding"]: r for r in got.json()["encodings"]}
    assert {r["status"] for r in rows.values()} == {"copied"}
    for name, pin in BPE_PINS.items():
        written = Path(rows[name]["path"])
        assert written == tmp_path / "cache" / "tiktoken" / bpe_cache_name(name)
        assert hashlib.sha256(written.read_bytes()).hexdigest() == pin

    again = run_costctl("tokens", "fetch", "--from", str(TIKTOKEN_CACHE), "-f", "json", env=env)
    assert {r["status"] for r in again.json()["encodings"]} == {"present"}
    exact = run_costctl(
        "estimate", "--text", "hello world", "-m", "gpt-4o", "--output-tokens", "0", "-f", "json", env=env
    )
    assert exact.json()["input_tokens_exact"] is True and exact.json()["input_tokens"] == 9
    assert exact.stderr == ""


@needs_tiktoken_cache
def test_fetch_downloads_from_a_mirror(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    for name in BPE_PINS:
        shutil.copy(TIKTOKEN_CACHE / bpe_cache_name(name), served / f"{name}.tiktoken")
    with serve(served) as base:
        result = invoke(
            "tokens",
            "fetch",
            "--mirror",
            base,
            "-e",
            "o200k_base",
            "--dir",
            str(tmp_path / "d"),
            "-f",
            "json",
        )
    assert result.exit_code == 0, result.stderr
    (row,) = result.json()["encodings"]
    assert row["status"] == "downloaded" and row["bytes"] == (served / "o200k_base.tiktoken").stat().st_size
    assert "only when TIKTOKEN_CACHE_DIR=" in result.stderr  # --dir is not a folder costctl searches


def test_a_file_that_fails_the_pin_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "o200k_base.tiktoken").write_bytes(b"aGVsbG8= 0\n")
    dest = tmp_path / "d"
    result = invoke("tokens", "fetch", "--from", str(source), "-e", "o200k_base", "--dir", str(dest))
    one_error(result, "does not match tiktoken's pin")
    assert not dest.exists() or not any(dest.iterdir())


def test_unreachable_mirror_unknown_encoding_and_missing_folder_are_one_line_errors(tmp_path: Path) -> None:
    dest = str(tmp_path / "d")
    one_error(
        invoke("tokens", "fetch", "--mirror", "http://127.0.0.1:9", "--timeout", "2", "--dir", dest),
        "cannot download http://127.0.0.1:9/",
    )
    one_error(invoke("tokens", "fetch", "-e", "p50k", "--dir", dest), "unknown encoding 'p50k'")
    one_error(invoke("tokens", "fetch", "--from", str(tmp_path / "nope"), "--dir", dest), "not a folder")
    one_error(invoke("tokens", "fetch", "--from", str(tmp_path), "--dir", dest), "no cl100k_base file here")
    one_error(
        invoke("tokens", "fetch", "--from", str(tmp_path), "--mirror", "http://x", "--dir", dest),
        "both given",
    )


def test_a_corrupt_cached_file_falls_back_to_the_approximation_with_one_note(tmp_path: Path) -> None:
    env = isolated(tmp_path)
    folder = tmp_path / "cache" / "tiktoken"
    folder.mkdir(parents=True)
    (folder / bpe_cache_name("o200k_base")).write_bytes(b"not a bpe file\n")
    result = run_costctl("estimate", "--text", "hello world", "-m", "gpt-4o,gpt-4.1", "-f", "json", env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("does not match tiktoken's sha256 pin") == 1
    assert all(r["input_tokens_exact"] is False for r in result.json()["results"])


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """A local HTTP server for `folder` (the mirror), on a free port."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
