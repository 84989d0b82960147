// dnassm info: what a model is and where its weights came from; or what a saved stream state
// (predict --state-out) holds; or what a track, BED calls or embeddings (.h5; an .npy, its shape)
// say produced them (a bigWig: its contigs); without an argument, the models -m finds by name.
// --json says the same as one JSON value, for scripts.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "dnassm/error.h"
#include "dnassm/install_paths.h"
#include "dnassm/io/embedding_file.h"
#include "dnassm/io/npy.h"
#include "dnassm/io/writers.h"
#include "dnassm/per_base_track.h"
#include "dnassm/stream_state.h"
#include "dnassm/task_head.h"

#include "commands.h"
#include "common.h"

namespace dnassm::app {

namespace {

// A JSON value as a person reads it: strings bare, lists joined, objects one "key: value" line
// per leaf under dotted keys ("evaluation.command: ...").
void print_leaves(std::ostream& out, const nlohmann::json& j, const std::string& key) {
    if (j.is_object()) {
        for (const auto& [k, v] : j.items()) print_leaves(out, v, key.empty() ? k : key + "." + k);
        return;
    }
    std::string text;
    if (j.is_string()) {
        text = j.get<std::string>();
    } else if (j.is_array() &&
               std::all_of(j.begin(), j.end(), [](const auto& e) { return e.is_primitive(); })) {
        for (const auto& e : j)
            text += (text.empty() ? "" : ", ") + (e.is_string() ? e.get<std::string>() : e.dump());
    } else {
        text = j.dump();
    }
    out << "  " << key << ": " << text << "\n";
}

// What predict, merge and call write, named by its type: "bigWig", "bedGraph" or "BED" (calls);
// empty for any other name.
std::string track_format(const std::string& path) {
    const std::string ext = text_extension(path);
    if (ext == ".bedgraph" || ext == ".bg") return "bedGraph";
    if (ext == ".bed") return "BED";
    if (!gz_name(path) && is_bigwig_extension(ext)) return "bigWig";
    return {};
}

// What produced a track or calls, where a bedGraph or BED says it (its top lines only: a
// genome-wide bedGraph is not read through); a bigWig's contigs from its header.
int describe_track(const std::string& path, const std::string& format, bool json) {
    const FileAttributes about = read_track_description(path);
    const bool bigwig = format == "bigWig";
    std::vector<Contig> contigs;
    if (bigwig) contigs = TrackFile(path).contigs();
    if (json) {
        nlohmann::ordered_json j = {{"file", path}, {"format", format}};
        if (bigwig) {
            j["contigs"] = nlohmann::ordered_json::array();
            for (const Contig& c : contigs)
                j["contigs"].push_back({{"name", c.name}, {"length", c.length}});
        }
        j["description"] = nlohmann::ordered_json::object();
        for (const auto& [key, value] : about) j["description"][key] = value;
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << "file:        " << path << "\n"
              << "format:      " << format << "\n";
    if (bigwig) {
        std::int64_t bases = 0;
        for (const Contig& c : contigs) bases += c.length;
        std::cout << "contigs:     " << contigs.size() << " (" << bases << " bases)\n";
    }
    if (about.empty()) {
        std::cout << "produced by: "
                  << (bigwig ? "(a bigWig has no place to say)" : "(the file does not say)")
                  << "\n";
        return 0;
    }
    std::cout << "produced by:\n";
    for (const auto& [key, value] : about) std::cout << "  " << key << ": " << value << "\n";
    return 0;
}

// What produced embeddings written to HDF5 (embed's root attributes), and how many datasets or
// pooled vectors it holds.
int describe_embeddings(const std::string& path, bool json) {
    const EmbeddingFileInfo info = read_embedding_file_info(path);
    if (json) {
        nlohmann::ordered_json j = {{"file", path}, {"format", "HDF5"}};
        if (info.vectors >= 0)
            j["vectors"] = {info.vectors, info.dims};
        else
            j["datasets"] = info.datasets;
        j["description"] = nlohmann::ordered_json::object();
        for (const auto& [key, value] : info.description) j["description"][key] = value;
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << "file:        " << path << "\n"
              << "format:      HDF5 (embeddings)\n";
    if (info.vectors >= 0)
        std::cout << "vectors:     " << info.vectors << " of " << info.dims << " values (pooled)\n";
    else
        std::cout << "datasets:    " << info.datasets << "\n";
    if (info.description.empty()) {
        std::cout << "produced by: (the file does not say)\n";
        return 0;
    }
    std::cout << "produced by:\n";
    for (const auto& [key, value] : info.description)
        std::cout << "  " << key << ": " << value << "\n";
    return 0;
}

// The array an .npy file holds (embed's per-base or pooled rows); the format keeps no provenance.
int describe_npy(const std::string& path, bool json) {
    const NpyHeader h = read_npy_header(path);
    const std::string dtype = h.descr == "<f4"   ? "float32"
                              : h.descr == "<f2" ? "float16"
                              : h.descr == "<i8" ? "int64"
                              : h.descr == "<i4" ? "int32"
                                                 : h.descr;
    if (json) {
        const nlohmann::ordered_json j = {
            {"file", path}, {"format", "NPY"}, {"dtype", dtype}, {"shape", h.shape}};
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::string shape;
    for (const std::int64_t d : h.shape) shape += (shape.empty() ? "" : " x ") + std::to_string(d);
    std::cout << "file:        " << path << "\n"
              << "format:      NPY, " << dtype << ", shape " << (shape.empty() ? "()" : shape)
              << "\n"
              << "produced by: (an .npy file holds no provenance; embed writes it into .h5 "
                 "outputs)\n";
    return 0;
}

}  // namespace

int cmd_info(int argc, char** argv) {
    std::vector<std::string> dirs;
    bool json = false;
    po::options_description desc("dnassm info options");
    desc.add_options()("help,h", "show this help")(
        "json", po::bool_switch(&json),
        "the description (of a model, state, track or embeddings) as one JSON object on standard "
        "output, for "
        "scripts");
    if (!parse_options(
            argc, argv,
            "dnassm info [--json] [MODEL_DIR | MODEL_NAME | STATE_FILE | EMBEDDINGS.{h5,npy} | "
            "TRACK.{bw,bedgraph[.gz]} | CALLS.bed[.gz]]",
            desc, &dirs, 1))
        return 0;
    if (dirs.empty()) {  // the models -m finds by name
        const auto found = models_on_search_path();
        if (json) {
            nlohmann::ordered_json list = nlohmann::ordered_json::array();
            for (const auto& m : found) list.push_back({{"name", m.name}, {"dir", m.dir}});
            std::cout << list.dump(2) << "\n";
            return 0;
        }
        std::cout
            << "models found by name (-m NAME), from DNASSM_MODEL_PATH and the bundled ones:\n";
        for (const auto& m : found) std::cout << "  " << m.name << "\t" << m.dir << "\n";
        if (found.empty()) std::cout << "  (none)\n";
        return 0;
    }
    const std::string& dir = dirs.front();
    if (const std::string format = track_format(dir); !format.empty())
        return describe_track(dir, format, json);
    std::error_code ec;
    if (const std::string ext = file_extension(dir);
        ext == ".h5" || ext == ".hdf5" ||
        (std::filesystem::is_regular_file(dir, ec) && is_hdf5_file(dir)))
        return describe_embeddings(dir, json);
    if (file_extension(dir) == ".npy") return describe_npy(dir, json);
    if (is_stream_state(dir)) {  // a state saved by predict --state-out
        const StreamStateInfo s = read_stream_state_info(dir);
        if (json) {
            const nlohmann::ordered_json j = {{"stream_state", dir},
                                              {"contig", s.where.contig},
                                              {"next_base", s.where.position + 1},
                                              {"model", s.model},
                                              {"model_fingerprint", s.model_fingerprint},
                                              {"values", s.values},
                                              {"dnassm_version", s.dnassm_version}};
            std::cout << j.dump(2) << "\n";
            return 0;
        }
        std::cout << "stream state: " << dir << "\n"
                  << "continues:    " << s.where.contig << " at base " << s.where.position + 1
                  << " (1-based; bases before it seen)\n"
                  << "model:        " << s.model << " (weights " << s.model_fingerprint << ")\n"
                  << "values:       " << s.values << " (per-layer conv and SSM states)\n"
                  << "saved by:     dnassm " << s.dnassm_version << "\n";
        return 0;
    }
    DNASSM_CHECK(
        !std::filesystem::is_regular_file(dir, ec) ||
            std::filesystem::exists(std::filesystem::path(dir).parent_path() / "config.json", ec),
        ErrorKind::kUsage,
        dir +
            ": not a model, stream state, track (.bw, .bedgraph[.gz]), BED calls (.bed[.gz]) "
            "or embeddings (.h5, .npy), which info describes");
    const auto model = Model::load(dir);
    const ModelInfo& i = model->info();
    const TaskHead* head = model->task_head();
    // Provenance is a JSON object for models dnassm trained or converted, else a line of text.
    const nlohmann::json provenance = [&] {
        const auto parsed = nlohmann::json::parse(i.provenance, nullptr, false);
        return parsed.is_object() ? parsed : nlohmann::json(i.provenance);
    }();
    if (json) {
        nlohmann::ordered_json j = {{"model", i.path},
                                    {"family", i.family},
                                    {"causal_lm", model->causal()},
                                    {"format", i.format},
                                    {"parameters", i.n_params},
                                    {"architecture", i.details},
                                    {"tracks", track_names(*model)}};
        if (head) {
            j["task_head"] = {{"task", head->task_name()}, {"outputs", head->output_names()}};
            if (!head->classes.empty()) j["task_head"]["classes"] = head->classes;
        }
        j["provenance"] = provenance;
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << "model:       " << i.path << "\n"
              << "family:      " << i.family << (model->causal() ? " (causal LM)" : "") << "\n"
              << "format:      " << i.format << "\n"
              << "parameters:  " << i.n_params << "\n"
              << "architecture: " << i.details << "\n";
    // What predict gives for this model: a classifier's probabilities per sequence, else tracks.
    std::string outputs;
    if (head && head->per_sequence()) {
        outputs = "a row per sequence (-o OUT.tsv):";
        for (const auto& name : head->output_names()) outputs += " " + name;
        if (head->task == HeadTask::kClassify) outputs += " class";
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
    std::cout << "predicts:    " << outputs << "\n";
    if (provenance.is_object()) {
        std::cout << "provenance:\n";
        print_leaves(std::cout, provenance, "");
    } else {
        std::cout << "provenance:  " << i.provenance << "\n";
    }
    return 0;
}

}  // namespace dnassm::app
