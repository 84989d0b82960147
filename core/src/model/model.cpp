// Model::load: reads config.json, picks the family, maps weights by name.
#include "dnassm/model.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "dnassm/error.h"
#include "dnassm/install_paths.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/text.h"

#include "caduceus.h"
#include "hyena.h"
#include "mamba.h"

namespace dnassm {

namespace fs = std::filesystem;

std::int64_t Model::limit_context(std::int64_t) {
    throw Error(ErrorKind::kUsage, info().path + ": a " + info().family +
                                       " model streams exactly; limiting its context (exact "
                                       "tiling) applies to models that tile, like HyenaDNA");
}

Tensor Model::logits(Backend& backend, const Tensor& hidden) const {
    Tensor out = Tensor::uninitialized({hidden.dim(0), info().vocab_size});
    logits_into(backend, hidden, out);
    return out;
}

namespace {

// Everything after the JSON parse; nlohmann type errors from mistyped fields are caught by load.
std::unique_ptr<Model> load_parsed(const fs::path& dir,
                                   const nlohmann::json& cfg,
                                   const std::string& config_path,
                                   const std::string& weights_path) {
    std::string family = cfg.value("family", "");
    if (family.empty()) family = cfg.value("model_type", "");
    if (family.empty() && cfg.contains("ssm_cfg")) family = "mamba";
    if (family == "hyenadna") family = "hyena";
    DNASSM_CHECK(family == "mamba" || family == "hyena" || family == "caduceus", ErrorKind::kModel,
                 config_path + ": unsupported model family '" + family +
                     "' (supported: mamba, hyena, caduceus)");

    ModelInfo info;
    info.family = family;
    info.path = dir.string();
    std::unique_ptr<Model> model_ptr;
    std::unique_ptr<WeightStore> ws_ptr;
    if (family == "mamba") {
        MambaConfig mc = parse_mamba_config(cfg, config_path, info.format);
        ws_ptr = std::make_unique<WeightStore>(
            read_safetensors(weights_path), weights_path,
            info.format == "dnassm" ? std::vector<std::string>{"", "backbone."}
                                    : std::vector<std::string>{"backbone.", "", "model.backbone."});
        auto m = std::make_unique<MambaModel>(mc, *ws_ptr, info);
        info.d_model = mc.d_model;
        info.n_layer = mc.n_layer;
        info.vocab_size = mc.vocab_size;
        info.details = "d_model " + std::to_string(mc.d_model) + ", n_layer " +
                       std::to_string(mc.n_layer) + ", d_inner " + std::to_string(mc.d_inner()) +
                       ", d_state " + std::to_string(mc.d_state) + ", d_conv " +
                       std::to_string(mc.d_conv) + ", dt_rank " + std::to_string(mc.dt_rank) +
                       ", " + (mc.rms_norm ? "RMSNorm" : "LayerNorm") + ", vocab " +
                       std::to_string(mc.vocab_size) +
                       (mc.tie_embeddings ? ", tied LM head" : ", separate LM head");
        model_ptr = std::move(m);
    } else if (family == "caduceus") {
        CaduceusConfig cc = parse_caduceus_config(cfg, config_path);
        info.format = "caduceus";
        ws_ptr = std::make_unique<WeightStore>(
            read_safetensors(weights_path), weights_path,
            std::vector<std::string>{"caduceus.backbone.", "backbone.", ""});
        const MambaConfig& mc = cc.mamba;
        info.d_model = cc.rcps ? 2 * mc.d_model : mc.d_model;
        info.rc_halves = cc.rcps;
        info.n_layer = mc.n_layer;
        info.vocab_size = mc.vocab_size;
        info.details = std::string(cc.rcps ? "Caduceus-PS (RC-equivariant, hidden [fwd | rc] = 2 x "
                                           : "Caduceus-Ph (BiMamba, hidden ") +
                       std::to_string(mc.d_model) + "), n_layer " + std::to_string(mc.n_layer) +
                       ", d_inner " + std::to_string(mc.d_inner()) + ", d_state " +
                       std::to_string(mc.d_state) + ", bidirectional " +
                       (cc.multiply ? "ew_multiply" : "add") +
                       (cc.weight_tie ? ", in/out projections tied" : "") + ", vocab " +
                       std::to_string(mc.vocab_size);
        model_ptr = std::make_unique<CaduceusModel>(cc, *ws_ptr, info);
    } else {
        HyenaConfig hc = parse_hyena_config(cfg, config_path, info.format);
        ws_ptr = std::make_unique<WeightStore>(
            read_safetensors(weights_path), weights_path,
            std::vector<std::string>{"backbone.", "hyena.backbone.", "model.backbone.", "",
                                     "hyena.", "model."});
        auto m = std::make_unique<HyenaModel>(hc, *ws_ptr, info);
        info.d_model = hc.d_model;
        info.n_layer = hc.n_layer;
        info.vocab_size = hc.vocab_size;
        info.details = "d_model " + std::to_string(hc.d_model) + ", n_layer " +
                       std::to_string(hc.n_layer) + ", d_inner " + std::to_string(hc.d_inner) +
                       ", l_max " + std::to_string(hc.l_max) + ", filter_order " +
                       std::to_string(hc.filter_order) + ", emb_dim " + std::to_string(hc.emb_dim) +
                       ", shift " + std::to_string(hc.shift).substr(0, 4) + ", vocab " +
                       std::to_string(hc.vocab_size) +
                       (m->config().n_classes
                            ? ", classification head " + std::to_string(m->config().n_classes)
                            : std::string());
        model_ptr = std::move(m);
    }
    WeightStore& ws = *ws_ptr;
    const auto unused = ws.unused();
    DNASSM_CHECK(unused.empty(), ErrorKind::kModel,
                 weights_path + ": unexpected tensor '" + (unused.empty() ? "" : unused[0]) +
                     "' (" + std::to_string(unused.size()) +
                     " unused; does the checkpoint match config.json?)");

    // Learnable scalars: buffers (HyenaDNA's pos_emb.z/t, modulation.deltas) are not counted,
    // and tensors stored more than once (tied lm_head, the shared Sin freq) count once.
    std::int64_t n = 0;
    const auto& ts = ws.file().tensors;
    auto ends_with = [](const std::string& s, const std::string& suf) {
        return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
    };
    const Tensor* emb = nullptr;
    for (const auto& [name, t] : ts)
        if (ends_with(name, "embedding.weight") || ends_with(name, "word_embeddings.weight"))
            emb = &t;
    for (const auto& [name, t] : ts) {
        if (t.dtype() != DType::kF32) continue;  // integer buffers (complement maps)
        if (const auto at = name.find("mamba_rev.");
            at != std::string::npos &&
            (ends_with(name, "in_proj.weight") || ends_with(name, "out_proj.weight"))) {
            std::string fwd = name;
            fwd.replace(at, 10, "mamba_fwd.");
            auto it = ts.find(fwd);
            if (it != ts.end() && it->second.numel() == t.numel() &&
                std::equal(t.f32(), t.f32() + t.numel(), it->second.f32()))
                continue;  // Caduceus' weight-tied reverse projections, stored twice
        }
        if (ends_with(name, "pos_emb.z") || ends_with(name, "pos_emb.t") ||
            ends_with(name, "modulation.deltas"))
            continue;
        if ((ends_with(name, ".3.freq") || ends_with(name, ".5.freq")) &&
            ts.count(name.substr(0, name.size() - 6) + "1.freq"))
            continue;
        if (ends_with(name, "lm_head.weight") && emb && emb->numel() == t.numel() &&
            std::equal(t.f32(), t.f32() + t.numel(), emb->f32()))
            continue;
        n += t.numel();
    }
    info.n_params = n;
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
    if (cfg.contains("task_head")) {
        info.details +=
            std::string(", task head: ") + cfg["task_head"].value("task", "?") + " " +
            std::to_string(cfg["task_head"].value("classes", nlohmann::json::array()).size()) +
            " classes";
        model_ptr->set_task_head(std::make_shared<const TaskHead>(
            TaskHead::load(dir.string(), cfg["task_head"].dump(), info.d_model)));
    }
    if (auto* mm = dynamic_cast<MambaModel*>(model_ptr.get())) mm->set_info(info);
    if (auto* hm = dynamic_cast<HyenaModel*>(model_ptr.get())) hm->set_info(info);
    if (auto* cm = dynamic_cast<CaduceusModel*>(model_ptr.get())) cm->set_info(info);
    return model_ptr;
}

}  // namespace

std::unique_ptr<Model> Model::load(const std::string& where) {
    std::error_code ec;
    fs::path dir = resolve_model_dir(where);
    const bool file = fs::is_regular_file(dir, ec);  // a model's config.json or weights
    if (file) dir = dir.parent_path();
    DNASSM_CHECK(fs::is_directory(dir, ec), ErrorKind::kModel,
                 where + ": model directory does not exist");
    const std::string config_path = (dir / "config.json").string();
    const std::string weights_path = (dir / "model.safetensors").string();
    DNASSM_CHECK(fs::exists(config_path, ec), ErrorKind::kModel,
                 file ? where +
                            ": not a model (a model is a directory of config.json and "
                            "model.safetensors; this file has no config.json beside it)"
                      : where + ": not a model directory (no config.json)");
    DNASSM_CHECK(fs::exists(weights_path, ec), ErrorKind::kModel, weights_path + ": missing");
    nlohmann::json cfg;
    try {
        cfg = nlohmann::json::parse(read_file(config_path));
    } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorKind::kModel,
                    config_path + ": not valid JSON (" + json_message(e.what()) + ")");
    }
    DNASSM_CHECK(cfg.is_object(), ErrorKind::kModel, config_path + ": not a JSON object");

    try {
        return load_parsed(dir, cfg, config_path, weights_path);
    } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorKind::kModel, config_path + ": a field has the wrong type or value (" +
                                           json_message(e.what()) + ")");
    }
}

}  // namespace dnassm
