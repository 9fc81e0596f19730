#!/usr/bin/env bash
# GPU check, one command on a machine with an NVIDIA GPU (driver installed), under 10 minutes:
#   1. installs nnc with its cuda and test extras (cuda-bindings, libdevice from nvidia-nvvm) unless they
#      are there already (a CUDA toolkit's libdevice will do); without
#      network access, point NNC_WHEELHOUSE at a directory of wheels (pip download -d DIR 'nnc-sim[cuda,test]');
#   2. prints the GPU (nvidia-smi) and runs the tests marked gpu (tests/e2e/test_gpu_device.py) and the
#      emulation and ptxas tests of the GPU backend;
#   3. runs benchmarks/gpu_check.py: compile times of the PTX and CPU paths, COBA scaled to
#      NNC_GPU_NEURONS (default 100000) neurons for NNC_GPU_DURATION ms (default 1000), the rate network,
#      and the kernel variants side by side (atomic vs deterministic delivery, sum_lanes on/off);
# and prints one JSON object on stdout (progress goes to stderr). Set OUT=DIR to also keep the JSON and
# the test log there.
set -uo pipefail
cd "$(dirname "$0")/.."
out_dir="${OUT:-$(mktemp -d)}"
mkdir -p "$out_dir"
py="${PYTHON:-python3}"
log() { echo "[gpu_check] $*" >&2; }

# cuda-bindings N.x needs a driver for CUDA N or newer: pin the driver's major version when it is older
driver_cuda="$(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9][0-9]*\)\..*/\1/p' | head -1)"
have_cuda="$("$py" -c 'import cuda.bindings as b; print(b.__version__.split(".")[0])' 2>/dev/null)"
too_new=0
if [ -n "$driver_cuda" ] && [ -n "$have_cuda" ] && [ "$have_cuda" -gt "$driver_cuda" ]; then too_new=1; fi
ready='import nnc, cuda.bindings, pytest, hypothesis
from nnc.backend.ptx.mathlib import find_libdevice
assert find_libdevice() is not None'
if [ "$too_new" = 1 ] || ! PYTHONPATH="$PWD" "$py" -c "$ready" 2>/dev/null; then
    venv="${NNC_GPU_VENV:-/tmp/nnc-gpu-venv}"
    pin=()
    [ -n "$driver_cuda" ] && pin=("cuda-bindings<$((driver_cuda + 1))")
    log "installing into $venv ${pin[*]}"
    "$py" -m venv "$venv" && . "$venv/bin/activate" && py=python
    if [ -n "${NNC_WHEELHOUSE:-}" ]; then
        pip install -q --no-index --find-links "$NNC_WHEELHOUSE" -e '.[cuda,test]' "${pin[@]}" >&2
    else
        pip install -q -e '.[cuda,test]' "${pin[@]}" >&2
    fi || log "pip install failed: the checks below report what is missing"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

smi="$( (nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo none) | head -1)"
log "GPU: $smi"

log "tests (gpu, emulation, ptxas)"
timeout 200 "$py" -m pytest -q -rs -p no:cacheprovider \
    tests/e2e/test_gpu_device.py tests/e2e/test_gpu_emulation.py tests/e2e/test_gpu_ptx.py \
    tests/e2e/test_gpu_driver_layer.py \
    >"$out_dir/pytest.log" 2>&1
tests_rc=$?
tail -15 "$out_dir/pytest.log" >&2
summary="$(tail -1 "$out_dir/pytest.log" | tr -d '=' | sed 's/^ *//;s/ *$//')"

log "benchmarks"
timeout 300 "$py" benchmarks/gpu_check.py --neurons "${NNC_GPU_NEURONS:-100000}" \
    --duration "${NNC_GPU_DURATION:-1000}" --cpu-duration "${NNC_CPU_DURATION:-20}" \
    --cpu-threads "$(nproc)" --rate-steps "${NNC_RATE_STEPS:-1000}" >"$out_dir/bench.json"
bench_rc=$?
[ -s "$out_dir/bench.json" ] || echo '{}' >"$out_dir/bench.json"

"$py" - "$out_dir" "$smi" "$tests_rc" "$summary" "$bench_rc" <<'PY' | tee "$out_dir/gpu_check.json"
import json, sys
out_dir, smi, tests_rc, summary, bench_rc = sys.argv[1:]
with open(f"{out_dir}/bench.json") as f:
    bench = json.load(f)
print(json.dumps({"gpu": smi, "tests": {"exit_code": int(tests_rc), "summary": summary},
                  "bench_exit_code": int(bench_rc), **bench}, indent=1))
PY
