#!/usr/bin/env bash
# `make demo`: runs costctl on the bundled examples. Each step prints what it does on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
if [ -d ../shared/tiktoken-cache ] && [ -z "${TIKTOKEN_CACHE_DIR:-}" ]; then
  export TIKTOKEN_CACHE_DIR="$(cd ../shared/tiktoken-cache && pwd)"
fi
step() { printf '\n== %s\n' "$*" >&2; }

step "Price the example prompt side by side (300 output tokens)"
$BIN/costctl estimate --file examples/prompt.txt --output-tokens 300 \
  -m gpt-4o-mini,gpt-4.1-mini,gpt-5-mini,claude-haiku-4-5,gemini-2.5-flash,gpt-4o
