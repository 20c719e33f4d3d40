# The two commands of the README: `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

# pip (not uv/poetry) so torch==2.13.0 comes from the CPU wheel on this machine's disk
$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

# the digits demo needs scikit-learn (its digits), Pillow, tqdm and matplotlib: the demo extra
$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[demo]'
	touch $@ $(STAMP)

demo: $(DEMO_STAMP)
	$(PY) examples/linear_regression.py
	$(PY) examples/digits.py

test: $(TEST_STAMP)
	$(PY) -m ruff check ember tests benchmarks examples scripts
	OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 tests

lint: $(TEST_STAMP)
	$(PY) -m ruff check ember tests benchmarks examples scripts

bench: $(TEST_STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
