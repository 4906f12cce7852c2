"""Tag rule files: strict validation with clear errors, and first-match-wins evaluation."""

from __future__ import annotations

from pathlib import Path

import pytest

from costctl.errors import InputError
from costctl.logs.rules import TagRules


def test_load_and_apply(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "feature: {from: metadata.route}\n"
        "team:\n  - {from: metadata.team}\n  - {value: platform}\n"
        'user_id: {regex: "^(?P<feature>[a-z]+)-(?P<user_id>u\\\\d+)$", on: custom_id}\n'
        "environment: {from: attributes.deployment.environment.name, default: dev}\n"
    )
    rules = TagRules.load(path)
    row: dict[str, object] = {"feature": "old", "team": None}
    context = {
        "metadata": {"route": "/search"},
        "custom_id": "faq-u12",
        "attributes": {"deployment.environment.name": "prod"},
    }
    rules.apply(row, context)
    assert row == {"feature": "/search", "team": "platform", "user_id": "u12", "environment": "prod"}


def test_no_match_keeps_adapter_value_or_default() -> None:
    rules = TagRules.from_mapping(
        {
            "feature": {"regex": "^x-(.*)$", "on": "custom_id"},
            "environment": {"from": "metadata.env", "default": "dev"},
        }
    )
    row: dict[str, object] = {"feature": "from-adapter"}
    rules.apply(row, {"custom_id": "nomatch", "metadata": {}})
    assert row == {"feature": "from-adapter", "environment": "dev"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"colour": {"from": "metadata.x"}}, "unknown target 'colour'"),
        ({"feature": {"from": "metadata.x", "regex": "a"}}, "exactly one of from, regex, value"),
        ({"feature": {}}, "exactly one of"),
        ({"feature": {"regex": "a"}}, "needs 'on: PATH'"),
        ({"feature": {"regex": "(", "on": "custom_id"}}, "does not compile"),
        ({"feature": {"from": "metadata..x"}}, "dotted path"),
        ({"feature": {"from": "a", "colour": 1}}, "unknown key(s) colour"),
        ({"feature": "metadata.route"}, "rule must be a mapping"),
        ({"feature": []}, "empty rule list"),
        ({"feature": {"value": ["a"]}}, "value must be a string"),
        ([1, 2], "must be a mapping of target to rule"),
        (None, "must be a mapping"),
    ],
)
def test_invalid_rules_name_the_problem(data: object, message: str) -> None:
    with pytest.raises(InputError) as err:
        TagRules.from_mapping(data, where="rules.yaml")
    assert message in err.value.line()
    assert err.value.line().startswith("rules.yaml")


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("feature: {from: [\n")
    with pytest.raises(InputError, match="malformed YAML") as err:
        TagRules.load(bad)
    assert str(bad) in err.value.line()
    with pytest.raises(InputError, match="tag rules file not found"):
        TagRules.load(tmp_path / "missing.yaml")
