"""Prompt files -> sections, paragraphs and instruction units, each with its 1-based line span.

Sections are markdown headings, XML-style tag blocks (`<examples> ... </examples>`) and, in a file with
neither, blank-line blocks. Fenced code blocks are never split. Each section gets a role (instruction,
example, format, context, dynamic) from its title and content, so similarity runs on instruction units only
and example scaffolds do not sink precision (docs/audit.md#similarity-method).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from costctl.errors import InputError

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_OPEN_TAG = re.compile(r"^\s*<([A-Za-z][\w.-]*)(\s[^<>]*)?>\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BULLET = re.compile(r"^\s*(?:[-*+\u2022]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\[])")

# Template variables and values that differ per request (docs/audit.md#the-caching-model-prompt-audit).
DYNAMIC_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("template variable", re.compile(r"\{\{\s*[^{}]+?\s*\}\}|\{%.*?%\}|\$\{\s*\w[\w.]*\s*\}|<%=?.*?%>")),
    ("format placeholder", re.compile(r"(?<![{\w])\{[a-z_][a-z0-9_]*\}(?!\})")),
    ("date or time", re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?\b")),
    (
        "current-date line",
        re.compile(r"(?i)\b(?:current date|today(?:'s date)? is|the date is|current time)\b"),
    ),
    (
        "uuid or request id",
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
    ),
    ("email address", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")),
)

_ROLE_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("example", re.compile(r"(?i)\b(examples?|few[- ]?shot|samples?|demonstrations?|sample conversation)\b")),
    ("format", re.compile(r"(?i)\b(output format|response format|format|json|schema|output)\b")),
    (
        "context",
        re.compile(r"(?i)\b(background|context|about|knowledge|reference|documents?|policy|policies|faq)\b"),
    ),
)
_DIALOGUE = re.compile(r"(?im)^\s*(user|customer|assistant|agent|input|output|q|a)\s*:")
# A template variable whose name says it holds long runtime context (CA104, docs/audit.md#prompt-rules: sandwich exemption).
_CONTEXT_VARIABLE = re.compile(
    r"(?i)\{\{\s*[\w.]*(context|documents?|docs|retrieved|chunks?|transcript|knowledge)[\w.]*\s*\}\}"
)


@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    text: str


@dataclass(frozen=True)
class Section:
    index: int
    kind: str  # heading | tag | block | preamble
    title: str
    role: str  # instruction | example | format | context
    start_line: int
    end_line: int
    text: str

    @property
    def holds_runtime_context(self) -> bool:
        return bool(_CONTEXT_VARIABLE.search(self.text))


@dataclass(frozen=True)
class Unit:
    """One instruction-sized piece of text (a line, bullet or sentence) for similarity."""

    section: int
    line: int
    end_line: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    section: int
    start_line: int
    end_line: int
    text: str


def read_prompt_file(path: Path) -> str:
    """The file's text, or one clear InputError: missing, a directory, empty, binary, not UTF-8."""
    where = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("prompt file not found", where=where) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a prompt text file", where=where) from None
    except OSError as exc:
        raise InputError(f"cannot read prompt file ({exc.strerror})", where=where) from None
    if b"\x00" in raw[:8192]:
        raise InputError("is a binary file (NUL bytes), expected a UTF-8 text prompt", where=where)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}), expected a UTF-8 prompt; "
            "re-save it as UTF-8",
            where=where,
        ) from None
    if not text.strip():
        raise InputError("prompt file is empty, expected prompt text", where=where)
    return text


def _role(title: str, text: str) -> str:
    for role, pattern in _ROLE_WORDS:
        if pattern.search(title):
            return role
    if len(_DIALOGUE.findall(text)) >= 2:
        return "example"
    return "instruction"


