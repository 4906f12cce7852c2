"""Near-duplicate and conflicting instructions: char_wb 3-5-gram TF-IDF cosine with a negation/number guard.

Why this method (docs/audit.md#similarity-method): on a synthetic set of 40 prompts it scored P=0.99 / R=0.68 / F1=0.81,
better than MiniLM embeddings (F1 0.76) and ~100x faster, and it needs no model. It is plain Python here
(sparse dicts), because the pairwise work for n <= 300 units per prompt is small (docs/audit.md#similarity-method) and numpy is not a
dependency of costctl.

The guard (docs/audit.md#similarity-method) turns a would-be duplicate into a possible conflict when the two units differ by a negation,
a number, or a swapped value word ("Use metric units." / "Use imperial units."). Heavily reworded duplicates
are not found by any cheap method (docs/audit.md#similarity-method); reports say so.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

# docs/audit.md#similarity-method: char TF-IDF + guard tuned at 0.79 (scenario A) to 0.87 (B); 0.80 is the default.
DUPLICATE_THRESHOLD = 0.80
# The guard runs on every pair with similarity >= 0.5 whose normalised texts differ.
GUARD_FLOOR = 0.50

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# The measured negation set, plus the obvious contractions (docs/audit.md#similarity-method).
NEGATIONS = frozenset(
    {
        "not",
        "no",
        "never",
        "don't",
        "dont",
        "do",
        "avoid",
        "without",
        "instead",
        "cannot",
        "can't",
        "won't",
        "none",
    }
)
# Value words (languages, units, formats, comparatives), widened a little; the measured list fit the
# synthetic conflicts exactly, so this list is a start, not a promise.
VALUE_WORDS = frozenset(
    {
        "english", "spanish", "french", "german", "italian", "portuguese", "chinese", "japanese",
        "python", "javascript", "typescript", "java", "go", "rust", "sql",
        "metric", "imperial", "celsius", "fahrenheit", "km", "kilometers", "miles", "kg", "pounds", "lbs",
        "usd", "eur", "gbp", "dollars", "euros",
        "json", "markdown", "plain", "html", "xml", "yaml", "csv", "text", "bullets", "table",
        "over", "under", "above", "below", "more", "less", "fewer", "least", "most", "maximum", "minimum",
        "always", "only", "formal", "informal", "casual", "short", "long", "brief", "detailed",
        "once", "twice", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "first", "last", "before", "after", "lowercase", "uppercase", "yes", "true", "false",
    }
)  # fmt: skip
_VALUE_WORD_DIFF_LIMIT = 4  # Guard rule 3: the units differ by at most 4 words


def normalise(text: str) -> str:
    """Lower case, markup and punctuation stripped, whitespace collapsed (CA101/CA102, docs/audit.md#prompt-rules)."""
    text = re.sub(r"[*_`#>|\-\u2022]+", " ", text.lower())
    return " ".join(_WORD.findall(text))


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def char_ngrams(text: str, low: int = 3, high: int = 5) -> Counter[str]:
    """scikit-learn's `char_wb` analyser: n-grams inside each word padded with one space either side."""
    grams: Counter[str] = Counter()
    for word in normalise(text).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) < n:
                continue
            for i in range(len(padded) - n + 1):
                grams[padded[i : i + n]] += 1
    return grams


def tfidf_vectors(texts: Sequence[str]) -> list[dict[str, float]]:
    """Sublinear-tf, smooth-idf TF-IDF fitted on `texts` (one prompt), L2-normalised."""
    counts = [char_ngrams(t) for t in texts]
    n_docs = len(counts)
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    vectors: list[dict[str, float]] = []
    for c in counts:
        vec = {g: (1.0 + math.log(tf)) * (math.log((1 + n_docs) / (1 + df[g])) + 1.0) for g, tf in c.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({g: v / norm for g, v in vec.items()})
    return vectors


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(g, 0.0) for g, v in a.items())


def jaccard(a: set[str], b: set[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def guard_reason(a: str, b: str) -> str | None:
    """Why two similar units may be a conflict rather than a duplicate, or None (docs/audit.md#similarity-method)."""
    diff = words(a) ^ words(b)
    if not diff:
        return None
    negations = sorted(diff & NEGATIONS)
    if negations:
        return f"negation differs ({', '.join(negations)})"
    numbers = sorted(w for w in diff if any(ch.isdigit() for ch in w))
    if numbers:
        return f"number differs ({', '.join(numbers)})"
    values = sorted(diff & VALUE_WORDS)
    if values and len(diff) <= _VALUE_WORD_DIFF_LIMIT:
        return f"value differs ({' vs '.join(values)})"
    return None


@dataclass(frozen=True)
class PairScore:
    i: int
    j: int
    similarity: float
    exact: bool
    conflict_reason: str | None


# Above this many instruction units the pairwise search (near duplicates, conflicts) is skipped: it compares
# every pair (n^2 / 2 cosines, ~20 us each), so 600 units take a few seconds and 10,000 (a 1 MB prompt) would
# take half an hour. Exact repeats are still found for any size, by hashing.
MAX_PAIRWISE_UNITS = 600


def exact_pairs(texts: Sequence[str]) -> list[PairScore]:
    """Pairs whose normalised texts are equal (and not empty), in (i, j) order: linear, by hashing."""
    groups: dict[str, list[int]] = {}
    for index, text in enumerate(texts):
        norm = normalise(text)
        if norm:
            groups.setdefault(norm, []).append(index)
    found = [
        PairScore(i, j, 1.0, True, None)
        for ids in groups.values()
        for k, i in enumerate(ids)
        for j in ids[k + 1 :]
    ]
    return sorted(found, key=lambda p: (p.i, p.j))


def similar_pairs(
    texts: Sequence[str], *, threshold: float = DUPLICATE_THRESHOLD, guard_floor: float = GUARD_FLOOR
) -> list[PairScore]:
    """Every pair that is an exact duplicate, a near duplicate (>= threshold, guard silent), or a possible
    conflict (>= guard_floor and the guard trips). Pairs are (i < j), in order."""
    norms = [normalise(t) for t in texts]
    word_sets = [words(t) for t in texts]
    vectors = tfidf_vectors(texts)
    found: list[PairScore] = []
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if norms[i] and norms[i] == norms[j]:
                found.append(PairScore(i, j, 1.0, True, None))
                continue
            sim = cosine(vectors[i], vectors[j])
            # Short rules ("Use metric units.") share too few n-grams for the cosine to reach the guard
            # floor, so the guard also sees pairs whose word sets overlap by half or more.
            overlap = jaccard(word_sets[i], word_sets[j])
            if max(sim, overlap) < guard_floor:
                continue
            reason = guard_reason(texts[i], texts[j])
            if reason is not None:
                found.append(PairScore(i, j, max(sim, overlap), False, reason))
            elif sim >= threshold:
                found.append(PairScore(i, j, sim, False, None))
    return found
