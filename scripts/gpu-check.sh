#!/bin/sh
# The GPU checklist, for the day a machine with a CUDA device is at hand (CI has none): the
# CUDA-marked tests, then the bench's CUDA section (worker start with its context, check latency on
# cuda, kill and recovery, the out-of-GPU-memory verdict, memory held while idle). Under 5 minutes.
# Run from a clone after `make test` has made .venv (or set PY to an interpreter with the tutor).
set -eu
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
echo "== doctor on cuda"
timeout 120 "$PY" -m tutor doctor --device cuda
echo "== tests marked cuda"
timeout 180 "$PY" -m pytest -q -m cuda -p no:cacheprovider tests
echo "== the bench's cuda section"
timeout 120 "$PY" -c "import json; from tutor.bench.run import cuda_figures; print(json.dumps(cuda_figures(), indent=2))"
