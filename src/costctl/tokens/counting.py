"""Count tokens of text and chat requests.

Exact counts use tiktoken (o200k_base or cl100k_base, named by each model's `tokenizer` in the price
tables). Models whose tokenizer is not public (Anthropic Claude 3+, Gemini, most open-weight hosts) get a
documented approximation, labelled `approximate` in every output (calibration: README "Token counts").

Offline: tiktoken downloads its BPE file on first use. We look for the file under tiktoken's cache name
(sha1 of the URL) in `TIKTOKEN_CACHE_DIR`, `DATA_GYM_CACHE_DIR`, costctl's own cache (where
`costctl tokens fetch` puts it) and tiktoken's default temp folder, check it against tiktoken's sha256 pin,
and never trigger a download unless `COSTCTL_ALLOW_DOWNLOAD=1`. When the encoding is unavailable we say
so once on stderr and fall back to the approximation, so costctl never hangs on the network.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from costctl.cache import cache_dir, caching_disabled
from costctl.errors import InputError
from costctl.models import TokenCount

BPE_URLS = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}
# sha256 of the official files: tiktoken's own `expected_hash` pins (tiktoken_ext/openai_public.py)
BPE_PINS = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}

# Characters per token for the approximations. Calibrated on English prose and code against o200k_base
# (about 4.2 chars/token on prose, 3.4 on code) and the published guidance that Claude 3+ tokenizers emit
# more tokens than OpenAI's for the same text (Anthropic: ~3.5 chars/token; Google: ~4 chars/token).
# See README "Token counts" for the error bands.
APPROX_CHARS_PER_TOKEN = {
    "anthropic": 3.5,
    "google": 4.0,
    "generic": 3.8,
    "openai": 4.0,  # only used when a tiktoken encoding cannot be loaded
}

# Chat framing for OpenAI chat completions (OpenAI cookbook "How to count tokens with tiktoken"):
# every message costs 3 tokens of framing, a `name` one more, and the reply is primed with 3.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3

_warned: set[str] = set()


def _note_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        sys.stdout.flush()
        print(f"costctl: note: {message}", file=sys.stderr)


def bpe_cache_name(name: str) -> str:
    """tiktoken's cache file name for an encoding: sha1 of its download URL."""
    return hashlib.sha1(BPE_URLS[name].encode()).hexdigest()


def bpe_search_dirs() -> list[Path]:
    """Where a BPE file is looked for, in order (tiktoken's own folders, then where `tokens fetch` writes)."""
    dirs = [
        Path(v) for v in (os.environ.get("TIKTOKEN_CACHE_DIR"), os.environ.get("DATA_GYM_CACHE_DIR")) if v
    ]
    dirs.append(cache_dir() / "tiktoken")
    dirs.append(Path(tempfile.gettempdir()) / "data-gym-cache")
    return dirs


def find_bpe_file(name: str) -> Path | None:
    """The first BPE file for `name` in `bpe_search_dirs()`, or None."""
    if name not in BPE_URLS:
        return None
    for folder in bpe_search_dirs():
        candidate = folder / bpe_cache_name(name)
        if candidate.is_file():
            return candidate
    return None


def encoding_available(name: str) -> bool:
    if name not in BPE_URLS:
        return False
    return os.environ.get("COSTCTL_ALLOW_DOWNLOAD") == "1" or find_bpe_file(name) is not None


@lru_cache(maxsize=4)
def _load_encoding(name: str) -> Any:
    """The tiktoken Encoding, or None (after one note on stderr) when it cannot be loaded offline."""
    if not encoding_available(name):
        _note_once(
            f"enc:{name}",
            f"tiktoken encoding {name!r} is not on this machine; token counts are approximate "
            f"(run `costctl tokens fetch` once, or set TIKTOKEN_CACHE_DIR to a folder holding it)",
        )
        return None
    try:
        return _encoding_with_cached_ranks(name)
    except Exception as exc:  # a corrupt cache or a failed download must not stop an estimate
        _note_once(
            f"enc:{name}", f"cannot load tiktoken encoding {name!r} ({exc}); token counts are approximate"
        )
        return None


