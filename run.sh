#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine:
#   ./run.sh demo    install what is missing, build, run dnassm on the bundled model and data
#   ./run.sh test    install what is missing, build, run the whole test suite (ctest)
#   ./run.sh build   install what is missing and build only
# PRESET=<name> picks another CMake preset (default: release).
set -euo pipefail
cd "$(dirname "$0")"
what="${1:-demo}"
preset="${PRESET:-release}"

./setup.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
bin="build/$preset/app/dnassm"

case "$what" in
    build) ;;
    demo)
        out="out/demo"
        mkdir -p "$out"
        "$bin" --version
        "$bin" info data/models/dnassm-mamba-small
        "$bin" embed -m data/models/dnassm-mamba-small -r NC_001416.1:1-20000 \
            -o "$out/lambda_embed.npy" data/lambda/lambda_virus.fa.gz
        "$bin" predict -m data/models/dnassm-mamba-small --track loglik \
            -o "$out/lambda_loglik.bw" data/lambda/lambda_virus.fa.gz
        "$bin" embed -m data/models/dnassm-mamba-small --pool mean -R data/lambda/lambda_windows_10kb.bed \
            -o "$out/lambda_windows_pooled.h5" data/lambda/lambda_virus.fa.gz
        # the bidirectional, RC-equivariant model: both strands folded into one vector per base
        "$bin" embed -m data/models/dnassm-caduceus-small --fold-rc -r NC_001416.1:1-20000 \
            -o "$out/lambda_caduceus_embed.h5" data/lambda/lambda_virus.fa.gz
        if [ -x build/$preset/app/dnassm-gui ]; then  # the explorer, rendered without a display
            QT_QPA_PLATFORM=offscreen "build/$preset/app/dnassm-gui" --session data/example.session.json \
                --snapshot "$out/explorer.png" --size 1280x800
        fi
        echo "demo outputs in $out/:" >&2
        ls -l "$out" >&2
        ;;
    test)
        ctest --preset "$preset"
        ;;
    *) echo "usage: ./run.sh demo|test|build" >&2; exit 2 ;;
esac
