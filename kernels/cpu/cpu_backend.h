// Internal: constructors of the CPU backends, used by kernels/registry.cpp.
#pragma once

#include <memory>

#include "dnassm/backend.h"

namespace dnassm::cpu {
std::unique_ptr<Backend> make_cpu_backend();
std::unique_ptr<Backend> make_cpu_reference_backend();
}  // namespace dnassm::cpu
