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
echo "== mypy (strict, library and web system)"
# The Django plug-in loads the settings, which want a data dir: a throw-away one.
JIXIAO_DATA_DIR="$(mktemp -d)" mypy
echo "== import contract (the library never imports Django)"
lint-imports
# The web tests run on SQLite and again on PostgreSQL (127.0.0.1:5432): start it if it is down.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "== 启动 PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
echo "== pytest (SQLite)"
pytest -n 2 "$@"
echo "== pytest tests/web (PostgreSQL)"
JIXIAO_TEST_POSTGRES=1 pytest -n 2 tests/web -m "not browser" "$@"