def _ranks_cache_path(name: str) -> Path | None:
    """A pickle of the decoded BPE ranks, keyed by the BPE file's size and mtime; None when disabled."""
    if caching_disabled():
        return None
    bpe = find_bpe_file(name)
    if bpe is None:
        return None
    stat = bpe.stat()
    key = hashlib.sha256(f"{bpe.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:24]
    return cache_dir() / f"bpe-{name}-{key}.pickle"


def _encoding_with_cached_ranks(name: str) -> Any:
    """tiktoken's own encoding, built from BPE ranks we cached already decoded.

    tiktoken decodes its 200k-line base64 BPE file on every start (~300 ms, a third of an estimate of a
    text). The ranks are the same dict tiktoken would build; we hand them to tiktoken's own constructor in
    tiktoken_ext.openai_public (its pattern and special tokens), so the encoding is identical. Any problem
    with the cache falls back to plain `tiktoken.get_encoding`.
    """
    import pickle

    import tiktoken

    cache = _ranks_cache_path(name)
    ranks = None
    if cache is not None and cache.is_file():
        try:
            with cache.open("rb") as handle:
                ranks = pickle.load(handle)  # noqa: S301 - our own cache file
        except Exception:
            ranks = None
    if ranks is None:
        local = find_bpe_file(name)
        if local is not None:
            ranks = _decode_bpe(local)
        else:  # COSTCTL_ALLOW_DOWNLOAD=1: tiktoken downloads into its own cache
            from tiktoken.load import load_tiktoken_bpe

            ranks = load_tiktoken_bpe(BPE_URLS[name], expected_hash=BPE_PINS[name])
        if cache is not None:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache.with_suffix(f".{os.getpid()}.tmp")
                with tmp.open("wb") as handle:
                    pickle.dump(ranks, handle, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, cache)
            except OSError:
                pass
    import tiktoken_ext.openai_public as public

    constructor = getattr(public, name, None)
    if constructor is None or not isinstance(ranks, dict):
        return tiktoken.get_encoding(name)
    original = public.load_tiktoken_bpe
    public.load_tiktoken_bpe = lambda *args, **kwargs: ranks
    try:
        params = constructor()
    finally:
        public.load_tiktoken_bpe = original
    return tiktoken.Encoding(**params)


def _decode_bpe(path: Path) -> dict[bytes, int]:
    """The ranks of a BPE file ("<base64 token> <rank>" per line, as tiktoken.load reads it), pin-checked."""
    import base64

    data = path.read_bytes()
    name = next(n for n in BPE_URLS if bpe_cache_name(n) == path.name)
    if hashlib.sha256(data).hexdigest() != BPE_PINS[name]:
        raise ValueError(f"{path} does not match tiktoken's sha256 pin; run `costctl tokens fetch` again")
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def approximate_tokens(text: str, family: str) -> int:
    if not text:
        return 0
    return math.ceil(len(text) / APPROX_CHARS_PER_TOKEN.get(family, APPROX_CHARS_PER_TOKEN["generic"]))


def count_text_tokens(text: str, tokenizer: str) -> TokenCount:
    """Count `text` with a price table's `tokenizer` name (e.g. "o200k_base", "approx:anthropic")."""
    if tokenizer.startswith("approx:"):
        family = tokenizer.split(":", 1)[1]
        ratio = APPROX_CHARS_PER_TOKEN.get(family, APPROX_CHARS_PER_TOKEN["generic"])
        return TokenCount(approximate_tokens(text, family), False, f"approx:{family} chars/{ratio}")
    enc = _load_encoding(tokenizer)
    if enc is None:
        return TokenCount(
            approximate_tokens(text, "openai"), False, f"approx:openai chars/4 ({tokenizer} unavailable)"
        )
    return TokenCount(len(enc.encode(text, disallowed_special=())), True, f"tiktoken:{tokenizer}")


def count_many(texts: Sequence[str], tokenizer: str, *, threads: int = 2) -> tuple[list[int], bool]:
    """Batch counting (audit of many logged prompts): tiktoken's own threaded batch encoder."""
    if tokenizer.startswith("approx:"):
        family = tokenizer.split(":", 1)[1]
        return [approximate_tokens(t, family) for t in texts], False
    enc = _load_encoding(tokenizer)
    if enc is None:
        return [approximate_tokens(t, "openai") for t in texts], False
    encoded = enc.encode_ordinary_batch(list(texts), num_threads=threads)
    return [len(e) for e in encoded], True


def _content_text(content: Any, where: str) -> str:
    """Text of a message `content`: a string, or a list of parts of which text parts are counted."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") in ("text", "input_text"):
                parts.append(str(part.get("text", "")))
            elif isinstance(part, dict):
                raise InputError(
                    f"content part of type {part.get('type')!r} cannot be counted offline (only text parts)",
                    where=where,
                )
            else:
                raise InputError(f"content part must be an object, got {part!r}", where=where)
        return "".join(parts)
    raise InputError(
        f"message content must be a string or a list of parts, got {type(content).__name__}", where=where
    )


def count_chat_tokens(
    messages: Iterable[Mapping[str, Any]],
    tokenizer: str,
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
    where: str = "request",
) -> TokenCount:
    """Prompt tokens of an OpenAI chat-completions request, as the API bills `usage.prompt_tokens`.

    Messages only: exact (cookbook pairs 124 on gpt-4o/gpt-4o-mini, 129 on gpt-4/gpt-3.5-turbo; see
    tests/test_estimate_tokens.py). With tools, or with assistant `tool_calls`, the layout is measured rather
    than documented, so the count is labelled approximate even where it matches the API (tokens/tools.py).
    """
    message_list = list(messages)
    has_tools = bool(tools)
    total = REPLY_PRIMING
    exact = True
    method = ""
    padded_system = False
    for i, message in enumerate(message_list):
        if not isinstance(message, Mapping):
            raise InputError(f"messages[{i}] must be an object", where=where)
        total += TOKENS_PER_MESSAGE
        for key, value in message.items():
            if key == "content":
                text = _content_text(value, f"{where}: messages[{i}]")
                # With tools the API pads the first system message with a newline (hmarr/openai-chat-tokens).
                if has_tools and message.get("role") == "system" and not padded_system:
                    text += "\n"
                    padded_system = True
            elif key in ("tool_calls", "function_call"):
                text = json.dumps(value, separators=(",", ":"))
                exact = False
            elif isinstance(value, str):
                text = value
            else:
                continue
            count = count_text_tokens(text, tokenizer)
            total += count.tokens
            exact = exact and count.exact
            method = count.method
            if key == "name":
                total += TOKENS_PER_NAME
    if has_tools:
        assert tools is not None
        tool_count = count_tools_tokens(tools, tokenizer)
        total += tool_count.tokens
        if any(m.get("role") == "system" for m in message_list if isinstance(m, Mapping)):
            from costctl.tokens.tools import SYSTEM_REUSE

            total -= SYSTEM_REUSE
        exact = False
    return TokenCount(total, exact, method or count_text_tokens("", tokenizer).method)


def count_tools_tokens(tools: Sequence[Mapping[str, Any]], tokenizer: str) -> TokenCount:
    """Tokens the tool definitions add: the rendered namespace plus its fixed framing (tokens/tools.py).
    Always labelled approximate: the layout is measured by the community, not documented by OpenAI."""
    from costctl.tokens.tools import TOOLS_FRAMING, render_namespace

    count = count_text_tokens(render_namespace(tools), tokenizer)
    return TokenCount(count.tokens + TOOLS_FRAMING, False, count.method)
