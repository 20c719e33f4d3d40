#!/usr/bin/env bash
# Checks ember's CUDA backend on a machine with a GPU and CuPy (not run by CI, which has none).
# Runs the whole op table on the GPU against torch on the CPU, the real-GPU tests, and the demo
# with its tensors on the GPU.  Usage: bash scripts/gpu_check.sh [pytest -n workers]
set -uo pipefail
export PYTHONPATH="$PWD:${PYTHONPATH:-}" PYTHONUNBUFFERED=1
workers="${1:-8}"
python3 -c "import cupy, ember; print('cupy', cupy.__version__, 'cuda available:', ember.cuda.is_available(), ember.cuda.get_device_name())"
python3 -m pytest -q -p no:cacheprovider tests/test_cuda_real.py
EMBER_TEST_DEVICE=cuda python3 -m pytest -q -p no:cacheprovider -n "$workers" tests/test_ops.py \
    -k "not test_error_inputs" -x --maxfail=30 2>&1 | tail -60
