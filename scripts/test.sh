#!/usr/bin/env bash
# The test command: lint, format check, the import contracts, the type check, then the whole
# test suite. The suite starts (and stops)
# the real parts it needs itself: pcscd with the vpcd driver, the central service under uvicorn,
# and a throwaway PostgreSQL cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
echo "== ruff check"
.venv/bin/ruff check .
echo "== ruff format --check"
.venv/bin/ruff format --check .
echo "== lint-imports (the layers, pyproject.toml [tool.importlinter])"
.venv/bin/lint-imports
echo "== mypy (strict on the domain and the services)"
.venv/bin/mypy
echo "== pytest"
exec .venv/bin/python -m pytest "$@"
