#!/bin/bash
# The GPU session's one prepared run (issues C1, C2, F), on the device machine, from the repo root
# with .gpu/ (made here by bench/gpu_bundle.sh) carried along. Stages, each under its own time limit
# so one that hangs cannot eat the lease:
#   parity    the CUDA parity suite (every forward and backward op vs the CPU, golden models,
#             training steps)
#   sanitize  compute-sanitizer memcheck and racecheck on the small parity shapes
#   kernels   bench/run_bench_cuda.py --part kernels (copy roofline, scan, cuFFT conv vs PyTorch)
#   ncu       Nsight Compute on the scan kernels (what limits them)
#   cli       bench/gpu_cli_check.py: embed/predict/pretrain on CUDA vs CPU, --device auto
#   models    bench/run_bench_cuda.py --part models (whole 1 Mb windows and 500 short sequences
#             vs PyTorch)
#   stream    bench/run_bench_stream.py: a streamed 8 Mb sequence, windows pipelined (copies down
#             overlapped with the next window) vs one at a time (runs before models: it is short)
#   train     training tokens/s against PyTorch on the GPU, fp32 and bf16 autocast
#             (run_bench_train.py --device cuda [--bf16]), then the longest training windows that
#             run (gpu_cli_check.py's window table)
#   cadtrain  (only when named) the bundled Caduceus-PS's masked-LM training tokens/s against
#             PyTorch's Caduceus (tests/reference/caduceus_torch.py) on the GPU, fp32
# Logs go under $OUT (or ./gpu-out): device.txt and one file per stage; the device tool brings back
# at most 8 files, so one call runs at most 7 stages. A summary is printed last. On an H200
# (2026-11-29) all stages took ~6 minutes; they now do more (both scan backward variants, the
# longer window search, short sequences), so split them by priority: first
# `--only parity,sanitize,cli,models,stream` (correctness, whole-model figures), then, with 6
# minutes of device time left, `--only kernels,ncu,train`.
#
#   bench/gpu_session.sh [--quick] [--only STAGE[,STAGE...]]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/gpu-out}
mkdir -p "$out" /tmp/dnassm-gpu
quick=""
only="parity,sanitize,kernels,ncu,cli,models,stream,train"
while (($#)); do
    case $1 in
        --quick) quick=--quick ;;
        --only) only=$2; shift ;;
    esac
    shift
done
want() { [[ ,$only, == *,$1,* ]]; }
summary=()
stage() {  # stage NAME SECONDS COMMAND...: runs it with a time limit, logs to $out/NAME.txt
    local name=$1 limit=$2; shift 2
    echo "== $name (limit ${limit}s)"
    local t0=$SECONDS
    timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$out/$name.txt"
    local rc=${PIPESTATUS[0]}
    summary+=("$name: exit $rc in $((SECONDS - t0)) s")
}

tar -C /tmp/dnassm-gpu -xJf "$root/.gpu/bundle.tar.xz"
genome_dir=$root/../shared/data/ecoli_k12_mg1655
mkdir -p "$genome_dir"
cp -n "$root"/.gpu/ecoli_k12_mg1655.bgzf.fa.gz* "$genome_dir/"
genome=$genome_dir/ecoli_k12_mg1655.bgzf.fa.gz
bin=/tmp/dnassm-gpu/bin
export LD_LIBRARY_PATH=/tmp/dnassm-gpu/lib:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# cuBLAS/cuFFT are not bundled (hundreds of MB): take them from wherever the image has them (the
# CUDA toolkit, or the nvidia-* wheels PyTorch uses).
for lib in $(ldd "$bin/libdnassm_cuda.so" "$bin/bench_cuda" | awk '/not found/ {print $1}' | sort -u); do
    found=$(find /usr/local /opt /usr/lib -name "$lib" 2>/dev/null | head -1)
    echo "library $lib: ${found:-NOT FOUND}"
    [[ -n $found ]] && export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$(dirname "$found")
