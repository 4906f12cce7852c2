"""Speed target (issue 5): counting the tokens of 100,000 logged prompts with costctl.tokens.counting.count_many
runs at >= 0.9x the throughput of tiktoken's own `encode_ordinary_batch` on two threads. Prints both."""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "tiktoken-cache"
if SHARED.is_dir() and not os.environ.get("TIKTOKEN_CACHE_DIR"):
    os.environ["TIKTOKEN_CACHE_DIR"] = str(SHARED)

import tiktoken  # noqa: E402

from costctl.tokens.counting import count_many, encoding_available  # noqa: E402

N = 100_000
TARGET = 0.9


def prompts(n: int) -> list[str]:
    rng = random.Random(42)
    words = "order refund shipping tent backpack warranty please the a to of and customer number days".split()
    return [" ".join(rng.choice(words) for _ in range(rng.randint(20, 120))) for _ in range(n)]


def best_of(fn, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    if not encoding_available("o200k_base"):
        print("skip: o200k_base is not cached (set TIKTOKEN_CACHE_DIR)")
        return 0
    texts = prompts(N)
    enc = tiktoken.get_encoding("o200k_base")
    enc.encode_ordinary_batch(texts[:100], num_threads=2)  # warm up
    base = best_of(lambda: enc.encode_ordinary_batch(texts, num_threads=2))
    ours = best_of(lambda: count_many(texts, "o200k_base", threads=2))
    ratio = base / ours
    print(f"tiktoken encode_ordinary_batch (2 threads): {N / base:,.0f} prompts/s")
    print(f"costctl count_many (2 threads):             {N / ours:,.0f} prompts/s")
    print(f"ratio {ratio:.2f}x (target >= {TARGET}x): {'OK' if ratio >= TARGET else 'BELOW TARGET'}")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
