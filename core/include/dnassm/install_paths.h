// Where dnassm finds what ships beside it. `cmake --install` lays a prefix out as
//   PREFIX/bin/dnassm, PREFIX/bin/dnassm-gui
//   PREFIX/lib/dnassm/libdnassm_cuda.so          the CUDA plugin
//   PREFIX/share/dnassm/models/NAME/             bundled models (config.json, model.safetensors)
//   PREFIX/share/dnassm/tools/                   the checkpoint converter script
// and each lookup also knows the build tree's places, so a built and an installed dnassm behave
// the same.
#pragma once

#include <string>
#include <vector>

namespace dnassm {

/// The folder of the running executable ("." when /proc/self/exe cannot be read).
[[nodiscard]] std::string executable_dir();

/// Folders searched for a model given by name (`-m dnassm-mamba-small`), in order: the entries
/// of $DNASSM_MODEL_PATH (':'-separated), <exe>/../share/dnassm/models, and the source tree's
/// data/models.
[[nodiscard]] std::vector<std::string> model_search_path();

/// `where` when it exists; else, for a bare name (no '/'), the first folder NAME on the model
/// search path that holds a config.json; else Error(kModel) saying where it looked.
[[nodiscard]] std::string resolve_model_dir(const std::string& where);

struct FoundModel {
    std::string name, dir;
};

/// Every model on the search path (a folder with a config.json), first of each name only.
[[nodiscard]] std::vector<FoundModel> models_on_search_path();

}  // namespace dnassm
