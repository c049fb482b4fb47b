# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
.PHONY: setup demo test lint bench clean

setup:
	@./scripts/bootstrap.sh

demo: setup
	@.venv/bin/branch-app demo

test: setup
	@./scripts/test.sh

lint: setup
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench: setup
	@.venv/bin/python -m bench

clean:
	rm -rf .venv .bootstrap-stamp .pytest_cache
