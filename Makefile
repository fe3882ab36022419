# Each target sets up .venv from requirements.txt when it is missing or out of date.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Quiet Jupyter's platformdirs migration notice and keep matplotlib off any display.
export JUPYTER_PLATFORM_DIRS := 1
export MPLBACKEND := Agg
# Tests and the build run several kernels at once on few cores, and the chapters' matrices are
# small: one BLAS thread per process avoids oversubscription (make bench sets its own).
SINGLE_THREAD := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
JOBS ?= 2

.PHONY: book test lab bench clean setup vendor browser determinism

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# The pages, then the JupyterLite site that runs the chapters in the browser (_build/html/lite).
book: $(STAMP) vendor
	$(SINGLE_THREAD) $(BIN)/jupyter-book build . --all -W -n --keep-going
	$(BIN)/python tools/build_lite.py

vendor:
	tools/vendor_static.sh

# Unit tests, doctests, every chapter through nbmake, the rendered book in Chromium and the
# determinism check, the JupyterLite site's checks (they share one book build, see
# tests/book_build.py).
test: $(STAMP) vendor browser
	$(SINGLE_THREAD) $(BIN)/python -m pytest -n $(JOBS) --nbmake tests src/dlcore book

determinism: $(STAMP) vendor
	$(SINGLE_THREAD) $(BIN)/python -m pytest tests/test_determinism.py

browser:
	tools/install_browser.sh

lab: $(STAMP)
	$(BIN)/jupyter lab book

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build .pytest_cache .hypothesis