def split_sections(text: str) -> list[Section]:
    lines = text.splitlines()
    has_structure = any(_HEADING.match(line) or _OPEN_TAG.match(line) for line in lines)
    sections: list[Section] = []
    current: list[Line] = []
    kind, title = "preamble", ""
    fence = False
    open_tag: str | None = None

    def flush() -> None:
        nonlocal current
        body = [ln for ln in current if ln.text.strip()]
        if body:
            joined = "\n".join(ln.text for ln in current).strip("\n")
            sections.append(
                Section(
                    len(sections), kind, title, _role(title, joined), body[0].number, body[-1].number, joined
                )
            )
        current = []

    for number, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            fence = not fence
            current.append(Line(number, line))
            continue
        if fence:
            current.append(Line(number, line))
            continue
        if open_tag is not None:
            current.append(Line(number, line))
            if re.search(rf"</{re.escape(open_tag)}\s*>\s*$", line):
                flush()
                open_tag = None
                kind, title = "block", f"after <{title}>"
            continue
        heading = _HEADING.match(line)
        tag = _OPEN_TAG.match(line)
        if heading:
            flush()
            kind, title = "heading", heading.group(2)
            current.append(Line(number, line))
        elif tag and not re.search(r"</", line):
            flush()
            kind, title, open_tag = "tag", tag.group(1), tag.group(1)
            current.append(Line(number, line))
        elif not has_structure and not line.strip():
            flush()
            kind, title = "block", ""
        else:
            current.append(Line(number, line))
    flush()
    return [
        Section(
            i, s.kind, s.title or f"block at line {s.start_line}", s.role, s.start_line, s.end_line, s.text
        )
        for i, s in enumerate(sections)
    ]


def paragraphs(sections: list[Section]) -> list[Paragraph]:
    """Blank-line separated blocks inside each section (fences kept whole)."""
    found: list[Paragraph] = []
    for section in sections:
        block: list[Line] = []
        fence = False
        for offset, line in enumerate(section.text.splitlines()):
            number = section.start_line + offset
            if _FENCE.match(line):
                fence = not fence
            if not line.strip() and not fence:
                if block:
                    found.append(_paragraph(section.index, block))
                block = []
            else:
                block.append(Line(number, line))
        if block:
            found.append(_paragraph(section.index, block))
    return found


def _paragraph(section: int, block: list[Line]) -> Paragraph:
    return Paragraph(section, block[0].number, block[-1].number, "\n".join(ln.text for ln in block))


def instruction_units(sections: list[Section], *, min_words: int = 3) -> list[Unit]:
    """Bullets and sentences of non-example sections (wrapped lines joined); headings, tags, fences left out."""
    units: list[Unit] = []
    for section in sections:
        if section.role == "example":
            continue
        for first, last, item in _items(section):
            for sentence, line in _sentences(item, first):
                if len(sentence.split()) >= min_words:
                    units.append(Unit(section.index, line, last, sentence))
    return units


def _items(section: Section) -> list[tuple[int, int, list[Line]]]:
    """Logical items: a bullet with its continuation lines, or a run of wrapped prose lines."""
    items: list[tuple[int, int, list[Line]]] = []
    current: list[Line] = []
    fence = False

    def close() -> None:
        nonlocal current
        if current:
            items.append((current[0].number, current[-1].number, current))
        current = []

    for offset, line in enumerate(section.text.splitlines()):
        number = section.start_line + offset
        if _FENCE.match(line):
            fence = not fence
            close()
            continue
        skip = fence or _HEADING.match(line) or re.match(r"^\s*</?[A-Za-z][\w.-]*[^<>]*>\s*$", line)
        if skip or not line.strip():
            close()
            continue
        if _BULLET.match(line):
            close()
            current.append(Line(number, _BULLET.sub("", line).strip()))
        else:
            current.append(Line(number, line.strip()))
    close()
    return items


def _sentences(item: list[Line], first: int) -> list[tuple[str, int]]:
    """Split an item into sentences, each with the line it starts on."""
    text = ""
    starts: list[tuple[int, int]] = []  # (char offset, line number)
    for ln in item:
        starts.append((len(text), ln.number))
        text += ln.text + " "
    out: list[tuple[str, int]] = []
    pos = 0
    for sentence in _SENTENCE_END.split(text.strip()):
        offset = text.find(sentence, pos)
        pos = offset + len(sentence)
        line = first
        for char_offset, number in starts:
            if char_offset <= offset:
                line = number
        out.append((sentence.strip(), line))
    return out


def first_dynamic(text: str) -> tuple[int, str, str] | None:
    """(character offset, kind, matched text) of the earliest per-request content, or None."""
    best: tuple[int, str, str] | None = None
    for kind, pattern in DYNAMIC_PATTERNS:
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0]):
            start = match.start()
            if kind == "current-date line":  # the whole line carries the date
                start = text.rfind("\n", 0, start) + 1
            best = (start, kind, match.group(0))
    return best


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
