#include "dnassm/install_paths.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "dnassm/error.h"
#include "dnassm/text.h"

namespace dnassm {

namespace fs = std::filesystem;

std::string executable_dir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(".") : exe.parent_path().string();
}

std::vector<std::string> model_search_path() {
    std::vector<std::string> dirs;
    if (const char* env = std::getenv("DNASSM_MODEL_PATH"))
        for (auto& dir : split(env, ':'))
            if (!dir.empty()) dirs.push_back(std::move(dir));
    dirs.push_back((fs::path(executable_dir()) / ".." / "share" / "dnassm" / "models")
                       .lexically_normal()
                       .string());
#ifdef DNASSM_SOURCE_MODELS_DIR
    dirs.emplace_back(DNASSM_SOURCE_MODELS_DIR);
#endif
    return dirs;
}

std::string resolve_model_dir(const std::string& where) {
    std::error_code ec;
    if (fs::exists(where, ec) || where.find('/') != std::string::npos || where.empty() ||
        where == "." || where == "..")
        return where;
    std::string looked;
    for (const auto& dir : model_search_path()) {
        const fs::path candidate = fs::path(dir) / where;
        if (fs::exists(candidate / "config.json", ec)) return candidate.string();
        looked += (looked.empty() ? "" : ", ") + dir;
    }
    throw Error(ErrorKind::kModel, where +
                                       ": model directory does not exist (nor a model of that "
                                       "name in " +
                                       looked + ")");
}

std::vector<FoundModel> models_on_search_path() {
    std::vector<FoundModel> found;
    std::set<std::string> seen;
    for (const auto& dir : model_search_path()) {
        std::error_code ec;
        std::vector<fs::path> here;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
            if (fs::exists(it->path() / "config.json", ec)) here.push_back(it->path());
        std::sort(here.begin(), here.end());
        for (const auto& p : here)
            if (seen.insert(p.filename().string()).second)
                found.push_back({p.filename().string(), p.string()});
    }
    return found;
}

}  // namespace dnassm
