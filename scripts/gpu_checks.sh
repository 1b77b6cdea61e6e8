#!/usr/bin/env bash
# The CUDA checks and timings of the docs, on a machine with a GPU:
#   bash scripts/gpu_checks.sh DATA_ROOT OUT_DIR
# Runs the device tests (every device-parametrised test on the CPU and on
# CUDA), the whole suite, the speed and scale benchmarks with --device
# cuda, and a timing of ogbl-ddi epochs; each step is time-limited and
# logged to OUT_DIR/log.txt, and a failing step does not stop the next.
set -u
data=${1:?data root}; out=${2:?output folder}
mkdir -p "$out/results"
export PYG_VGAE_DATA=$data PYG_VGAE_CACHE=${PYG_VGAE_CACHE:-/tmp/pyg_vgae_cache}
export PYTHONUNBUFFERED=1
log=$out/log.txt
step() {  # step SECONDS NAME COMMAND...
    local limit=$1 name=$2; shift 2
    echo "=== $name ($(date +%T))" >>"$log"
    local start=$SECONDS
    timeout "$limit" "$@" >>"$log" 2>&1
    echo "=== $name: exit $? after $((SECONDS - start)) s" >>"$log"
}
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c 'import torch, torch_geometric, numpy
print("torch", torch.__version__, "pyg", torch_geometric.__version__,
      "numpy", numpy.__version__, torch.cuda.get_device_name())'
} >>"$log" 2>&1
step 120 "device tests" python3 -m pytest -q -p no:cacheprovider \
    tests/test_devices.py
# The whole suite in that machine's environment (its torch, PyG and numpy);
# the docs' build needs sphinx, which GPU images seldom have.
parallel=$(python3 -c 'import xdist' 2>/dev/null && echo "-n 8")
step 300 "whole suite" python3 -m pytest -q -p no:cacheprovider $parallel \
    --ignore=tests/test_docs.py
step 120 "speed" python3 benchmarks/speed.py --root "$data" --device cuda \
    --threads 1 --out "$out/results"
step 300 "scale" python3 benchmarks/scale.py --device cuda --threads 8 \
    --epochs 8 --sizes 10000 30000 100000 300000 1000000 \
    --out "$out/results"
# ogbl-ddi: epoch time of the GAE `best` preset on the official split,
# tuning seed 0, validation Hits@20 only (test edges never scored).
step 240 "ogbl-ddi timing" python3 - "$data" "${DDI_EPOCHS:-50}" <<'PY'
import sys, torch
from pyg_vgae.data import load_dataset
from pyg_vgae.run import Settings, run_seed
data = load_dataset("ogbl-ddi", sys.argv[1])
settings = Settings.from_preset("best", "gae", data.num_features,
                                epochs=int(sys.argv[2]), device="cuda",
                                select="hits@20", progress=False)
run, _ = run_seed(data, settings, 0, score_test=False)
print({key: run[key] for key in ("epoch_time_ms", "seconds", "val_auc",
                                  "val_hits@20", "best_epoch")},
      "peak GiB", torch.cuda.max_memory_allocated() / 2 ** 30)
PY
