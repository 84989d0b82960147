#!/bin/bash
# The GPU session's one prepared run (issues C1, C2, F), on the device machine, from the repo root
# with .gpu/ (made here by bench/gpu_bundle.sh) carried along:
#   1. the CUDA parity suite (every forward and backward op vs the CPU, golden models, training
#      steps), 2. compute-sanitizer memcheck and racecheck on a few parity tests, 3. the GPU
#      benchmarks (bench/run_bench_cuda.py). Everything is logged under $OUT (or ./gpu-out).
#
#   bench/gpu_session.sh [--quick] [--only parity|sanitize|bench]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/gpu-out}
mkdir -p "$out" /tmp/dnassm-gpu
quick=""
only=""
while (($#)); do
    case $1 in
        --quick) quick=--quick ;;
        --only) only=$2; shift ;;
    esac
    shift
done
tar -C /tmp/dnassm-gpu -xJf "$root/.gpu/bundle.tar.xz"
mkdir -p "$root/../shared/data/ecoli_k12_mg1655"
cp -n "$root"/.gpu/ecoli_k12_mg1655.bgzf.fa.gz* "$root/../shared/data/ecoli_k12_mg1655/"
bin=/tmp/dnassm-gpu/bin
export LD_LIBRARY_PATH=/tmp/dnassm-gpu/lib:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export DNASSM_CUDA_PLUGIN=$bin/libdnassm_cuda.so DNASSM_TEST_DATA_DIR=$root/tests/data
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/device.txt"
"$bin/dnassm" --version 2>&1 | tee -a "$out/device.txt"

if [[ -z $only || $only == parity ]]; then
    echo "== CUDA parity suite"
    "$bin/dnassm_cuda_tests" --gtest_brief=1 2>&1 | tee "$out/parity.txt"
fi
if [[ -z $only || $only == sanitize ]]; then
    echo "== compute-sanitizer"
    small='CudaParity.*/L37_E129_N16:CudaParity.*/L5_E3_N1'
    for tool in memcheck racecheck; do
        compute-sanitizer --tool $tool --error-exitcode 3 "$bin/dnassm_cuda_tests" \
            --gtest_filter="$small" --gtest_brief=1 >"$out/sanitize_$tool.txt" 2>&1
        echo "$tool: exit $? ($(grep -c 'ERROR SUMMARY: 0' "$out/sanitize_$tool.txt") clean summaries)"
        tail -3 "$out/sanitize_$tool.txt"
    done
fi
if [[ -z $only || $only == bench ]]; then
    echo "== benchmarks"
    mkdir -p /tmp/dnassm-gpu/build/app /tmp/dnassm-gpu/build/bench
    ln -sf "$bin/dnassm" /tmp/dnassm-gpu/build/app/dnassm
    ln -sf "$bin/bench_cuda" /tmp/dnassm-gpu/build/bench/bench_cuda
    PYTHONUNBUFFERED=1 python3 "$root/bench/run_bench_cuda.py" --build /tmp/dnassm-gpu/build $quick \
        2>&1 | tee "$out/bench_cuda.md"
fi
