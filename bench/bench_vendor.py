#!/usr/bin/env python3
"""Vendor logs at parser speed (issue "Speed at real shapes", target 3), measured side by side in one run.

1. Claude Code: a projects folder of `--mb` MB (bench/vendor_logs.py: streamed repeats, sidechains, tool use,
   cache tokens, several models, compact JSON). `costctl attribute ingest` + `costctl attribute report --by model
   --grain day` against ccusage 20.0.24 (native binary; `ccusage claude daily --json --offline`) and ccusage
   17.2.1 (JavaScript; `ccusage daily --json --offline -m calculate`), each installed with npm into a temporary
   folder. Wall time and token totals side by side, with the true totals counted while generating.
   Target: costctl within 2x of ccusage 20.0.24's wall time, with the true totals.
2. A re-ingest of the unchanged folder (every file skipped by its size and content hash).
3. MB/s of `attribute ingest` for Claude Code, OpenAI batch output and LiteLLM spend logs against canonical
   JSONL of the same size. Target: every vendor format within 2x of canonical JSONL.

Every command runs as a subprocess (as a user runs it); wall and CPU time (user + sys, all threads) are printed.
The comparison with ccusage is skipped, with the reason, when npm is absent or an install fails.

Usage: python bench/bench_vendor.py [--mb 500] [--workdir DIR] [--skip-ccusage]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import vendor_logs  # noqa: E402

PY = os.environ.get("BENCH_PYTHON", sys.executable)
EXE = Path(PY).parent / "costctl"
COSTCTL = [str(EXE)] if EXE.exists() else [PY, "-m", "costctl"]
CCUSAGE = {"20.0.24": ["ccusage@20.0.24", "@ccusage/ccusage-linux-x64@20.0.24"], "17.2.1": ["ccusage@17.2.1"]}
TARGET_CCUSAGE = 2.0
TARGET_MBPS = 2.0


def timed(
    cmd: list[str], env: dict[str, str] | None = None
) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU time (user + sys of the child and its threads) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd[:4])} ... failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def files_of(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*.jsonl") if p.name != "expected.json")


def ingest(files: list[str], db: Path) -> tuple[float, float, dict[str, Any]]:
    wall, cpu, done = timed([*COSTCTL, "attribute", "ingest", *files, "--db", str(db), "-f", "json"])
    return wall, cpu, json.loads(done.stdout)


def costctl_claude(folder: Path, db: Path) -> dict[str, Any]:
    files = files_of(folder / "projects")
    wall_i, cpu_i, summary = ingest(files, db)
    wall_r, cpu_r, done = timed(
        [*COSTCTL, "attribute", "report", "--db", str(db), "--by", "model", "--grain", "day", "-f", "json"]
    )
    rows = json.loads(done.stdout)["rows"]
    totals = {
        "input": sum(r["input_tokens"] - r["cached_input_tokens"] - r["cache_write_tokens"] for r in rows),
        "output": sum(r["output_tokens"] for r in rows),
        "cache_write": sum(r["cache_write_tokens"] for r in rows),
        "cache_read": sum(r["cached_input_tokens"] for r in rows),
    }
    wall_again, cpu_again, again = ingest(files, db)
    return {
        "wall": wall_i + wall_r,
        "cpu": cpu_i + cpu_r,
        "ingest": wall_i,
        "report": wall_r,
        "totals": totals,
        "loaded": summary["total"]["loaded"],
        "reingest": wall_again,
        "reingest_skipped": len(again.get("unchanged_skipped", [])),
        "files": len(files),
    }


def install_ccusage(root: Path) -> tuple[dict[str, Path], str | None]:
    """npm-install both ccusage versions under `root`; the binaries, or why the comparison is skipped."""
    npm = shutil.which("npm")
    if npm is None:
        return {}, "npm is not on this machine"
    found: dict[str, Path] = {}
    for version, packages in CCUSAGE.items():
        target = root / f"ccusage-{version}"
        target.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(target), *packages],
            capture_output=True,
            text=True,
            check=False,
        )
        binary = target / "node_modules" / ".bin" / "ccusage"
        if done.returncode != 0 or not binary.exists():
            return found, f"npm install {' '.join(packages)} failed: {done.stderr.strip().splitlines()[-1:]}"
        found[version] = binary
    return found, None


def ccusage(binary: Path, version: str, config: Path) -> dict[str, Any]:
    if version.startswith("20"):
        cmd = [str(binary), "claude", "daily", "--json", "--offline"]
    else:
        cmd = [str(binary), "daily", "--json", "--offline", "-m", "calculate"]
    wall, cpu, done = timed(cmd, {"CLAUDE_CONFIG_DIR": str(config)})
    t = json.loads(done.stdout)["totals"]
    return {
        "wall": wall,
        "cpu": cpu,
        "totals": {
            "input": t["inputTokens"],
            "output": t["outputTokens"],
            "cache_write": t["cacheCreationTokens"],
            "cache_read": t["cacheReadTokens"],
        },
        "cost": t.get("totalCost"),
    }


def canonical(folder: Path, mb: float) -> Path:
    """Canonical JSONL of about `mb` MB (the rows of bench_attribute.py)."""
    from bench_attribute import generate

    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / "probe.jsonl"
    generate(probe, 20_000)
    per_row = probe.stat().st_size / 20_000
    probe.unlink()
    path = folder / "canonical.jsonl"
    generate(path, max(1, int(mb * vendor_logs.MB / per_row)))
    return path


def line(label: str, value: str) -> None:
    print(f"  {label:<46} {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=500.0, help="size of each corpus in MB (default 500)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the data here (default: a temp dir)")
    parser.add_argument("--skip-ccusage", action="store_true", help="do not install or run ccusage")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="costctl-bench-vendor-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return run(work, args.mb, skip_ccusage=args.skip_ccusage)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


def run(work: Path, mb: float, *, skip_ccusage: bool) -> int:
    print(f"Vendor logs at parser speed: {mb:g} MB per format, data in {work}")
    claude = work / "claude"
    expected = vendor_logs.claude_code(claude, mb)
    truth = expected["totals"]
    print(
        f"  Claude Code folder: {expected['files']:,} files, {expected['lines']:,} lines, "
        f"{expected['bytes'] / vendor_logs.MB:.0f} MB, {truth['requests']:,} requests"
    )
    ours = costctl_claude(claude, work / "claude.duckdb")
    true_totals = {
        "input": truth["input_tokens"],
        "output": truth["output_tokens"],
        "cache_write": truth["cache_creation_input_tokens"],
        "cache_read": truth["cache_read_input_tokens"],
    }
    print("\nTarget 3a: Claude Code ingest + report --by model --grain day within 2x of ccusage 20.0.24")
    print(
        f"  {'':<22} {'wall s':>8} {'cpu s':>8}  {'input':>12} {'output':>12} {'cache write':>13} {'cache read':>14}"
    )

    def show(name: str, wall: float, cpu: float, totals: dict[str, int]) -> None:
        marks = "" if totals == true_totals else "  (totals differ from the truth)"
        print(
            f"  {name:<22} {wall:8.2f} {cpu:8.2f}  {totals['input']:>12,} {totals['output']:>12,} "
            f"{totals['cache_write']:>13,} {totals['cache_read']:>14,}{marks}"
        )

    show("true totals", 0.0, 0.0, true_totals)
    show("costctl", ours["wall"], ours["cpu"], ours["totals"])
    line("  of which ingest / report", f"{ours['ingest']:.2f} s / {ours['report']:.2f} s")
    status = 0
    if skip_ccusage:
        print("  ccusage: skipped (--skip-ccusage)")
    else:
        binaries, why = install_ccusage(work / "npm")
        if why:
            print(f"  ccusage: comparison skipped: {why}")
        results = {v: ccusage(b, v, claude) for v, b in binaries.items()}
        for version, result in results.items():
            show(f"ccusage {version}", result["wall"], result["cpu"], result["totals"])
        if "20.0.24" in results:
            base = results["20.0.24"]["wall"]
            ratio = ours["wall"] / base
            ok = ratio <= TARGET_CCUSAGE and ours["totals"] == true_totals
            print(
                f"  ratio costctl / ccusage 20.0.24: {ratio:.2f}x (baseline {base:.2f} s; target <= "
                f"{TARGET_CCUSAGE:g}x with the true totals): {'OK' if ok else 'NOT MET'}"
            )
        if "17.2.1" in results:
            print(
                f"  ratio costctl / ccusage 17.2.1: {ours['wall'] / results['17.2.1']['wall']:.2f}x "
                f"(baseline {results['17.2.1']['wall']:.2f} s)"
            )
    print("\nTarget 3b: re-ingest of the unchanged folder")
    line(
        "costctl attribute ingest (same files again)",
        f"{ours['reingest']:.2f} s, "
        f"{ours['reingest_skipped']:,} of {ours['files']:,} files skipped as unchanged",
    )

    print("\nTarget 3c: every vendor format within 2x of canonical JSONL ingest, in MB/s")
    corpora: dict[str, list[str]] = {"claude-code": files_of(claude / "projects")}
    vendor_logs.openai_batch(work / "openai-batch", mb)
    corpora["openai-batch"] = files_of(work / "openai-batch")
    vendor_logs.litellm(work / "litellm", mb)
    corpora["litellm"] = files_of(work / "litellm")
    base_path = canonical(work / "canonical", mb)
    rates: dict[str, tuple[float, float, float]] = {}
    for name, files in [("canonical jsonl", [str(base_path)]), *corpora.items()]:
        size = sum(Path(f).stat().st_size for f in files) / vendor_logs.MB
        wall, cpu, _summary = ingest(files, work / f"{name.replace(' ', '-')}.duckdb")
        rates[name] = (size, wall, cpu)
    base_rate = rates["canonical jsonl"][0] / rates["canonical jsonl"][1]
    for name, (size, wall, cpu) in rates.items():
        rate = size / wall
        ratio = base_rate / rate
        verdict = (
            ""
            if name == "canonical jsonl"
            else (
                f"  {ratio:.2f}x slower than canonical (target <= {TARGET_MBPS:g}x): "
                + ("OK" if ratio <= TARGET_MBPS else "NOT MET")
            )
        )
        print(f"  {name:<16} {size:8.1f} MB {wall:8.2f} s wall {cpu:8.2f} s cpu {rate:8.1f} MB/s{verdict}")
    return status


if __name__ == "__main__":
    sys.exit(main())
