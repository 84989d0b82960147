# Debian packages of an install (`cpack --config build/release/CPackConfig.cmake`, or
# `cmake --build --preset release --target package`): dnassm (CLI, bundled model, converter,
# workflows), dnassm-gui and dnassm-cuda (the plugin), one .deb each. The first two take their
# library dependencies from dpkg-shlibdeps; the plugin's CUDA libraries come from NVIDIA's toolkit,
# which Debian does not package, so dnassm-cuda only depends on dnassm.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dnassm)
set(CPACK_PACKAGE_VENDOR "dnassm")
set(CPACK_PACKAGE_CONTACT "dnassm maintainers <maintainers@users.noreply.b-seed-3911813f.example>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_CLI_PACKAGE_NAME dnassm)
set(CPACK_DEBIAN_CLI_PACKAGE_SHLIBDEPS ON)
# convert reads pickle checkpoints with PyTorch; the workflows run under Snakemake.
set(CPACK_DEBIAN_CLI_PACKAGE_SUGGESTS "python3-torch, snakemake")
# Each description: the package's own synopsis, then its extended description (CPack indents it).
set(CPACK_DEBIAN_CLI_DESCRIPTION "state-space DNA language models over genomic sequence (command line)
Mamba, HyenaDNA and Caduceus models over FASTA/BAM input: per-base embeddings
(NPY/HDF5), tracks (bigWig/bedGraph), pooled vectors, variant scores,
pretraining and fine-tuning.")
set(CPACK_DEBIAN_GUI_PACKAGE_NAME dnassm-gui)
set(CPACK_DEBIAN_GUI_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_GUI_PACKAGE_DEPENDS "dnassm (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_GUI_DESCRIPTION "genome explorer for dnassm tracks and embeddings (Qt6)
Shows sequences, alignments, annotations and signal tracks, and runs dnassm
models on the region in view: per-base tracks, embedding heatmaps, variant
and strand comparisons, and figures.")
set(CPACK_DEBIAN_CUDA_PACKAGE_NAME dnassm-cuda)
set(CPACK_DEBIAN_CUDA_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_CUDA_PACKAGE_DEPENDS "dnassm (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_CUDA_DESCRIPTION "CUDA backend for dnassm
The plugin dnassm loads for --device cuda or auto: selective scan, long
convolutions (cuFFT) and matrix products (cuBLAS) on an NVIDIA GPU. Needs the
NVIDIA driver and the CUDA toolkit's libraries.")
# CPackDeb puts a set summary above every package's description; IGNORE (false to if()) stops it.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY IGNORE)
# A build of the CLI alone (no GUI, no CUDA: the cpu preset) has one component, which CPack packs
# as a whole-project package from the variables without a component name.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ${CPACK_DEBIAN_CLI_PACKAGE_SHLIBDEPS})
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "${CPACK_DEBIAN_CLI_PACKAGE_SUGGESTS}")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_DEBIAN_CLI_DESCRIPTION}")
include(CPack)
