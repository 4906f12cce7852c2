"""Exact OpenAI chat counting, proved on published pairs of request and API-reported usage.prompt_tokens.

Pairs:
- OpenAI cookbook "How to count tokens with tiktoken" §6 (six messages with names): the API reported 124
  prompt tokens on gpt-4o and gpt-4o-mini, 129 on gpt-4 and gpt-3.5-turbo.
- Same cookbook §7 (weather tool): 101 on gpt-4o / gpt-4o-mini, 105 on gpt-4 / gpt-3.5-turbo.
- hmarr/openai-chat-tokens tests (gpt-3.5-turbo, probed against the API): the recipe tool (validated against
  the API in that suite) = 106, and smaller cases.
Real tiktoken, no mocks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke, needs_tiktoken_cache, run_costctl

from costctl.tokens.counting import count_chat_tokens
from costctl.tokens.request import parse_chat_request

FIX = Path(__file__).parent / "fixtures" / "estimate"
pytestmark = needs_tiktoken_cache


def body(name: str) -> dict:
    return json.loads((FIX / name).read_text())


@pytest.mark.parametrize(
    ("model", "expected"), [("gpt-4o", 124), ("gpt-4o-mini", 124), ("gpt-4", 129), ("gpt-3.5-turbo", 129)]
)
def test_cookbook_messages_match_api_prompt_tokens(catalog, model, expected):
    req = parse_chat_request(body("cookbook_messages.json"))
    count = req.count(catalog.get(model).tokenizer)
    assert count.tokens == expected
    assert count.exact


@pytest.mark.parametrize(
    ("model", "expected"), [("gpt-4o", 101), ("gpt-4o-mini", 101), ("gpt-4", 105), ("gpt-3.5-turbo", 105)]
)
def test_cookbook_tools_match_api_prompt_tokens_but_stay_approximate(catalog, model, expected):
    req = parse_chat_request(body("cookbook_tools.json"))
    count = req.count(catalog.get(model).tokenizer)
    assert count.tokens == expected
    assert not count.exact  # the tool layout is measured, not documented


RECIPE = {
    "name": "get_recipe",
    "parameters": {
        "type": "object",
        "required": ["ingredients", "instructions", "time_to_cook"],
        "properties": {
            "ingredients": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "unit", "amount"],
                    "properties": {
                        "name": {"type": "string"},
                        "unit": {"enum": ["grams", "ml", "cups", "pieces", "teaspoons"], "type": "string"},
                        "amount": {"type": "number"},
                    },
                },
            },
            "instructions": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Steps to prepare the recipe (no numbering)",
            },
            "time_to_cook": {"type": "number", "description": "Total time to prepare the recipe in minutes"},
        },
    },
}


@pytest.mark.parametrize(
    ("messages", "functions", "expected"),
    [
        ([{"role": "user", "content": "hello"}], None, 8),
        ([{"role": "system", "content": "hello:"}], None, 9),
        (
            [{"role": "user", "content": "hello"}],
            [{"name": "foo", "parameters": {"type": "object", "properties": {}}}],
            31,
        ),
        (
            [{"role": "user", "content": "hello"}],
            [
                {
                    "name": "bing_bong",
                    "description": "Do a bing bong",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "foo": {"type": "string"},
                            "bar": {"type": "number", "description": "A number"},
                        },
                    },
                }
            ],
            57,
        ),
        (
            [
                {"role": "system", "content": "Hello:"},
                {"role": "system", "content": "Hello"},
                {"role": "user", "content": "Hi there"},
            ],
            [{"name": "do_stuff", "parameters": {"type": "object", "properties": {}}}],
            40,
        ),
        ([{"role": "user", "content": "hello"}], [RECIPE], 106),
    ],
)
def test_community_measured_pairs_gpt35(messages, functions, expected):
    assert count_chat_tokens(messages, "cl100k_base", tools=functions).tokens == expected


def test_request_flag_reports_count_and_exactness():
    res = invoke("estimate", "--request", str(FIX / "cookbook_messages.json"), "--format", "json")
    assert res.exit_code == 0, res.stderr
    data = res.json()
    assert data["input_tokens"] == 124 and data["input_tokens_exact"] is True
    assert data["output_tokens"] == 1  # the body's max_tokens
    res = run_costctl(
        "estimate", "--request", str(FIX / "cookbook_tools.json"), "-m", "gpt-4o,gpt-4", "-f", "json"
    )
    assert res.exit_code == 0, res.stderr
    rows = {r["model"]: r for r in res.json()["results"]}
    assert rows["gpt-4o"]["input_tokens"] == 101 and rows["gpt-4"]["input_tokens"] == 105
    assert rows["gpt-4o"]["output_tokens"] == 50 and rows["gpt-4o"]["input_tokens_exact"] is False


def test_text_compare_marks_anthropic_approximate():
    res = invoke(
        "estimate", "--text", "Explain vector databases.", "-m", "gpt-4.1-mini,claude-haiku-4-5", "-f", "json"
    )
    assert res.exit_code == 0
    rows = {r["model"]: r for r in res.json()["results"]}
    assert rows["gpt-4.1-mini"]["input_tokens_exact"] is True
    assert rows["claude-haiku-4-5"]["input_tokens_exact"] is False


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"model": "gpt-4o"}', "'messages'"),
        (
            '{"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "max_tokens": -1}',
            "max_tokens",
        ),
        ('{"model": "gtp-4o", "messages": [{"role": "user", "content": "x"}]}', "did you mean"),
    ],
)
def test_bad_request_bodies_exit_2(tmp_path, content, message):
    path = tmp_path / "body.json"
    path.write_text(content)
    res = run_costctl("estimate", "--request", str(path))
    assert res.exit_code == 2
    assert message in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_missing_request_file_exit_2(tmp_path):
    res = invoke("estimate", "--request", str(tmp_path / "nope.json"))
    assert res.exit_code == 2 and "file not found" in res.stderr


@pytest.mark.parametrize("flag", ["--file", "--system"])
def test_missing_prompt_files_exit_2(tmp_path, flag):
    args = ["estimate", "-m", "gpt-4o", flag, str(tmp_path / "nope.txt")]
    if flag == "--system":
        args += ["--text", "hi"]
    res = run_costctl(*args)
    assert res.exit_code == 2 and "file not found" in res.stderr and "Traceback" not in res.stderr
