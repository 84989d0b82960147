// Backend registry: the one place that knows which backends exist in this build. The CUDA
// backend is a plugin (libdnassm_cuda.so, see kernels/cuda/) opened with dlopen on first use, so
// binaries run unchanged where there is no GPU, driver or CUDA runtime.
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <dlfcn.h>
#include <unistd.h>

#include "dnassm/backend.h"
#include "dnassm/error.h"
#include "dnassm/install_paths.h"

#include "cpu/cpu_backend.h"

namespace dnassm {

namespace {

struct CudaPlugin {
    int (*device_count)(char*, int) = nullptr;
    Backend* (*create)(int) = nullptr;
    int devices = 0;
    std::string status;  // why there is no usable device, or what was found
};

const CudaPlugin& cuda_plugin() {
    static const CudaPlugin plugin = [] {
        CudaPlugin p;
#ifndef DNASSM_CUDA_PLUGIN_BUILD_PATH
        p.status = "this build has no CUDA backend";
        return p;
#else
        // No driver library, no GPU: skip loading the (large) CUDA libraries at all.
        if (!dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL)) {
            p.status = "no NVIDIA driver (libcuda.so.1 not found)";
            return p;
        }
        std::vector<std::string> candidates;
        if (const char* env = std::getenv("DNASSM_CUDA_PLUGIN")) candidates.emplace_back(env);
        candidates.push_back(executable_dir() + "/libdnassm_cuda.so");
        candidates.push_back(executable_dir() + "/../lib/dnassm/libdnassm_cuda.so");
        candidates.emplace_back(DNASSM_CUDA_PLUGIN_BUILD_PATH);
        void* handle = nullptr;
        std::string loaded;
        // A plugin that exists but does not load (a missing library, an undefined symbol) says
        // more than the candidates after it that do not exist.
        std::string error, missing = "libdnassm_cuda.so not found";
        for (const auto& c : candidates) {
            if ((handle = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL))) {
                loaded = c;
                break;
            }
            const char* e = dlerror();
            std::string& slot = access(c.c_str(), F_OK) == 0 ? error : missing;
            if (e && (&slot == &missing || slot.empty())) slot = e;
        }
        if (!handle) {
            p.status = "CUDA plugin not loadable: " + (error.empty() ? missing : error);
            return p;
        }
        p.device_count =
            reinterpret_cast<int (*)(char*, int)>(dlsym(handle, "dnassm_cuda_device_count"));
        p.create = reinterpret_cast<Backend* (*)(int)>(dlsym(handle, "dnassm_cuda_create_backend"));
        if (!p.device_count || !p.create) {
            p.status = "CUDA plugin lacks its entry points";
            return p;
        }
        char why[256] = "";
        p.devices = p.device_count(why, sizeof why);
        if (p.devices <= 0) {
            p.status = why;
            p.devices = 0;
        } else {
            p.status = std::to_string(p.devices) + " CUDA device(s)";
        }
        p.status += " (plugin " + std::filesystem::path(loaded).lexically_normal().string() +
                    ")";  // which of the candidates, for install problems
        return p;
#endif
    }();
    return plugin;
}

}  // namespace

std::string cuda_status() { return cuda_plugin().status; }

std::vector<std::string> available_backends() {
    std::vector<std::string> names;
    for (int i = 0; i < cuda_plugin().devices; ++i) names.push_back("cuda:" + std::to_string(i));
    names.emplace_back("cpu");
    names.emplace_back("cpu-ref");
    return names;
}

std::unique_ptr<Backend> make_backend(const std::string& name) {
    if (name == "cpu") return cpu::make_cpu_backend();
    if (name == "cpu-ref") return cpu::make_cpu_reference_backend();
    if (name == "auto") {
        if (cuda_plugin().devices > 0) return std::unique_ptr<Backend>(cuda_plugin().create(0));
        return cpu::make_cpu_backend();
    }
    if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
        const CudaPlugin& p = cuda_plugin();
        DNASSM_CHECK(p.devices > 0, ErrorKind::kUsage, "--device " + name + ": " + p.status);
        int dev = 0;
        if (name.size() > 5) {
            const std::string idx = name.substr(5);
            DNASSM_CHECK(!idx.empty() && idx.find_first_not_of("0123456789") == std::string::npos &&
                             idx.size() < 4 && std::stoi(idx) < p.devices,
                         ErrorKind::kUsage,
                         "--device " + name + ": no such device (" + p.status + ")");
            dev = std::stoi(idx);
        }
        return std::unique_ptr<Backend>(p.create(dev));
    }
    std::string names;
    for (const auto& n : available_backends()) names += (names.empty() ? "" : ", ") + n;
    throw Error(ErrorKind::kUsage,
                "--device " + name + ": unknown device; available: auto, " + names);
}

}  // namespace dnassm
