"""Docs that cannot drift: every command is in the README, every documented command runs as shown, and no
tracked file cites a file users do not have."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from costctl.cli.app import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def command_paths() -> list[str]:
    root = typer.main.get_command(app)
    paths: list[str] = []

    def walk(cmd: Any, prefix: str) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            paths.append(prefix)

    walk(root, "")
    return paths


def test_every_command_is_documented_in_the_readme():
    missing = [p for p in command_paths() if f"costctl {p}" not in README]
    assert not missing, f"README does not show: {missing}"


def test_every_command_has_help_with_an_example():
    root = typer.main.get_command(app)
    for path in command_paths():
        cmd: Any = root
        for part in path.split():
            cmd = cmd.commands[part]
        assert cmd.help and "costctl" in cmd.help, f"`costctl {path}` --help has no example"


def test_readme_shows_setup_and_exit_codes():
    for needle in ("make demo", "make test", "make lint", "make bench", "| 130 |"):
        assert needle in README


# --------------------------------------------------------------------------------------------------------------
# The documentation stands on its own: no tracked file cites a file users do not have.

ROOT = Path(__file__).resolve().parents[1]
# Built from pieces so that this file does not match its own patterns.
SHARED_DIR = ".." + "/shared"
FORBIDDEN = {
    "a sibling `shared` folder": re.compile(re.escape(SHARED_DIR)),
    "a research file (reference/<name>.md)": re.compile(r"\breference/[\w-]+\.md"),
    "an absolute machine path": re.compile("/" + r"(?:work|root|Users)/|/" + r"home/[a-z_][\w-]*/"),
}
# Files allowed one kind of mention, and why.
ALLOWED = {
    ".ci/run": ("a sibling `shared` folder", "CI's own layout: the tiktoken cache beside the clone"),
    "Makefile": ("a sibling `shared` folder", "optional lookup of CI's tiktoken cache"),
    "tests/conftest.py": ("a sibling `shared` folder", "tests that skip when the optional folder is absent"),
    "tests/test_tokens_fetch.py": ("a sibling `shared` folder", "skip reason of a test that needs the cache"),
    "tests/test_adapters_real_logs.py": ("a sibling `shared` folder", "skip reason: real logs are optional"),
}
# Log fixtures record the working directory the way Claude Code writes it (a made-up user, `dev`).
LOG_FIXTURES = re.compile(r"^tests/fixtures/logs/claude_code_[\w-]+\.jsonl$")


def tracked_files() -> list[str]:
    try:
        proc = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    except OSError as exc:
        pytest.skip(f"git is not available ({exc})")
    if proc.returncode != 0:
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    return [line for line in proc.stdout.splitlines() if line]


def citations(path: str, text: str) -> list[str]:
    found = []
    for kind, pattern in FORBIDDEN.items():
        allowed = ALLOWED.get(path)
        if allowed is not None and allowed[0] == kind:
            continue
        if kind == "an absolute machine path" and LOG_FIXTURES.match(path):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if pattern.search(line):
                found.append(f"{path}:{number}: {kind}: {line.strip()[:100]}")
    return found


def test_no_tracked_file_cites_files_users_do_not_have():
    problems = []
    for path in tracked_files():
        try:
            text = (ROOT / path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue  # binary (the report screenshot) or deleted in the working tree
        problems += citations(path, text)
    assert not problems, "tracked files cite files users do not have:\n" + "\n".join(problems)


def test_the_citation_check_can_fail():
    research, home, work = "reference" + "/pricing.md", "/" + "home/alice/x", "/" + "work/main"
    bad = f"see {SHARED_DIR}/{research} and {home} and {work}"
    kinds = {line.split(": ")[1] for line in citations("src/x.py", bad)}
    assert kinds == set(FORBIDDEN)
    assert citations("Makefile", f"C := {SHARED_DIR}/tiktoken-cache") == []
    assert citations("Makefile", f"see {work}") != []  # an allowance covers one kind only
    assert citations("src/costctl/x.py", "docs/pricing.md#batch-prices") == []


# --------------------------------------------------------------------------------------------------------------
# Every command shown in the README and docs/ runs as shown.
#
# The rule: in fenced blocks marked `console`, `sh`, `bash` or `shell`, every line that starts with `costctl `
# (after an optional `$ ` prompt; a trailing `\` continues it) is run, and so are shell variable assignments
# (`P="…"`, `ID=$(…)`), the set-up those commands use. All of a document's lines run in order in one bash
# process from the root of a temporary copy of the repository, so a later command sees the files and variables
# an earlier one made. Each `costctl` command must exit 0, or N when its comment says `exit N` (a trailing
# `# …` or comment lines right below it). Other lines (make, pipx, pip, source) are for a reader and are not
# run. A block right after a `<!-- not run: why -->` comment is left out (the `tokens fetch` examples: they
# download, or need a folder or mirror that only the reader has).

RUN_LANGUAGES = {"console", "sh", "bash", "shell"}
DOCUMENTS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
_EXIT = re.compile(r"\bexit (\d+)\b")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def split_comment(line: str) -> tuple[str, str]:
    """(command, comment): the first `#` outside quotes that starts a word begins the comment."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def documented_commands(text: str) -> list[tuple[int, str, int | None]]:
    """(line number, shell line, expected exit code) for every runnable line of a markdown text, in order.
    The expected code is None for a variable assignment (set-up, not checked)."""
    lines = text.splitlines()
    found: list[tuple[int, str, int | None]] = []
    previous = ""
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if fence is None:
            if lines[i].strip():
                previous = lines[i].strip()
            i += 1
            continue
        language = fence.group(2)
        i += 1
        body: list[tuple[int, str]] = []
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append((i + 1, lines[i].strip()))
            i += 1
        i += 1
        skipped = previous.startswith("<!-- not run")
        previous = ""
        if language not in RUN_LANGUAGES or skipped:
            continue
        j = 0
        while j < len(body):
            number, line = body[j]
            while line.endswith("\\") and j + 1 < len(body):
                j += 1
                line = line[:-1].rstrip() + " " + body[j][1]
            j += 1
            line = line.removeprefix("$ ")
            code, comment = split_comment(line)
            while j < len(body) and body[j][1].startswith("#"):  # comment lines below belong to it
                comment += " " + body[j][1]
                j += 1
            if code.startswith("costctl "):
                expected = _EXIT.search(comment)
                found.append((number, code, int(expected.group(1)) if expected else 0))
            elif _ASSIGNMENT.match(code):
                found.append((number, code, None))
    return found


