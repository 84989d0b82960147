// Model::load: reads config.json, picks the family, maps weights by name.
#include "dnassm/model.h"

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"

#include "mamba.h"

namespace dnassm {

namespace fs = std::filesystem;

std::unique_ptr<Model> Model::load(const std::string& where) {
    std::error_code ec;
    fs::path dir = where;
    if (fs::is_regular_file(dir, ec)) dir = dir.parent_path();
    DNASSM_CHECK(fs::is_directory(dir, ec), ErrorKind::kModel,
                 where + ": model directory does not exist");
    const std::string config_path = (dir / "config.json").string();
    const std::string weights_path = (dir / "model.safetensors").string();
    DNASSM_CHECK(fs::exists(config_path, ec), ErrorKind::kModel, config_path + ": missing");
    DNASSM_CHECK(fs::exists(weights_path, ec), ErrorKind::kModel, weights_path + ": missing");
    nlohmann::json cfg;
    try {
        cfg = nlohmann::json::parse(read_file(config_path));
    } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorKind::kModel, config_path + ": not valid JSON (" + e.what() + ")");
    }
    DNASSM_CHECK(cfg.is_object(), ErrorKind::kModel, config_path + ": not a JSON object");

    std::string family = cfg.value("family", "");
    if (family.empty()) family = cfg.value("model_type", "");
    if (family.empty() && cfg.contains("ssm_cfg")) family = "mamba";
    DNASSM_CHECK(family == "mamba", ErrorKind::kModel,
                 config_path + ": unsupported model family '" + family + "' (supported: mamba)");

    ModelInfo info;
    info.family = family;
    info.path = dir.string();
    MambaConfig mc = parse_mamba_config(cfg, config_path, info.format);
    WeightStore ws(read_safetensors(weights_path), weights_path,
                   info.format == "dnassm"
                       ? std::vector<std::string>{"", "backbone."}
                       : std::vector<std::string>{"backbone.", "", "model.backbone."});
    auto model_ptr = std::make_unique<MambaModel>(mc, ws, info);
    const auto unused = ws.unused();
    DNASSM_CHECK(unused.empty(), ErrorKind::kModel,
                 weights_path + ": unexpected tensor '" + (unused.empty() ? "" : unused[0]) +
                     "' (" + std::to_string(unused.size()) +
                     " unused; is this a Mamba-1 checkpoint matching config.json?)");

    // Unique learnable scalars: tied tensors share storage and are counted once.
    std::set<const void*> seen;
    std::int64_t n = 0;
    for (const auto& [name, t] : ws.file().tensors)
        if (seen.insert(t.data<void>()).second) n += t.numel();
    if (ws.has("lm_head.weight") && ws.has("embedding.weight")) {
        // Published files store the tied lm_head as a second copy; count it once.
        const auto& ts = ws.file().tensors;
        auto find = [&](const std::string& s) -> const Tensor* {
            for (const char* p : {"", "backbone."})
                if (auto it = ts.find(p + s); it != ts.end()) return &it->second;
            return nullptr;
        };
        const Tensor* a = find("lm_head.weight");
        const Tensor* b = find("embedding.weight");
        if (a && b && a->numel() == b->numel() &&
            std::equal(a->f32(), a->f32() + a->numel(), b->f32()))
            n -= a->numel();
    }
    info.n_params = n;
    info.d_model = mc.d_model;
    info.n_layer = mc.n_layer;
    info.vocab_size = mc.vocab_size;
    info.details =
        "d_model " + std::to_string(mc.d_model) + ", n_layer " + std::to_string(mc.n_layer) +
        ", d_inner " + std::to_string(mc.d_inner()) + ", d_state " + std::to_string(mc.d_state) +
        ", d_conv " + std::to_string(mc.d_conv) + ", dt_rank " + std::to_string(mc.dt_rank) + ", " +
        (mc.rms_norm ? "RMSNorm" : "LayerNorm") + ", vocab " + std::to_string(mc.vocab_size) +
        (mc.tie_embeddings ? ", tied LM head" : ", separate LM head");
    if (cfg.contains("provenance")) {
        info.provenance = cfg["provenance"].is_string() ? cfg["provenance"].get<std::string>()
                                                        : cfg["provenance"].dump();
    } else if (cfg.contains("reference") && cfg["reference"].is_object()) {
        const auto& r = cfg["reference"];
        info.provenance = "published layout: " + r.value("repo", std::string("?")) + " @ " +
                          r.value("commit", std::string("?"));
    } else {
        info.provenance = "published " + info.format + " checkpoint (no provenance recorded)";
    }
    model_ptr->set_info(info);
    return model_ptr;
}

}  // namespace dnassm
