#!/usr/bin/env bash
# jixiao tests: lint, types, the import contract and the whole test suite.
# Installs what is missing first (scripts/setup.sh --install-only), so a fresh clone passes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --install-only

export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff"
ruff check src tests bench
ruff format --check src tests bench
echo "== mypy (strict on the library)"
mypy
echo "== import contract (the library never imports Django)"
lint-imports
echo "== pytest"
pytest -n 2 "$@"