done
# compute-sanitizer and ncu may sit outside PATH in the image
for d in /usr/local/cuda/bin /opt/nvidia/nsight-compute/*; do [[ -d $d ]] && PATH=$PATH:$d; done
export DNASSM_CUDA_PLUGIN=$bin/libdnassm_cuda.so DNASSM_TEST_DATA_DIR=$root/tests/data
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv 2>&1 | tee "$out/device.txt"
"$bin/dnassm" --version 2>&1 | tee -a "$out/device.txt"
ldd "$bin/libdnassm_cuda.so" | grep 'not found' && echo "the CUDA plugin cannot load: see above"
# Without a usable CUDA backend every stage would skip or fail (run 3): stop here, in seconds.
if ! grep -q '^backends:.* cuda' "$out/device.txt"; then
    echo "STOP: dnassm cannot use the GPU here (see device.txt); no stage run"
    exit 4
fi

if want parity; then
    # then the scan variants (launch_plan.h: staged forward inputs, the thread-per-channel
    # backward) through the scan and model tests
    stage parity 150 bash -c "'$bin/dnassm_cuda_tests' --gtest_brief=1 &&
        DNASSM_CUDA_SCAN_STAGED=1 DNASSM_CUDA_SCAN_BACKWARD=channel '$bin/dnassm_cuda_tests' \
            --gtest_brief=1 --gtest_filter='*SelectiveScan*:*Golden*:*OpsWork*'"
    # A failure: rerun the failed tests with each of the backend's switches, to say which part of
    # the device-resident path (kept weights, ops that do not wait, the memory pool, the copy
    # stream, the row parts of the column sums) it is in.
    failed=$(grep -oE '^\[  FAILED  \] [A-Za-z0-9_/.]+' "$out/parity.txt" | awk '{print $NF "*"}' | sort -u |
        paste -sd: -)
    if [[ -n $failed ]]; then
        for sw in DNASSM_CUDA_STAGE_WEIGHTS=1 CUDA_LAUNCH_BLOCKING=1 DNASSM_CUDA_NO_POOL=1 \
            DNASSM_CUDA_SYNC_DOWNLOADS=1 DNASSM_CUDA_ONE_ROW_PART=1; do
            echo "== rerun of the failures with $sw"
            env "$sw" timeout 60 "$bin/dnassm_cuda_tests" --gtest_brief=1 --gtest_filter="$failed" 2>&1 |
                grep -E 'PASSED|FAILED' | tail -3
        done 2>&1 | tee -a "$out/parity.txt"
    fi
fi
if want sanitize; then
    small='*CudaParity.*/L37_E129_N16:*CudaParity.*/L5_E3_N1'
    sanitize() {  # memcheck, then racecheck; exit 3 if either finds an error
        local rc=0 tool
        for tool in memcheck racecheck; do
            compute-sanitizer --tool $tool --error-exitcode 3 "$bin/dnassm_cuda_tests" \
                --gtest_filter="$small" --gtest_brief=1 || rc=3
            DNASSM_CUDA_SCAN_BACKWARD=channel compute-sanitizer --tool $tool --error-exitcode 3 \
                "$bin/dnassm_cuda_tests" --gtest_filter='*SelectiveScanBackward/L37_E129_N16' \
                --gtest_brief=1 || rc=3
        done
        return $rc
    }
    export -f sanitize
    export bin small
    stage sanitize 100 bash -c sanitize
fi
if want kernels || want models || want stream; then
    mkdir -p /tmp/dnassm-gpu/build/app /tmp/dnassm-gpu/build/bench
    ln -sf "$bin/dnassm" /tmp/dnassm-gpu/build/app/dnassm
    ln -sf "$bin/bench_cuda" /tmp/dnassm-gpu/build/bench/bench_cuda
    ln -sf "$bin/bench_pipeline" /tmp/dnassm-gpu/build/bench/bench_pipeline
    export PYTHONUNBUFFERED=1
fi
if want kernels; then
    stage kernels 90 python3 "$root/bench/run_bench_cuda.py" --build /tmp/dnassm-gpu/build $quick --part kernels
fi
if want ncu; then
    profile_scan() {  # profile_scan KERNEL_REGEX LAUNCHES BENCHMARK_REGEX
        ncu --clock-control none -k "regex:$1" --launch-count "$2" --section SpeedOfLight \
            --section MemoryWorkloadAnalysis --section Occupancy --section LaunchStats \
            --section WarpStateStats "$bin/bench_cuda" "--benchmark_filter=$3" --benchmark_min_time=0.01
    }
    export -f profile_scan
    export bin
    stage ncu 90 bash -c "profile_scan scan_chunk_pass 2 BM_ScanForward/1048576/512/16/0/ &&
        profile_scan scan_bwd_grads 1 BM_ScanBackward/1048576/512/16/0 &&
        profile_scan scan_bwd_channel_grads 1 BM_ScanBackward/1048576/512/16/1"
fi
if want cli; then
    stage cli 90 python3 "$root/bench/gpu_cli_check.py" --dnassm "$bin/dnassm" --genome "$genome" --windows ""
fi
if want stream; then
    stage stream 90 python3 "$root/bench/run_bench_stream.py" --build /tmp/dnassm-gpu/build \
        --device cuda:0 --bases 8388608 --chunk 1048576 --model "$root/data/models/dnassm-mamba-small"
fi
if want models; then
    stage models 300 python3 "$root/bench/run_bench_cuda.py" --build /tmp/dnassm-gpu/build $quick --part models
fi
if want train; then  # issue C2: training tokens/s vs PyTorch, then the longest windows that run
    # Windows double (past 4 Mb on E. coli repeated into one contig) until one fails (out of
    # device memory) or runs past its limit; with the activations on the device, the GPU's memory
    # is what should stop them.
    stage train 420 bash -c "python3 '$root/bench/run_bench_train.py' --device cuda \
            --dnassm '$bin/dnassm' --genome '$genome' --steps 3 --threads 16;
        python3 '$root/bench/run_bench_train.py' --device cuda --bf16 \
            --dnassm '$bin/dnassm' --genome '$genome' --steps 3 --threads 16;
        python3 '$root/bench/gpu_cli_check.py' --dnassm '$bin/dnassm' --genome '$genome' \
            --windows-only --windows 131072,524288,1048576,2097152,4194304,8388608,16777216 \
            --window-timeout 60"
fi
if want cadtrain; then  # not in the default list: name it when device time is left
    stage cadtrain 150 python3 "$root/bench/run_bench_train.py" --device cuda \
        --model "$root/data/models/dnassm-caduceus-small" --dnassm "$bin/dnassm" --genome "$genome" \
        --steps 3 --threads 16
fi
echo "== summary"
printf '%s\n' "${summary[@]}"
grep -hE '^\[  (FAILED|PASSED|SKIPPED) |tests? ran|FAIL|ERROR SUMMARY|RACECHECK SUMMARY' "$out"/parity.txt "$out"/cli.txt \
    "$out"/sanitize.txt 2>/dev/null | sort | uniq -c | head -40
grep -h '^|' "$out"/kernels.txt "$out"/models.txt "$out"/stream.txt "$out"/train.txt "$out"/cadtrain.txt \
    2>/dev/null
