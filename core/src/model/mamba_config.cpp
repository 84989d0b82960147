#include "dnassm/error.h"

#include "mamba.h"

namespace dnassm {

namespace {

template <typename T>
T field(const nlohmann::json& j, const char* key, T fallback, const std::string& path) {
    if (!j.contains(key) || j[key].is_null()) return fallback;
    try {
        return j[key].get<T>();
    } catch (const nlohmann::json::exception&) {
        throw Error(ErrorKind::kModel, path + ": field '" + key + "' has the wrong type");
    }
}

std::int64_t required_int(const nlohmann::json& j, const char* key, const std::string& path) {
    DNASSM_CHECK(j.contains(key) && j[key].is_number_integer() && j[key].get<std::int64_t>() > 0,
                 ErrorKind::kModel, path + ": field '" + key + "' must be a positive integer");
    return j[key].get<std::int64_t>();
}

std::int64_t dt_rank_of(const nlohmann::json& v, std::int64_t d_model, const std::string& path) {
    if (v.is_null() || (v.is_string() && v.get<std::string>() == "auto"))
        return (d_model + 15) / 16;  // ceil(d_model / 16)
    DNASSM_CHECK(v.is_number_integer() && v.get<std::int64_t>() > 0, ErrorKind::kModel,
                 path + ": dt_rank must be \"auto\" or a positive integer");
    return v.get<std::int64_t>();
}

}  // namespace

MambaConfig parse_mamba_config(const nlohmann::json& j,
                               const std::string& path,
                               std::string& format) {
    MambaConfig c;
    c.d_model = required_int(j, "d_model", path);
    c.n_layer = required_int(j, "n_layer", path);
    const std::int64_t vocab = required_int(j, "vocab_size", path);
    if (field<std::string>(j, "format", "", path) == "dnassm") {
        format = "dnassm";
        c.vocab_size = vocab;
        c.d_state = required_int(j, "d_state", path);
        c.d_conv = required_int(j, "d_conv", path);
        c.expand = required_int(j, "expand", path);
        c.dt_rank = dt_rank_of(j.value("dt_rank", nlohmann::json()), c.d_model, path);
        const std::string norm = field<std::string>(j, "norm", "rms", path);
        DNASSM_CHECK(norm == "rms" || norm == "layer", ErrorKind::kModel,
                     path + ": norm must be \"rms\" or \"layer\"");
        c.rms_norm = norm == "rms";
        c.norm_eps = field<float>(j, "norm_eps", 1e-5f, path);
        c.conv_bias = field<bool>(j, "conv_bias", true, path);
        c.bias = field<bool>(j, "bias", false, path);
        c.tie_embeddings = field<bool>(j, "tie_embeddings", true, path);
        if (j.contains("tokenizer"))
            c.uppercase = field<bool>(j["tokenizer"], "uppercase", true, path);
        return c;
    }
    // mamba_ssm MambaConfig (models/config_mamba.py) as written by save_pretrained.
    format = "mamba_ssm";
    const std::int64_t mult = field<std::int64_t>(j, "pad_vocab_size_multiple", 8, path);
    DNASSM_CHECK(mult > 0, ErrorKind::kModel, path + ": pad_vocab_size_multiple must be positive");
    c.vocab_size = (vocab + mult - 1) / mult * mult;
    DNASSM_CHECK(field<std::int64_t>(j, "d_intermediate", 0, path) == 0, ErrorKind::kModel,
                 path + ": d_intermediate > 0 (MLP blocks) is not supported");
    if (j.contains("attn_layer_idx") && j["attn_layer_idx"].is_array())
        DNASSM_CHECK(j["attn_layer_idx"].empty(), ErrorKind::kModel,
                     path + ": attention layers (attn_layer_idx) are not supported");
    const nlohmann::json ssm = j.value("ssm_cfg", nlohmann::json::object());
    DNASSM_CHECK(ssm.is_object(), ErrorKind::kModel, path + ": ssm_cfg must be an object");
    const std::string layer = field<std::string>(ssm, "layer", "Mamba1", path);
    DNASSM_CHECK(layer == "Mamba1", ErrorKind::kModel,
                 path + ": ssm_cfg.layer '" + layer + "' is not supported (only Mamba1)");
    c.d_state = field<std::int64_t>(ssm, "d_state", 16, path);
    c.d_conv = field<std::int64_t>(ssm, "d_conv", 4, path);
    c.expand = field<std::int64_t>(ssm, "expand", 2, path);
    c.dt_rank = dt_rank_of(ssm.value("dt_rank", nlohmann::json("auto")), c.d_model, path);
    c.conv_bias = field<bool>(ssm, "conv_bias", true, path);
    c.bias = field<bool>(ssm, "bias", false, path);
    c.rms_norm = field<bool>(j, "rms_norm", true, path);
    c.norm_eps = field<float>(j, "norm_epsilon", 1e-5f, path);
    c.tie_embeddings = field<bool>(j, "tie_embeddings", true, path);
    DNASSM_CHECK(c.d_state > 0 && c.d_conv > 0 && c.expand > 0, ErrorKind::kModel,
                 path + ": d_state, d_conv and expand must be positive");
    DNASSM_CHECK(c.vocab_size >= 12, ErrorKind::kModel,
                 path + ": vocab_size must cover the DNA character ids (>= 12)");
    return c;
}

}  // namespace dnassm
