"""`costctl tokens fetch` / `status`: put tiktoken's BPE files where costctl finds them, on purpose.

costctl never downloads on its own (offline-first: an estimate must not wait on the network). This is the
one deliberate network step: download each encoding from OpenAI's public blob store (or a mirror), or copy it
from a folder (an air-gapped machine, a CI cache), check it against tiktoken's own sha256 pin, and write it
under tiktoken's cache name so the folder also works as `TIKTOKEN_CACHE_DIR`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from costctl.cache import cache_dir
from costctl.errors import InputError
from costctl.report import Column, Report, Table
from costctl.tokens.counting import BPE_PINS, BPE_URLS, bpe_cache_name, find_bpe_file

DEFAULT_TIMEOUT = 30.0

STATUS_COLUMNS = [
    Column("encoding", "Encoding"),
    Column("status", "Status"),
    Column("path", "File"),
    Column("bytes", "Bytes", "int"),
]


def default_destination() -> Path:
    """`TIKTOKEN_CACHE_DIR` when set (tiktoken itself then reads the same folder), else costctl's own cache."""
    value = os.environ.get("TIKTOKEN_CACHE_DIR")
    return Path(value) if value else cache_dir() / "tiktoken"


def _check(data: bytes, name: str, where: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != BPE_PINS[name]:
        raise InputError(
            f"sha256 {actual[:16]}… does not match tiktoken's pin {BPE_PINS[name][:16]}… for {name}; "
            "expected the official file",
            where=where,
        )


def _from_folder(folder: Path, name: str) -> tuple[bytes, str]:
    """A BPE file in `folder`, under tiktoken's cache name or as `<name>.tiktoken`."""
    for candidate in (folder / bpe_cache_name(name), folder / f"{name}.tiktoken"):
        if candidate.is_file():
            return candidate.read_bytes(), str(candidate)
    raise InputError(
        f"no {name} file here, expected {bpe_cache_name(name)} (tiktoken's cache name) or {name}.tiktoken",
        where=str(folder),
    )


def _download(url: str, timeout: float) -> bytes:
    import urllib.error
    import urllib.request

    if not url.startswith(("https://", "http://")):
        raise InputError(f"cannot download {url!r}, expected an http(s) URL")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
            return bytes(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(
            f"cannot download {url} ({reason}); check the network, or copy the files with --from FOLDER"
        ) from None


def fetch(
    names: list[str],
    *,
    dest: Path,
    source: Path | None = None,
    mirror: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Report:
    """Make each encoding available in `dest`; files already there and intact are left alone."""
    for name in names:
        if name not in BPE_URLS:
            raise InputError(f"unknown encoding {name!r}, expected one of {', '.join(sorted(BPE_URLS))}")
    if source is not None and mirror is not None:
        raise InputError("--from and --mirror both given, expected one source (a folder or a base URL)")
    if source is not None and not source.is_dir():
        raise InputError("not a folder, expected one holding tiktoken BPE files", where=str(source))
    rows: list[dict[str, Any]] = []
    for name in names:
        target = dest / bpe_cache_name(name)
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == BPE_PINS[name]:
            rows.append(_row(name, "present", target))
            continue
        if source is not None:
            data, where = _from_folder(source, name)
            status = "copied"
        else:
            where = f"{mirror.rstrip('/')}/{name}.tiktoken" if mirror else BPE_URLS[name]
            data = _download(where, timeout)
            status = "downloaded"
        _check(data, name, where)
        _write(target, data)
        rows.append(_row(name, status, target))
    return Report(
        "tokens fetch",
        {"destination": str(dest), "encodings": rows},
        [Table(STATUS_COLUMNS, rows)],
        notes=_usage_notes(dest),
    )


def status(names: list[str]) -> Report:
    """Where each encoding would be loaded from, or that it is missing (then counts are approximate)."""
    rows = []
    for name in names:
        path = find_bpe_file(name)
        rows.append(_row(name, "available", path) if path else _row(name, "missing", None))
    notes = []
    if any(r["status"] == "missing" for r in rows):
        notes.append("missing encodings give approximate token counts; `costctl tokens fetch` installs them")
    return Report("tokens status", {"encodings": rows}, [Table(STATUS_COLUMNS, rows)], notes=notes)


def _row(name: str, state: str, path: Path | None) -> dict[str, Any]:
    return {
        "encoding": name,
        "status": state,
        "path": str(path) if path else None,
        "bytes": path.stat().st_size if path else None,
    }


def _usage_notes(dest: Path) -> list[str]:
    from costctl.tokens.counting import bpe_search_dirs

    if dest.resolve() in {d.resolve() for d in bpe_search_dirs()}:
        return []
    return [f"costctl reads {dest} only when TIKTOKEN_CACHE_DIR={dest} is set"]


def _write(target: Path, data: bytes) -> None:
    """Write beside the target and rename: a reader never sees half a file."""
    tmp: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write ({exc.strerror or exc})", where=str(target)) from None
