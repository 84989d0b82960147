// Fuzz harness convention: a parser fed arbitrary bytes may succeed or throw dnassm::Error (the
// one-line "file: problem" users see); anything else — another exception, a crash, a sanitizer
// report — is a bug. Each fuzz_*.cpp defines LLVMFuzzerTestOneInput with this guard; it links
// either with libFuzzer (clang, DNASSM_LIBFUZZER=ON) or with replay_main.cpp (any compiler: the
// seed corpus plus deterministic mutations, run by ctest).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "dnassm/error.h"

namespace dnassm::fuzz {

template <typename Fn>
int guarded(Fn&& fn) {
    try {
        fn();
    } catch (const Error&) {  // the expected way to refuse bad input
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz: unexpected %s\n", e.what());
        std::abort();
    }
    return 0;
}

/// A per-process folder under the temp dir for the files targets write (replay_main removes it
/// when the replay ends).
const std::string& scratch_dir();

/// Writes bytes to scratch_dir()/input<suffix> (for parsers that take a path); returns its path.
std::string temp_file(const std::uint8_t* data, size_t size, const char* suffix);

}  // namespace dnassm::fuzz
