#include "train/output_folder.h"

#include <filesystem>

#include "dnassm/error.h"

namespace dnassm {

void check_output_folder(const std::string& out_dir,
                         const std::string& from_dir,
                         const std::string& from_name,
                         bool force,
                         bool resume) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const std::string where = "-o " + out_dir + ": ";
    DNASSM_CHECK(!fs::exists(out_dir, ec) || fs::is_directory(out_dir, ec), ErrorKind::kUsage,
                 where + "is a file; the trained model is written to a folder");
    DNASSM_CHECK(!fs::equivalent(out_dir, from_dir, ec), ErrorKind::kUsage,
                 where + "is the folder of the model trained from (-m " + from_name +
                     "); write the trained model to another folder");
    if (force || resume) return;
    const fs::path dir = out_dir;
    DNASSM_CHECK(!fs::exists(dir / "checkpoint.safetensors", ec), ErrorKind::kUsage,
                 where +
                     "holds the checkpoint of an earlier run: --resume continues it, --force "
                     "starts over");
    DNASSM_CHECK(!fs::exists(dir / "config.json", ec) && !fs::exists(dir / "model.safetensors", ec),
                 ErrorKind::kUsage, where + "already holds a model (use --force to replace it)");
}

}  // namespace dnassm
