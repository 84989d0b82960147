// dnassm info: what a model is and where its weights came from; or what a saved stream state
// (predict --state-out) holds; without an argument, the models -m finds by name.
#include <iostream>

#include "dnassm/error.h"
#include "dnassm/install_paths.h"
#include "dnassm/per_base_track.h"
#include "dnassm/stream_state.h"
#include "dnassm/task_head.h"

#include "commands.h"
#include "common.h"

namespace dnassm::app {

int cmd_info(int argc, char** argv) {
    std::vector<std::string> dirs;
    po::options_description desc("dnassm info options");
    desc.add_options()("help,h", "show this help");
    if (!parse_options(argc, argv, "dnassm info [MODEL_DIR | MODEL_NAME | STATE_FILE]", desc, &dirs,
                       1))
        return 0;
    if (dirs.empty()) {  // the models -m finds by name
        const auto found = models_on_search_path();
        std::cout
            << "models found by name (-m NAME), from DNASSM_MODEL_PATH and the bundled ones:\n";
        for (const auto& m : found) std::cout << "  " << m.name << "\t" << m.dir << "\n";
        if (found.empty()) std::cout << "  (none)\n";
        return 0;
    }
    const std::string& dir = dirs.front();
    if (is_stream_state(dir)) {  // a state saved by predict --state-out
        const StreamStateInfo s = read_stream_state_info(dir);
        std::cout << "stream state: " << dir << "\n"
                  << "continues:    " << s.where.contig << " at base " << s.where.position + 1
                  << " (1-based; bases before it seen)\n"
                  << "model:        " << s.model << " (weights " << s.model_fingerprint << ")\n"
                  << "values:       " << s.values << " (per-layer conv and SSM states)\n"
                  << "saved by:     dnassm " << s.dnassm_version << "\n";
        return 0;
    }
    const auto model = Model::load(dir);
    const ModelInfo& i = model->info();
    std::cout << "model:       " << i.path << "\n"
              << "family:      " << i.family << (model->causal() ? " (causal LM)" : "") << "\n"
              << "format:      " << i.format << "\n"
              << "parameters:  " << i.n_params << "\n"
              << "architecture: " << i.details << "\n";
    // What predict gives for this model: a classifier's probabilities per sequence, else tracks.
    const TaskHead* head = model->task_head();
    std::string outputs;
    if (head && head->per_sequence()) {
        outputs = "a row per sequence (-o OUT.tsv):";
        for (const auto& name : head->output_names()) outputs += " " + name;
    } else {
        for (const auto& name : track_names(*model))
            outputs += (outputs.empty() ? "" : ", ") + name;
        outputs += " (--track; per base, or summed per sequence with -o OUT.tsv)";
    }
    if (head && head->task == HeadTask::kRegress)
        std::cout << "task head:   regress, one value\n";
    else if (head && head->task == HeadTask::kTrack)
        std::cout << "task head:   track, one value per base\n";
    else if (head)
        std::cout << "task head:   " << head->task_name() << ", " << head->classes.size()
                  << " classes\n";
    std::cout << "predicts:    " << outputs << "\n"
              << "provenance:  " << i.provenance << "\n";
    return 0;
}

}  // namespace dnassm::app
