// dnassm info: what a model is and where its weights came from.
#include <iostream>

#include "dnassm/error.h"

#include "commands.h"
#include "common.h"

namespace dnassm::app {

int cmd_info(int argc, char** argv) {
    std::string dir;
    po::options_description desc("dnassm info options");
    desc.add_options()("help,h", "show this help");
    po::options_description hidden;
    hidden.add_options()("model", po::value(&dir));
    po::options_description all;
    all.add(desc).add(hidden);
    po::positional_options_description pos;
    pos.add("model", 1);
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    if (vm.count("help")) {
        std::cout << "Usage: dnassm info MODEL_DIR\n\n" << desc << "\n";
        return 0;
    }
    po::notify(vm);
    DNASSM_CHECK(!dir.empty(), ErrorKind::kUsage, "missing MODEL_DIR");
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
