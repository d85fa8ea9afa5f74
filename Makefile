# The two commands a newcomer needs: `make demo` and `make test`. Both set the environment up first
# (scripts/setup.sh is idempotent and cached, so the set-up is a no-op once done).
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: setup test test-slow test-all demo gpu-check clean-env

setup:
	bash scripts/setup.sh

# pytest's exit code 5 ("no tests collected") is reported and kept as a failure.
test: setup
	@$(PY) -m pytest -m "not slow" $(PYTEST_ARGS); rc=$$?; \
	  [ $$rc -ne 5 ] || echo "[test] ERROR: pytest collected no tests" >&2; exit $$rc

# The long tests (learning signals, equivalence at scale, torchrun), with the 20 slowest listed.
test-slow: setup
	@$(PY) -m pytest -m slow --durations=20 $(PYTEST_ARGS); rc=$$?; \
	  [ $$rc -ne 5 ] || echo "[test-slow] ERROR: pytest collected no tests" >&2; exit $$rc

# Both suites, as CI runs them.
test-all: test test-slow

demo: setup
	bash scripts/demo.sh

# Every pipeline's GPU path in one budgeted call (a one-line "no GPU" where there is none); see scripts/gpu_check.py.
gpu-check: setup
	bash scripts/gpu_check.sh $(GPU_CHECK_ARGS)

clean-env:
	rm -rf .venv .venv-setup.log