def test_command_collection_rule():
    text = (
        "```sh\nmake demo\ncostctl a \\\n  --b 1   # exit 1: why\n$ costctl c '#x' # note\n```\n"
        "<!-- not run: downloads -->\n```sh\ncostctl fetch\n```\n```yaml\n- run: costctl d\n```\n"
        '```console\n$ X="a # b"\n$ costctl e --text "$X"\n    # blocked; exit 3\n```\n'
    )
    assert documented_commands(text) == [
        (3, "costctl a --b 1", 1),
        (5, "costctl c '#x'", 0),
        (15, 'X="a # b"', None),
        (16, 'costctl e --text "$X"', 3),
    ]


def test_the_readme_shows_every_command_it_runs():
    commands = [c for _, c, expected in documented_commands(README) if expected is not None]
    assert len(commands) >= 30
    for path in command_paths():
        if path == "tokens fetch":
            continue  # shown in a not-run block: it downloads
        assert any(c.startswith(f"costctl {path}") for c in commands), f"no runnable example of {path}"


def _copy_of_repository(target: Path) -> Path:
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "out", "lake", "*.duckdb*", "__pycache__", ".*_cache", "build", "dist", "*.egg-info"
    )
    shutil.copytree(ROOT, target, ignore=ignore, symlinks=True)
    return target


