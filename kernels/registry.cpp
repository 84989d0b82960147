// Backend registry: the one place that knows which backends exist in this build.
#include <string>

#include "dnassm/backend.h"
#include "dnassm/error.h"

#include "cpu/cpu_backend.h"

namespace dnassm {

std::vector<std::string> available_backends() { return {"cpu", "cpu-ref"}; }

std::unique_ptr<Backend> make_backend(const std::string& name) {
    if (name == "auto" || name == "cpu") return cpu::make_cpu_backend();
    if (name == "cpu-ref") return cpu::make_cpu_reference_backend();
    std::string names;
    for (const auto& n : available_backends()) names += (names.empty() ? "" : ", ") + n;
    if (name.rfind("cuda", 0) == 0)
        throw Error(
            ErrorKind::kUsage,
            "--device " + name + ": this build has no CUDA backend; available: auto, " + names);
    throw Error(ErrorKind::kUsage,
                "--device " + name + ": unknown device; available: auto, " + names);
}

}  // namespace dnassm
