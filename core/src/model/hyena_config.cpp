#include "dnassm/error.h"

#include "hyena.h"

namespace dnassm {

namespace {

std::int64_t positive(const nlohmann::json& j,
                      const char* key,
                      std::int64_t fallback,
                      const std::string& path) {
    if (!j.contains(key) || j[key].is_null()) {
        DNASSM_CHECK(fallback > 0, ErrorKind::kModel, path + ": missing field '" + key + "'");
        return fallback;
    }
    DNASSM_CHECK(j[key].is_number_integer() && j[key].get<std::int64_t>() > 0, ErrorKind::kModel,
                 path + ": field '" + key + "' must be a positive integer");
    return j[key].get<std::int64_t>();
}

float number(const nlohmann::json& j, const char* key, float fallback, const std::string& path) {
    if (!j.contains(key) || j[key].is_null()) return fallback;
    DNASSM_CHECK(j[key].is_number(), ErrorKind::kModel,
                 path + ": field '" + key + "' must be a number");
    return j[key].get<float>();
}

}  // namespace

HyenaConfig parse_hyena_config(const nlohmann::json& j,
                               const std::string& path,
                               std::string& format) {
    HyenaConfig c;
    c.d_model = positive(j, "d_model", 0, path);
    c.n_layer = positive(j, "n_layer", 0, path);
    c.d_inner = positive(j, "d_inner", 4 * c.d_model, path);
    const std::int64_t vocab = positive(j, "vocab_size", 12, path);
    const std::int64_t mult = positive(j, "pad_vocab_size_multiple", 8, path);
    c.vocab_size = (vocab + mult - 1) / mult * mult;
    c.norm_eps = number(j, "layer_norm_epsilon", 1e-5f, path);
    if (j.value("format", "") == "dnassm") {
        format = "dnassm";
        c.l_max = positive(j, "l_max", 0, path);
        c.emb_dim = positive(j, "emb_dim", 5, path);
        c.filter_order = positive(j, "filter_order", 64, path);
        c.shift = number(j, "shift", 0.05f, path);
        c.tie_embeddings = j.value("tie_embeddings", true);
        c.modulate = j.value("modulate", true);
        c.num_inner_mlps = positive(j, "num_inner_mlps", 2, path);
    } else if (j.contains("layer") && j["layer"].is_object()) {
        // The repo / Lightning config: hyena hyper-parameters under "layer".
        format = "hyenadna";
        const auto& l = j["layer"];
        c.l_max = positive(l, "l_max", 0, path);
        c.emb_dim = positive(l, "emb_dim", 3, path);
        c.filter_order = positive(l, "filter_order", 64, path);
        c.shift = number(l, "shift", 0.05f, path);
        c.modulate = l.value("modulate", true);
        if (j.value("use_head", false)) c.n_classes = positive(j, "n_classes", 2, path);
    } else {
        // The HF "-hf" port: flat fields, separate lm_head.
        format = "hyenadna-hf";
        c.l_max = positive(j, "max_seq_len", 0, path);
        c.emb_dim = positive(j, "emb_dim", 5, path);
        c.filter_order = positive(j, "filter_order", 64, path);
        c.short_filter = positive(j, "short_filter_order", 3, path);
        c.num_inner_mlps = positive(j, "num_inner_mlps", 2, path);
        c.tie_embeddings = j.value("tie_word_embeddings", false);
        c.shift = 0.05f;
        DNASSM_CHECK(j.value("hyena_order", 2) == 2, ErrorKind::kModel,
                     path + ": only hyena_order 2 is supported");
    }
    DNASSM_CHECK(c.emb_dim % 2 == 1 && c.emb_dim >= 3, ErrorKind::kModel,
                 path + ": emb_dim must be odd and >= 3");
    DNASSM_CHECK(c.short_filter == 3, ErrorKind::kModel, path + ": short filter order must be 3");
    DNASSM_CHECK(c.vocab_size >= 12, ErrorKind::kModel, path + ": vocab_size must be >= 12");
    return c;
}

}  // namespace dnassm
