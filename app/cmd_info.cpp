// dnassm info: what a model is and where its weights came from.
#include <iostream>

#include "dnassm/error.h"

#include "commands.h"
#include "common.h"

namespace dnassm::app {

int cmd_info(int argc, char** argv) {
    std::vector<std::string> dirs;
    po::options_description desc("dnassm info options");
    desc.add_options()("help,h", "show this help");
    if (!parse_options(argc, argv, "dnassm info MODEL_DIR", desc, &dirs, 1)) return 0;
    DNASSM_CHECK(!dirs.empty(), ErrorKind::kUsage, "missing MODEL_DIR");
    const std::string& dir = dirs.front();
    const auto model = Model::load(dir);
    const ModelInfo& i = model->info();
    std::cout << "model:       " << i.path << "\n"
              << "family:      " << i.family << (model->causal() ? " (causal LM)" : "") << "\n"
              << "format:      " << i.format << "\n"
              << "parameters:  " << i.n_params << "\n"
              << "architecture: " << i.details << "\n"
              << "provenance:  " << i.provenance << "\n";
    return 0;
}

}  // namespace dnassm::app
