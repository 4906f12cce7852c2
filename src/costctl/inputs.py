"""Reading the files and texts a user hands costctl: one place that turns every way they can be wrong into
an `InputError` line, never a traceback.

- `read_text`: a missing file, a folder where a file was expected, a symlink loop, unreadable bytes;
- `loads` / `parse_json`: malformed JSON and JSON nested so deeply (`[[[[...`) that Python's parser
  recurses out (`RecursionError`); `loads` raises `JsonTooDeep`, a `ValueError`, so a log reader that
  rejects a bad line on `ValueError` rejects this one too instead of aborting;
- `parse_yaml`: malformed YAML and values PyYAML cannot build, such as the impossible date
  `checked: 2026-02-30` (PyYAML raises a bare `ValueError` while constructing it).

This is the only module that imports yaml outside the price-table loader's call into it; yaml is
imported inside the function so `costctl --help` stays light.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from costctl.errors import InputError


class JsonTooDeep(ValueError):
    """JSON nested beyond what the parser can follow."""


def read_text(path: Path, what: str = "file") -> str:
    """The UTF-8 text of `path`, or an InputError naming the path and what went wrong."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} not found", where=str(path)) from None
    except IsADirectoryError:
        raise InputError(f"{what} is a folder; expected a file", where=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} is not UTF-8 text (byte {exc.start})", where=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read {what} ({exc.strerror or exc})", where=str(path)) from None


def check_files(paths: list[Path], what: str = "file") -> None:
    """Each path names an existing file: a folder or a missing path is said as what it is."""
    for path in paths:
        if path.is_dir():
            raise InputError(
                f"{what} is a folder; expected a file (give the files inside it, e.g. {path}/*.jsonl)",
                where=str(path),
            )
        if not path.exists():
            raise InputError(f"{what} not found", where=str(path))


def loads(text: str | bytes) -> Any:
    """`json.loads` that raises `JsonTooDeep` (a ValueError) instead of RecursionError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise JsonTooDeep("JSON nested too deeply to read") from None


def parse_json(text: str, *, where: str, what: str = "JSON") -> Any:
    try:
        return loads(text)
    except JsonTooDeep:
        raise InputError(f"{what} is nested too deeply to read", where=where) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{what} is not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})", where=where
        ) from None


def read_json(path: Path, what: str = "JSON file") -> Any:
    return parse_json(read_text(path, what), where=str(path), what=what)


def parse_yaml(text: str, *, where: str, what: str = "YAML", loader: Any = None) -> Any:
    """`loader`: a SafeLoader subclass (e.g. one that records the line of each key); default the C one."""
    import yaml

    loader = loader or getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"malformed {what}: {problem}", where=f"{where}{line}") from None
    except (ValueError, OverflowError) as exc:
        # PyYAML builds dates and numbers with the stdlib: `2026-02-30` raises "day is out of range"
        raise InputError(f"{what} holds a value that cannot exist: {exc}", where=where) from None
    except RecursionError:
        raise InputError(f"{what} is nested too deeply to read", where=where) from None


def read_yaml(path: Path, what: str = "YAML file") -> Any:
    return parse_yaml(read_text(path, what), where=str(path), what="YAML")
