# Every dependency comes from Debian packages (see setup.sh).
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTSLIB REQUIRED IMPORTED_TARGET GLOBAL htslib>=1.16)
# Our thread pool does the threading, so the serial OpenBLAS is preferred: the pthread build keeps
# an idle worker spinning in sched_yield even after openblas_set_num_threads(1), which costs a core.
# The serial library's directory ends up in the binaries' RPATH, ahead of the system alternative.
set(DNASSM_OPENBLAS_SERIAL_PC "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-serial/pkgconfig")
if(EXISTS "${DNASSM_OPENBLAS_SERIAL_PC}/openblas.pc")
    set(ENV{PKG_CONFIG_PATH} "${DNASSM_OPENBLAS_SERIAL_PC}:$ENV{PKG_CONFIG_PATH}")
endif()
pkg_check_modules(OPENBLAS_LIB REQUIRED IMPORTED_TARGET GLOBAL openblas)
add_library(PkgConfig::OPENBLAS ALIAS PkgConfig::OPENBLAS_LIB)
pkg_check_modules(FFTW3F REQUIRED IMPORTED_TARGET GLOBAL fftw3f)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(Threads REQUIRED)

find_path(BIGWIG_INCLUDE_DIR bigWig.h REQUIRED)
find_library(BIGWIG_LIBRARY BigWig REQUIRED)
add_library(dnassm_bigwig INTERFACE)
target_include_directories(dnassm_bigwig SYSTEM INTERFACE ${BIGWIG_INCLUDE_DIR})
target_link_libraries(dnassm_bigwig INTERFACE ${BIGWIG_LIBRARY})

add_library(dnassm_hdf5 INTERFACE)
target_include_directories(dnassm_hdf5 SYSTEM INTERFACE ${HDF5_INCLUDE_DIRS})
target_link_libraries(dnassm_hdf5 INTERFACE ${HDF5_C_LIBRARIES})
target_compile_definitions(dnassm_hdf5 INTERFACE ${HDF5_DEFINITIONS})
