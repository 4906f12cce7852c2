"""Vendor log formats -> canonical rows (costctl.logs.schema). The store calls `read_log`.

    from costctl.logs.adapters import read_log, FORMATS
    log = read_log(Path("spend.jsonl"))          # format detected from the first records
    for source_line, row in log.rows:            # row: dict of canonical columns, or Reject(reason)
        ...
    log.skipped                                  # lines that are not requests, by reason (after iterating)

Every record read is yielded once, as a row or a Reject, except records that are not requests at all or
that repeat another record (Claude Code's non-assistant and streamed lines, trace spans without usage,
a parent span whose children carry the usage): those are counted in `LogRead.skipped`, by reason.
Detection reads only the first few records. Gzip works for every format.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costctl.errors import InputError, UnknownFormatError
from costctl.logs.adapters import (
    anthropic,
    claude_code,
    langfuse,
    litellm,
    openai_batch,
    openai_chat,
    openai_usage,
    otel,
)
from costctl.logs.adapters._common import BadJson, Item, ReadContext, iter_records
from costctl.logs.schema import Reject

if TYPE_CHECKING:
    from costctl.logs.rules import TagRules

__all__ = ["FORMATS", "LogRead", "Reject", "detect_format", "read_log"]


@dataclass(frozen=True)
class _Adapter:
    sniff: Callable[[Any], bool]
    read: Callable[[Iterator[tuple[int, Any]], ReadContext], Iterator[Item]]
    description: str


# Order matters: the more specific shapes first (a batch line also contains a chat.completion body).
_ADAPTERS: dict[str, _Adapter] = {
    openai_batch.NAME: _Adapter(openai_batch.sniff, openai_batch.read, openai_batch.DESCRIPTION),
    anthropic.BATCH: _Adapter(
        anthropic.sniff_batch, anthropic.read_batch, anthropic.DESCRIPTIONS[anthropic.BATCH]
    ),
    claude_code.NAME: _Adapter(claude_code.sniff, claude_code.read, claude_code.DESCRIPTION),
    openai_usage.NAME: _Adapter(openai_usage.sniff, openai_usage.read, openai_usage.DESCRIPTION),
    langfuse.NAME: _Adapter(langfuse.sniff, langfuse.read, langfuse.DESCRIPTION),
    otel.NAME: _Adapter(otel.sniff, otel.read, otel.DESCRIPTION),
    litellm.NAME: _Adapter(litellm.sniff, litellm.read, litellm.DESCRIPTION),
    anthropic.MESSAGES: _Adapter(
        anthropic.sniff_messages, anthropic.read_messages, anthropic.DESCRIPTIONS[anthropic.MESSAGES]
    ),
    openai_chat.NAME: _Adapter(openai_chat.sniff, openai_chat.read, openai_chat.DESCRIPTION),
}

FORMATS: dict[str, str] = {name: adapter.description for name, adapter in _ADAPTERS.items()}

DETECT_RECORDS = 5


@dataclass
class LogRead:
    """One file being read: its format, the lazy rows, and (once iterated) what was skipped and why."""

    format: str
    rows: Iterator[tuple[int, dict[str, Any] | Reject]]
    skipped: Counter[str] = field(default_factory=Counter)


def detect_format(path: Path) -> str:
    """The format of a file from its first few records; InputError naming the file when none fits."""
    _require_file(path)
    looked = seen = 0
    for _line, record in itertools.islice(iter_records(path), 50):
        seen += 1
        if isinstance(record, BadJson):
            continue
        looked += 1
        for name, adapter in _ADAPTERS.items():
            if adapter.sniff(record):
                return name
        if looked >= DETECT_RECORDS:
            break
    if seen == 0:
        raise InputError("file is empty or holds no JSON records; expected a log file", where=str(path))
    raise UnknownFormatError(
        f"no known log format; expected one of {', '.join(FORMATS)}, or name one with --input-format",
        where=str(path),
    )


def read_log(
    path: Path,
    fmt: str | None = None,
    *,
    batch_input: Path | None = None,
    rules: TagRules | None = None,
) -> LogRead:
    """Open a log file as canonical rows: (source_line, row dict or Reject) for every record read."""
    path = Path(path)
    if fmt is None:
        fmt = detect_format(path)
    elif fmt not in _ADAPTERS:
        from costctl.errors import did_you_mean

        raise InputError(
            f"unknown log format {fmt!r}{did_you_mean(fmt, FORMATS)}; expected one of {', '.join(FORMATS)}"
        )
    else:
        _require_file(path)
        if _is_empty(path):
            raise InputError("file is empty or holds no JSON records; expected a log file", where=str(path))
    if batch_input is not None and fmt not in (openai_batch.NAME, anthropic.BATCH):
        raise InputError(
            f"batch_input applies to openai-batch and anthropic-batch files, not {fmt}", where=str(path)
        )
    if batch_input is not None and not Path(batch_input).is_file():
        raise InputError("batch input file not found", where=str(batch_input))
    ctx = ReadContext(path=path, fmt=fmt, rules=rules, batch_input=Path(batch_input) if batch_input else None)
    return LogRead(format=fmt, rows=_rows(ctx, _ADAPTERS[fmt]), skipped=ctx.skipped)


def _rows(ctx: ReadContext, adapter: _Adapter) -> Iterator[Item]:
    records = iter_records(ctx.path)
    first = next(records, None)
    if first is None:
        return
    ctx.jsonl = _framing_is_jsonl(ctx.path)
    yield from adapter.read(itertools.chain([first], records), ctx)


def _framing_is_jsonl(path: Path) -> bool:
    from costctl.logs.adapters._common import _first_content_line, _is_single_json, open_text

    with open_text(path) as fh:
        line, _no, _pending = _first_content_line(fh)
    return line is not None and _is_single_json(line) and not line.lstrip().startswith("[")


def _require_file(path: Path) -> None:
    if not path.exists():
        raise InputError("file not found", where=str(path))
    if not path.is_file():
        raise InputError("not a file, expected a log file", where=str(path))


def _is_empty(path: Path) -> bool:
    for _line, _record in iter_records(path):
        return False
    return True
