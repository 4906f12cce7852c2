"""Audit speed targets.

1. Counting the tokens of 100,000 logged prompts with costctl.tokens.counting.count_many runs at >= 0.9x the
   throughput of tiktoken's own `encode_ordinary_batch` on two threads. Prints both.
2. `costctl audit prompt` in linear time (issue "Speed at real shapes", target 4): a 1 MB prompt in under 5 s and
   a 5 MB prompt in under 30 s, as a subprocess (the way a user runs it); smaller sizes show the growth. Above
   `MAX_PAIRWISE_UNITS` instruction units the pairwise near-duplicate search is skipped and said on stderr.

Usage: python bench/bench_audit.py [--sizes-kb 50,100,200,1000,5000]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
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


PY = os.environ.get("BENCH_PYTHON", sys.executable)
EXE = Path(PY).parent / "costctl"
COSTCTL = [str(EXE)] if EXE.exists() else [PY, "-m", "costctl"]
AUDIT_TARGETS = {1000: 5.0, 5000: 30.0}  # KB -> seconds


def audit_prompt_text(size: int, seed: int = 5) -> str:
    """A long system prompt: sections of short rules (each unique by its number) and prose paragraphs."""
    rng = random.Random(seed)
    verbs = "Use Avoid Prefer Keep Always Never Mention Cite Check Explain Summarise Ask Return Format List".split()
    objects = (
        "metric units|plain English|short sentences|the customer's name|the order number|a polite tone|JSON output|"
        "markdown tables|the refund policy|the status page|bullet points|the help-centre article|two examples"
    ).split("|")
    tails = "when asked|for billing questions|in every answer|unless told otherwise|before escalating".split(
        "|"
    )
    parts: list[str] = []
    length = n = 0
    while length < size:
        n += 1
        block = [f"## Section {n}: {rng.choice(objects)}\n"]
        for _ in range(rng.randint(3, 12)):
            block.append(
                f"- {rng.choice(verbs)} {rng.choice(objects)} {rng.choice(tails)} (rule {rng.randint(1, 10**6)}).\n"
            )
        block.append("\n" + " ".join(rng.choice(objects) for _ in range(rng.randint(10, 40))) + ".\n\n")
        parts.extend(block)
        length += sum(len(b) for b in block)
    return "".join(parts)[:size]


def bench_audit_prompt(sizes_kb: list[int]) -> None:
    print("\naudit prompt in linear time (target: 1 MB < 5 s, 5 MB < 30 s)")
    with tempfile.TemporaryDirectory() as tmp:
        for kb in sizes_kb:
            path = Path(tmp) / f"prompt_{kb}kb.txt"
            path.write_text(audit_prompt_text(kb * 1000))
            start = time.perf_counter()
            done = subprocess.run(
                [*COSTCTL, "audit", "prompt", str(path), "-m", "gpt-4o", "-r", "1000", "-f", "json"],
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.perf_counter() - start
            skipped = (
                "pairwise search skipped" if "were not searched" in done.stderr else "pairwise search run"
            )
            target = AUDIT_TARGETS.get(kb)
            verdict = (
                "" if target is None else f"  target < {target:g} s: {'OK' if wall < target else 'NOT MET'}"
            )
            status = "" if done.returncode in (0, 1) else f"  exit {done.returncode}: {done.stderr[-300:]}"
            print(f"  {kb:>6,} KB  {wall:7.2f} s  ({skipped}){verdict}{status}")


def main() -> int:
    parser = argparse.ArgumentParser(description="audit speed targets")
    parser.add_argument(
        "--sizes-kb", default="50,100,200,1000,5000", help="prompt sizes for audit prompt, in KB"
    )
    args = parser.parse_args()
    bench_audit_prompt([int(x) for x in args.sizes_kb.split(",") if x.strip()])
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
