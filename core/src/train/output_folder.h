// Internal (training): the folder a trained model is written to. Training runs for hours, so a
// folder that would lose a model is refused before any step.
#pragma once

#include <string>

namespace dnassm {

/// Error(kUsage) when `out_dir` is a file, is the folder of the model trained from (`from_dir`,
/// given on the command line as `from_name`), holds a checkpoint of an earlier run (unless `resume`
/// continues it or `force` starts over), or already holds a model (unless `resume` or `force`).
void check_output_folder(const std::string& out_dir,
                         const std::string& from_dir,
                         const std::string& from_name,
                         bool force,
                         bool resume);

}  // namespace dnassm
