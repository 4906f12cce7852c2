"""Installing is safe: no instruction installs the unrelated `costctl` package from the index."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# `pip install costctl`, `pipx install 'costctl[spark]'`, `uv pip install -U costctl`: the bare index name.
BARE_NAME = re.compile(r"\b(?:pipx?|uv(?: pip)?)\s+install\s+(?:-\S+\s+)*['\"]?costctl(?![\w.-])")


def tracked_text_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [
        ROOT / n for n in names.splitlines() if (ROOT / n).is_file() and (ROOT / n).stat().st_size < 2_000_000
    ]


def test_no_instruction_installs_the_unrelated_costctl_package():
    offenders = []
    for path in tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if BARE_NAME.search(line) and path.name != "test_packaging.py":
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_the_pattern_catches_the_bare_name_only():
    assert BARE_NAME.search("- run: pip install costctl")
    assert BARE_NAME.search("pipx install 'costctl[spark]'")
    assert not BARE_NAME.search("pip install costctl-llm")
    assert not BARE_NAME.search('pip install "git+https://github.com/OWNER/costctl"')
    assert not BARE_NAME.search("pipx install .")


def test_distribution_name_is_free_of_the_clash_and_the_command_is_costctl():
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "costctl-llm"
    assert project["scripts"] == {"costctl": "costctl.cli.app:main"}


def test_pre_commit_hook_manifest():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "costctl-audit-prompt" and hook["language"] == "python"
    assert hook["entry"] == "costctl audit prompt" and "--fail-over" in hook["args"]
    assert re.search(hook["files"], "prompts/support-bot.md") and not re.search(hook["files"], "src/app.py")
