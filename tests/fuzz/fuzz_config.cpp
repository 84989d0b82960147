// Model config.json of every family (JSON syntax, missing/mistyped fields, bad sizes).
#include <nlohmann/json.hpp>

#include "fuzz_target.h"
#include "model/caduceus.h"
#include "model/hyena.h"
#include "model/mamba.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const auto j = nlohmann::json::parse(data, data + size, nullptr, false);
    if (j.is_discarded()) return 0;  // not JSON: the loader reports that before these parsers
    std::string format;
    dnassm::fuzz::guarded([&] { (void)dnassm::parse_mamba_config(j, "config.json", format); });
    dnassm::fuzz::guarded([&] { (void)dnassm::parse_hyena_config(j, "config.json", format); });
    dnassm::fuzz::guarded([&] { (void)dnassm::parse_caduceus_config(j, "config.json"); });
    return 0;
}
