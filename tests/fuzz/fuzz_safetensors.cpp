// safetensors headers and payloads (offsets, shapes, dtypes, truncation).
#include "dnassm/safetensors.h"

#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    return dnassm::fuzz::guarded([&] {
        const auto f = dnassm::parse_safetensors(
            std::string(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
        for (const auto& [name, t] : f.tensors) (void)t.numel();
    });
}
