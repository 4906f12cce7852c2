"""`costctl tokens count`: the tokens of a raw text, with no chat framing, per model or per encoding.

This is what an embeddings endpoint bills (the input text as the tokenizer sees it) and what a text
occupies inside a larger prompt. `costctl estimate --text` on a chat model adds the per-message framing
the chat API bills; on an embedding model it counts exactly this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from costctl.errors import InputError, did_you_mean
from costctl.pricing.catalog import Catalog
from costctl.report import Column, Report, Table

COLUMNS = [
    Column("model", "Model"),
    Column("tokenizer", "Tokenizer"),
    Column("tokens", "Tokens", "int"),
    Column("exact", "Count", "exact"),
    Column("method", "Method"),
]


def known_tokenizers() -> list[str]:
    from costctl.pricing.loader import TOKENIZERS

    return sorted(TOKENIZERS)


def count_report(
    text: str, *, catalog: Catalog | None, models: Sequence[str], encodings: Sequence[str]
) -> Report:
    """One row per model (its table's tokenizer) and per encoding named, in the order given."""
    from costctl.tokens.counting import count_text_tokens

    if not models and not encodings:
        raise InputError("name a --model or an --encoding to count with (e.g. --encoding o200k_base)")
    rows: list[dict[str, Any]] = []
    for name in models:
        assert catalog is not None
        model = catalog.get(name, where="--model")
        count = count_text_tokens(text, model.tokenizer)
        rows.append(
            {
                "model": model.id,
                "tokenizer": model.tokenizer,
                "tokens": count.tokens,
                "exact": count.exact,
                "method": count.method,
            }
        )
    for encoding in encodings:
        if encoding not in known_tokenizers():
            raise InputError(
                f"--encoding: unknown encoding {encoding!r}{did_you_mean(encoding, known_tokenizers())}; "
                f"expected one of {', '.join(known_tokenizers())}"
            )
        count = count_text_tokens(text, encoding)
        rows.append(
            {
                "model": None,
                "tokenizer": encoding,
                "tokens": count.tokens,
                "exact": count.exact,
                "method": count.method,
            }
        )
    notes = ["raw text, no chat framing (what an embeddings request bills)"]
    if not text:
        notes.append("the text is empty: 0 tokens")
    if any(not r["exact"] for r in rows):
        notes.append("approximate counts are marked 'approximate'; see README 'Token counts'")
    data: dict[str, Any] = {"characters": len(text), "results": rows}
    if len(rows) == 1:
        data.update(rows[0])
    return Report(command="tokens count", data=data, tables=[Table(COLUMNS, rows)], notes=notes)
