"""The CI conventions users expect: the composite GitHub Action (action.yml) and the pre-commit hook.

The action's run steps are executed here as the Actions runner would: bash, the step's env with every
`${{ inputs.* }}` expression filled in, the GITHUB_* files (ENV, OUTPUT, STEP_SUMMARY) read back between steps,
inside a throw-away git repository with a base commit to compare with. The upload step uses a marketplace
action that only exists on GitHub, so its wiring is checked instead. The hook runs through
`pre-commit try-repo`, which installs this checkout as pre-commit would install it from GitHub.

Both install costctl into a new virtual environment (that is what they are for), so they need the package
index or pip's cache; they skip with the reason when the install cannot be done here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures" / "estimate"
ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", "-C", str(repo), *args],
        check=True,
        capture_output=True,
    )


def read_kv(path: Path) -> dict[str, str]:
    """A GITHUB_ENV / GITHUB_OUTPUT file (one `name=value` a line) as a dict."""
    if not path.exists():
        return {}
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)


class Runner:
    """Runs the action's `run:` steps the way the Actions runner does, one step after another."""

    def __init__(self, tmp: Path, workspace: Path, inputs: dict[str, str]) -> None:
        self.files = {
            name: tmp / name.lower() for name in ("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")
        }
        for path in self.files.values():
            path.write_text("", encoding="utf-8")
        (tmp / "runner-temp").mkdir(exist_ok=True)
        self.workspace = workspace
        declared = ACTION["inputs"]
        unknown = set(inputs) - set(declared)
        assert not unknown, f"not inputs of action.yml: {unknown}"
        self.inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()} | inputs
        self.base_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")},
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_BASE_REF": "main",
            "GITHUB_EVENT_NAME": "pull_request",
            "RUNNER_TEMP": str(tmp / "runner-temp"),
            **{name: str(path) for name, path in self.files.items()},
        }

    def expand(self, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("inputs."):
                return self.inputs[expr.removeprefix("inputs.")]
            if expr == "github.action_path":
                return str(ROOT)
            raise AssertionError(f"expression this test does not evaluate: {expr}")

        return EXPR.sub(value, text)

    def run(self, step: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        assert step["shell"] == "bash"
        env = {**self.base_env, **read_kv(self.files["GITHUB_ENV"])}
        env.update({k: self.expand(str(v)) for k, v in step.get("env", {}).items()})
        cwd = self.workspace / self.expand(step.get("working-directory", "."))
        # GitHub's bash shell: `bash --noprofile --norc -eo pipefail {0}`
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def output(self) -> dict[str, str]:
        return read_kv(self.files["GITHUB_OUTPUT"])


def step(name_part: str) -> dict[str, Any]:
    found = [s for s in ACTION["runs"]["steps"] if name_part in s["name"]]
    assert len(found) == 1, name_part
    return found[0]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Run the install step once for the module; its GITHUB_ENV lines (where costctl went) are returned."""
    tmp = tmp_path_factory.mktemp("action-install")
    runner = Runner(tmp, tmp, {"workload": "unused.yaml", "python": sys.executable})
    proc = runner.run(step("Install"))
    if proc.returncode != 0:
        pytest.skip(
            f"cannot pip install this checkout here (no index or cache?): {proc.stderr.strip()[-300:]}"
        )
    assert re.match(r"costctl \S+", proc.stdout.strip().splitlines()[-1]), proc.stdout
    env = read_kv(runner.files["GITHUB_ENV"])
    assert Path(env["COSTCTL_BIN"]).is_file()
    return env


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A repository whose branch raises the workload's traffic by 20 % over `origin/main`."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "ai").mkdir()
    work = repo / "ai" / "workload.yaml"
    work.write_text((FIX / "minimal.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")  # what actions/checkout fetch-depth 0 gives
    git(repo, "checkout", "-q", "-b", "feature")
    work.write_text(work.read_text(encoding="utf-8").replace("500000", "600000"), encoding="utf-8")
    git(repo, "commit", "-qam", "more traffic")
    return repo


def gate_run(tmp_path: Path, repo: Path, installed: dict[str, str], **inputs: str) -> tuple[Runner, Any]:
    runner = Runner(tmp_path, repo, {"workload": "ai/workload.yaml", **inputs})
    runner.files["GITHUB_ENV"].write_text(
        "".join(f"{k}={v}\n" for k, v in installed.items()), encoding="utf-8"
    )
    return runner, runner.run(step("gate"))


def test_action_fails_the_job_on_a_breach_with_summary_junit_and_comment(tmp_path, pull_request, installed):
    runner, proc = gate_run(tmp_path, pull_request, installed, **{"max-increase-pct": "10"})
    assert proc.returncode == 1, proc.stderr
    out = runner.output()
    assert out["exit-code"] == "1"
    # the baseline is origin/<base branch> by default: $690 a month before, $828 now (+20 %)
    summary = runner.files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8")
    assert "690" in summary and "828" in summary
    assert "::error" in proc.stderr  # annotations for the Actions runner
    junit = ET.parse(out["junit"]).getroot()
    assert len(list(junit.iter("failure"))) >= 1
    assert Path(out["junit"]).parent == pull_request
    assert "<!-- costctl:gate -->" in Path(out["comment"]).read_text(encoding="utf-8")


def test_action_passes_under_the_thresholds_and_reads_the_workload_rules(tmp_path, pull_request, installed):
    runner, proc = gate_run(
        tmp_path, pull_request, installed, **{"max-increase-pct": "25", "max-monthly": "1000"}
    )
    assert proc.returncode == 0, proc.stderr
    assert runner.output()["exit-code"] == "0"
    # no threshold input: the workload's own gate rules decide
    work = pull_request / "ai" / "workload.yaml"
    work.write_text(
        work.read_text(encoding="utf-8") + "gate:\n  rules:\n    - {metric: monthly_cost, fail: 800}\n"
    )
    runner, proc = gate_run(tmp_path, pull_request, installed)  # fresh GITHUB_* files
    assert proc.returncode == 1 and runner.output()["exit-code"] == "1", proc.stderr


def test_action_inputs_cannot_inject_shell(tmp_path, pull_request, installed):
    runner, proc = gate_run(tmp_path, pull_request, installed, workload="$(touch pwned); ai/workload.yaml")
    assert proc.returncode == 2  # a workload file of that odd name does not exist: usage error
    assert not (pull_request / "pwned").exists()


def test_action_uploads_the_junit_report_even_when_the_gate_fails():
    upload = step("Upload")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert "always()" in upload["if"] and "inputs.upload-junit" in upload["if"]
    assert "steps.gate.outputs.junit" in upload["with"]["path"]
    install = step("Install")
    assert (
        "$GITHUB_ACTION_PATH" in install["run"]
    )  # installs the action's own checkout, never the index's costctl
    assert ACTION["runs"]["using"] == "composite"


@pytest.fixture
def prompts_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "prompts-repo"
    (repo / "prompts").mkdir(parents=True)
    git(repo, "init", "-q")
    para = " ".join(
        f"Rule {i}: check order number {i} before answering about shipment {i * 7}." for i in range(300)
    )
    (repo / "prompts" / "bloated.md").write_text(
        f"# Role\n\nYou are a support agent.\n\n{para}\n\n# Policy\n\nShipping is free.\n\n{para}\n",
        encoding="utf-8",
    )
    shutil.copy(ROOT / "examples" / "prompts" / "support-bot.md", repo / "prompts" / "support-bot.md")
    (repo / "README.md").write_text("not a prompt\n", encoding="utf-8")
    git(repo, "add", ".")
    return repo


def test_pre_commit_hook_fails_on_a_wasteful_prompt_and_passes_a_lean_one(prompts_repo, tmp_path):
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed (it comes with the dev extra: pip install -e '.[dev]')")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}

    def try_repo(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(pre_commit), "try-repo", str(ROOT), "costctl-audit-prompt", "--files", *files],
            cwd=prompts_repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    lean = try_repo("prompts/support-bot.md", "README.md")
    if lean.returncode != 0 and "An unexpected error has occurred" in lean.stdout + lean.stderr:
        pytest.skip(f"pre-commit could not install this checkout here: {(lean.stdout + lean.stderr)[-300:]}")
    assert lean.returncode == 0, lean.stdout + lean.stderr
    assert "Passed" in lean.stdout
    wasteful = try_repo("prompts/bloated.md")
    assert wasteful.returncode == 1, wasteful.stdout + wasteful.stderr
    assert "exceeds --fail-over" in wasteful.stdout and "duplicate" in wasteful.stdout.lower()
