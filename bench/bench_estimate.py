"""Speed of `costctl estimate` against its targets (issues 2 and 3, "Speed"), in subprocesses, median of N.

- `costctl --help` wall time (reported);
- `estimate` with explicit token counts vs `python -c "import typer, yaml"` (target <= 2x);
- `estimate` of a text on an OpenAI model vs bare tiktoken loading the encoding and encoding the same text
  (target <= 1.15x);
- `estimate --workload` on a 20-component numeric workload vs `import typer, yaml` (target <= 2x), and that it
  imports none of pandas, duckdb, jinja2.

Run: `make bench` (or `.venv/bin/python bench/bench_estimate.py [runs]`).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = os.environ.get("BENCH_PYTHON", sys.executable)
EXE = Path(PY).parent / "costctl"
COSTCTL = [str(EXE)] if EXE.exists() else [PY, "-m", "costctl"]
TEXT = "Explain the difference between vector databases and relational databases, with examples. " * 20


def env() -> dict[str, str]:
    e = dict(os.environ)
    shared = ROOT.parent / "shared" / "tiktoken-cache"
    if "TIKTOKEN_CACHE_DIR" not in e and shared.is_dir():
        e["TIKTOKEN_CACHE_DIR"] = str(shared)
    return e


def run_once(cmd: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + sys of the child) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, env=env(), check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def timed_all(cmds: dict[str, list[str]], runs: int) -> dict[str, tuple[float, float]]:
    """Median wall and CPU time per command. Runs are interleaved (A B C, A B C, ...) so that load from
    other processes hits every command alike; CPU time is the steadier figure on a busy machine."""
    for cmd in cmds.values():
        subprocess.run(cmd, capture_output=True, env=env(), check=True)  # warm the OS file cache
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in cmds}
    for _ in range(runs):
        for key, cmd in cmds.items():
            samples[key].append(run_once(cmd))
    return {
        k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
        for k, v in samples.items()
    }


def workload_file(directory: Path) -> Path:
    lines = ["components:"]
    models = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "claude-haiku-4-5", "gemini-2.5-flash"]
    for i in range(20):
        lines += [
            f"  - name: feature-{i}",
            f"    model: {models[i % len(models)]}",
            f"    requests_per_day: {1000 * (i + 1)}",
            f"    input_tokens: {300 + 10 * i}",
            f"    output_tokens: {100 + 5 * i}",
            f"    system_prompt_tokens: {1500 + i}",
            "    cache_hit_rate: 0.5",
        ]
    path = directory / "workload.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def heavy_imports(cmd: list[str]) -> list[str]:
    code = (
        "import sys, runpy; sys.argv = {argv!r}\n"
        "try:\n    runpy.run_module('costctl', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print('HEAVY:' + ','.join(m for m in ('pandas', 'duckdb', 'jinja2') if m in sys.modules), file=sys.stderr)"
    ).format(argv=["costctl", *cmd])
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=env())
    last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    return [m for m in last.removeprefix("HEAVY:").split(",") if m] if last.startswith("HEAVY:") else ["?"]


def row(
    label: str,
    value: tuple[float, float],
    base: tuple[float, float] | None = None,
    target: float | None = None,
) -> None:
    wall, cpu = value
    line = f"{label:<58} {wall * 1000:7.0f}"
    if base is not None:
        line += f" ({wall / base[0]:4.2f}x)"
    else:
        line += " " * 8
    line += f" | {cpu * 1000:6.0f}"
    if base is not None:
        ratio = cpu / base[1]
        line += f" ({ratio:4.2f}x)"
        if target is not None:
            line += f"  target <= {target}x: {'ok' if max(ratio, wall / base[0]) <= target else 'MISSED'}"
    print(line)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as tmp:
        work = workload_file(Path(tmp))
        text_file = Path(tmp) / "prompt.txt"
        text_file.write_text(TEXT, encoding="utf-8")
        times = timed_all(
            {
                "base": [PY, "-c", "import typer, yaml"],
                "tiktoken": [
                    PY,
                    "-c",
                    "import sys, tiktoken; e = tiktoken.get_encoding('o200k_base'); "
                    "print(len(e.encode(open(sys.argv[1], encoding='utf-8').read())))",
                    str(text_file),
                ],
                "help": [*COSTCTL, "--help"],
                "tokens": [
                    *COSTCTL,
                    "estimate",
                    "-m",
                    "gpt-4o-mini",
                    "--input-tokens",
                    "1200",
                    "--output-tokens",
                    "300",
                ],
                "text": [
                    *COSTCTL,
                    "estimate",
                    "-m",
                    "gpt-4o",
                    "--file",
                    str(text_file),
                    "--output-tokens",
                    "100",
                ],
                "workload": [*COSTCTL, "estimate", "--workload", str(work), "--format", "json"],
            },
            runs,
        )
        print(
            f"median of {runs} interleaved runs, Python {sys.version.split()[0]}; wall ms (ratio) | cpu ms (ratio)"
        )
        row('python -c "import typer, yaml"', times["base"])
        row("tiktoken: load o200k_base + encode the text", times["tiktoken"])
        row("costctl --help", times["help"], times["base"])
        row("costctl estimate (explicit tokens) vs import typer, yaml", times["tokens"], times["base"], 2.0)
        row("costctl estimate --file (gpt-4o) vs bare tiktoken", times["text"], times["tiktoken"], 1.15)
        row(
            "costctl estimate --workload (20 components) vs typer+yaml", times["workload"], times["base"], 2.0
        )
        for cmd in (["--help"], ["estimate", "--workload", str(work)]):
            found = heavy_imports(cmd)
            print(f"heavy imports for costctl {cmd[0]}: {', '.join(found) or 'none'}")


if __name__ == "__main__":
    main()
