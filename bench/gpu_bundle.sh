#!/bin/bash
# Packs what a GPU session needs into .gpu/ (git-ignored; name it in the device tool's carry): the
# release binaries built here (dnassm, the CUDA plugin, the CUDA parity tests, bench_cuda and
# bench_pipeline), the
# shared libraries they load that a bare CUDA image lacks (HTSlib, FFTW, OpenBLAS, HDF5, ...;
# not glibc, libstdc++ or CUDA's own), and the E. coli genome the GPU benchmarks read.
# Then, on the GPU machine: bench/gpu_session.sh (see there).
#
#   bench/gpu_bundle.sh [BUILD_DIR]      (default build/release)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
out=$root/.gpu
cmake --build "$build" --target dnassm dnassm_cuda dnassm_cuda_tests bench_cuda bench_pipeline
rm -rf "$out"
mkdir -p "$out/stage/bin" "$out/stage/lib"
cp "$build/app/dnassm" "$build/app/libdnassm_cuda.so" "$build/tests/dnassm_cuda_tests" \
    "$build/bench/bench_cuda" "$build/bench/bench_pipeline" "$out/stage/bin/"
strip --strip-unneeded "$out"/stage/bin/*
# Every library the binaries resolve here, except the C/C++ runtime and CUDA (the image has both).
skip='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|librt\.|libpthread\.|libresolv\.|libutil\.|libnss_|libstdc\+\+|libgcc_s|libcuda|libcudart|libcublas|libcufft|libnvrtc|libnvJitLink)'
for f in "$out"/stage/bin/*; do
    ldd "$f" | awk '$3 ~ /^\// {print $1, $3}'
done | sort -u | while read -r name path; do
    [[ $name =~ $skip ]] || cp -L "$path" "$out/stage/lib/$name"
done
tar -C "$out/stage" -cJf "$out/bundle.tar.xz" bin lib
rm -rf "$out/stage"
genome=$root/../shared/data/ecoli_k12_mg1655
cp "$genome"/ecoli_k12_mg1655.bgzf.fa.gz* "$out/"
du -sh "$out"/*
