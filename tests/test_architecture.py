"""The data flows one way: vocabulary <- pricing/tokens/logs <- cost <- commands <- render <- cli.

Checked on the import statements of every module, so a layering slip fails here rather than in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "costctl"

# package prefix -> costctl packages it must not import
FORBIDDEN = {
    "costctl.models": [
        "costctl.pricing",
        "costctl.cost",
        "costctl.commands",
        "costctl.cli",
        "costctl.render",
    ],
    "costctl.errors": ["costctl."],
    "costctl.report": [
        "costctl.pricing",
        "costctl.cost",
        "costctl.commands",
        "costctl.cli",
        "costctl.render",
    ],
    "costctl.cost": [
        "costctl.pricing",
        "costctl.tokens",
        "costctl.logs",
        "costctl.commands",
        "costctl.cli",
        "costctl.render",
    ],
    "costctl.pricing": ["costctl.cost", "costctl.commands", "costctl.cli", "costctl.render"],
    "costctl.tokens": ["costctl.cost", "costctl.commands", "costctl.cli", "costctl.render"],
    "costctl.logs": ["costctl.commands", "costctl.cli", "costctl.render"],
    "costctl.budget": ["costctl.commands", "costctl.cli", "costctl.render"],
    "costctl.commands": ["costctl.cli"],
    "costctl.render": ["costctl.commands", "costctl.cli"],
}


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        found.append((name, path))
    return found


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize(("name", "path"), modules(), ids=lambda v: str(v) if isinstance(v, str) else "")
def test_layering(name, path):
    for prefix, banned in FORBIDDEN.items():
        if name == prefix or name.startswith(prefix + "."):
            for imported in imports_of(path):
                for ban in banned:
                    assert not (
                        imported == ban.rstrip(".") or imported.startswith(ban.rstrip(".") + ".")
                    ) or (ban == "costctl." and imported == "costctl.errors"), (
                        f"{name} imports {imported}, which the layering forbids"
                    )


def test_cli_modules_import_no_heavy_library_at_module_level():
    heavy = {"duckdb", "pandas", "jinja2", "pyspark", "pyarrow", "numpy"}
    for name, path in modules():
        if not name.startswith("costctl.cli"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & heavy, name
            elif isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in heavy, name
