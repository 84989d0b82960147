#!/usr/bin/env bash
# Installs the Debian 12 packages dnassm needs, skipping those already present. Idempotent.
#   ./setup.sh            build + test dependencies
#   ./setup.sh --bench    also E. coli 536 (bowtie-examples), C. elegans 1 Mb (htslib-test), hyperfine, perf
set -euo pipefail

build_pkgs=(
    cmake ninja-build g++ pkg-config ccache help2man
    libhts-dev libboost-program-options-dev libgtest-dev libgmock-dev libbenchmark-dev
    libbigwig-dev libhdf5-dev libfftw3-dev libopenblas-dev nlohmann-json3-dev
    qt6-base-dev qt6-svg-dev
)
test_pkgs=(python3-numpy python3-pybigwig python3-h5py python3-torch bowtie2-examples samtools tabix snakemake)
extra_pkgs=()
for arg in "$@"; do
    case "$arg" in
        --gui) ;;  # Qt6 is now part of the build packages; kept so old instructions still work
        --bench) extra_pkgs+=(bowtie-examples htslib-test hyperfine linux-perf) ;;
        -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown option '$arg'" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${build_pkgs[@]}" "${test_pkgs[@]}" "${extra_pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "setup.sh: all ${#build_pkgs[@]}+${#test_pkgs[@]}+${#extra_pkgs[@]} packages present" >&2
    exit 0
fi
echo "setup.sh: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