@pytest.mark.slow
@pytest.mark.parametrize("document", DOCUMENTS)
def test_documented_commands_run_as_shown(document: str, tmp_path: Path):
    commands = documented_commands((ROOT / document).read_text(encoding="utf-8"))
    if not commands:
        return
    repo = _copy_of_repository(tmp_path / "repo")
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "costctl").exists():  # not installed as a console script: run the module instead
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        shim = bin_dir / "costctl"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m costctl "$@"\n', encoding="utf-8")
        shim.chmod(0o755)
    env["PATH"] = str(bin_dir) + os.pathsep + env.get("PATH", "")
    env.setdefault("COSTCTL_CACHE_DIR", str(tmp_path / "cache"))
    script = []
    for index, (_, line, expected) in enumerate(commands):
        if expected is None:
            script.append(line)
        else:
            out, err = logs / f"{index}.out", logs / f"{index}.err"
            script.append(f'{line} >"{out}" 2>"{err}"; echo "{index} $?" >>"{logs / "codes"}"')
    (tmp_path / "doc.sh").write_text("\n".join(script) + "\n", encoding="utf-8")
    subprocess.run(["bash", str(tmp_path / "doc.sh")], cwd=repo, env=env, timeout=600, check=False)
    codes_file = logs / "codes"
    codes_text = codes_file.read_text(encoding="utf-8") if codes_file.exists() else ""
    codes = dict(line.split() for line in codes_text.splitlines())
    failures = []
    for index, (number, line, expected) in enumerate(commands):
        if expected is None:
            continue
        got = codes.get(str(index))
        if got is None or int(got) != expected:
            err = logs / f"{index}.err"
            stderr = err.read_text(encoding="utf-8") if err.exists() else "(not reached)"
            tail = "\n    ".join(stderr.strip().splitlines()[-3:])
            failures.append(f"{document}:{number}: `{line}` exited {got}, expected {expected}\n    {tail}")
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------------------------------------------
# Pointers into docs/ resolve: comments and messages cite `docs/<page>.md#<section>`, and those must exist.

_POINTER = re.compile(r"\bdocs/([\w-]+\.md)(?:#([\w-]+))?")
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def heading_anchors(markdown: str) -> set[str]:
    """GitHub's anchors: lower case, punctuation other than `-` and `_` dropped, spaces as `-`."""
    anchors = set()
    for line in markdown.splitlines():
        heading = re.match(r"^#{1,6}\s+(.+?)\s*#*\s*$", line)
        if heading:
            text = re.sub(r"[^\w\- ]", "", heading.group(1).lower())
            anchors.add(text.replace(" ", "-"))
    return anchors


def test_heading_anchors_follow_github():
    assert heading_anchors("## Output length: what is and is not billed\n### Tag rules (`--rules FILE`)") == {
        "output-length-what-is-and-is-not-billed",
        "tag-rules---rules-file",
    }


def test_every_pointer_into_docs_resolves():
    docs = {p.name: heading_anchors(p.read_text(encoding="utf-8")) for p in (ROOT / "docs").glob("*.md")}
    broken = []
    for path in tracked_files():
        try:
            text = (ROOT / path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for page, anchor in _POINTER.findall(line):
                if page not in docs or (anchor and anchor not in docs[page]):
                    broken.append(f"{path}:{number}: docs/{page}{'#' + anchor if anchor else ''}")
    assert not broken, "pointers to missing docs pages or sections:\n" + "\n".join(broken)


def test_every_relative_link_in_the_docs_resolves():
    broken = []
    for document in DOCUMENTS:
        source = ROOT / document
        for target in _LINK.findall(source.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):
                continue  # a URL
            file_part, _, anchor = target.partition("#")
            resolved = (source.parent / file_part).resolve() if file_part else source
            if not resolved.exists():
                broken.append(f"{document}: {target}")
            elif anchor and resolved.suffix == ".md":
                if anchor not in heading_anchors(resolved.read_text(encoding="utf-8")):
                    broken.append(f"{document}: {target} (no such section)")
    assert not broken, "broken links:\n" + "\n".join(broken)
