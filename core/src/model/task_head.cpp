#include "dnassm/task_head.h"

#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "dnassm/error.h"
#include "dnassm/safetensors.h"

namespace dnassm {

TaskHead TaskHead::create(HeadTask task,
                          std::vector<std::string> classes,
                          std::int64_t d_model,
                          std::uint64_t seed) {
    TaskHead h;
    h.task = task;
    h.classes = std::move(classes);
    const std::int64_t C = h.n_classes();
    h.weight = Tensor({C, d_model});
    h.bias = Tensor({C});
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    for (float& w : h.weight.span_f32()) w = normal(rng);
    for (float& b : h.bias.span_f32()) b = 0.0f;
    return h;
}

Tensor TaskHead::logits(const float* rows, std::int64_t n) const {
    const std::int64_t C = n_classes(), D = weight.dim(1);
    Tensor out({n, C});
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t c = 0; c < C; ++c) {
            double z = bias.f32()[c];
            for (std::int64_t d = 0; d < D; ++d)
                z += static_cast<double>(weight.f32()[c * D + d]) * rows[i * D + d];
            out.f32()[i * C + c] = static_cast<float>(z);
        }
    return out;
}

void softmax_rows(float* x, std::int64_t rows, std::int64_t C) {
    for (std::int64_t i = 0; i < rows; ++i) {
        float* r = x + i * C;
        float m = r[0];
        for (std::int64_t c = 1; c < C; ++c) m = std::max(m, r[c]);
        double z = 0;
        for (std::int64_t c = 0; c < C; ++c) z += std::exp(static_cast<double>(r[c] - m));
        for (std::int64_t c = 0; c < C; ++c)
            r[c] = static_cast<float>(std::exp(static_cast<double>(r[c] - m)) / z);
    }
}

std::vector<float> mean_pool(const Tensor& hidden) {
    const std::int64_t L = hidden.dim(0), D = hidden.dim(1);
    std::vector<double> acc(static_cast<size_t>(D), 0.0);
    for (std::int64_t t = 0; t < L; ++t)
        for (std::int64_t d = 0; d < D; ++d) acc[static_cast<size_t>(d)] += hidden.f32()[t * D + d];
    std::vector<float> out(static_cast<size_t>(D));
    for (std::int64_t d = 0; d < D; ++d)
        out[static_cast<size_t>(d)] =
            static_cast<float>(acc[static_cast<size_t>(d)] / static_cast<double>(L));
    return out;
}

const char* TaskHead::task_name() const {
    switch (task) {
        case HeadTask::kClassify:
            return "classify";
        case HeadTask::kSegment:
            return "segment";
        case HeadTask::kRegress:
            return "regress";
        case HeadTask::kTrack:
            return "track";
    }
    return "?";
}

std::vector<std::string> TaskHead::output_names() const {
    if (predicts_values()) return classes;
    std::vector<std::string> out;
    for (const auto& c : classes) out.push_back("p_" + c);
    return out;
}

void TaskHead::activate(Tensor& logits) const {
    if (!predicts_values()) softmax_rows(logits.f32(), logits.dim(0), n_classes());
}

Tensor TaskHead::outputs(const Tensor& hidden) const {
    const std::int64_t L = hidden.dim(0), D = hidden.dim(1);
    DNASSM_CHECK(
        D == weight.dim(1), ErrorKind::kModel,
        "task head expects width " + std::to_string(weight.dim(1)) + ", got " + std::to_string(D));
    Tensor p;
    if (per_sequence()) {
        const std::vector<float> pooled = mean_pool(hidden);
        p = logits(pooled.data(), 1);
    } else {
        p = logits(hidden.f32(), L);
    }
    activate(p);
    return p;
}

std::string TaskHead::config_json() const {
    return nlohmann::json{{"task", task_name()},
                          {"classes", classes},
                          {"pooling", per_sequence() ? "mean" : "none"},
                          {"weights", "head.safetensors"}}
        .dump();
}

void TaskHead::save(const std::string& dir) const {
    write_safetensors(dir + "/head.safetensors", {{"head.weight", weight}, {"head.bias", bias}},
                      {{"format", "dnassm-task-head"}});
}

TaskHead TaskHead::load(const std::string& dir,
                        const std::string& config_json,
                        std::int64_t d_model) {
    const std::string cfg_path = dir + "/config.json", path = dir + "/head.safetensors";
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(config_json);
    } catch (const nlohmann::json::exception&) {
        throw Error(ErrorKind::kModel, cfg_path + ": task_head is not valid JSON");
    }
    TaskHead h;
    const std::string task = j.value("task", "");
    DNASSM_CHECK(task == "classify" || task == "segment" || task == "regress" || task == "track",
                 ErrorKind::kModel,
                 cfg_path + ": task_head.task must be classify, segment, regress or track, not '" +
                     task + "'");
    h.task = task == "classify"  ? HeadTask::kClassify
             : task == "segment" ? HeadTask::kSegment
             : task == "regress" ? HeadTask::kRegress
                                 : HeadTask::kTrack;
    const bool valued = h.predicts_values();
    DNASSM_CHECK(j.contains("classes") && j["classes"].is_array() &&
                     (valued ? j["classes"].size() == 1 : j["classes"].size() >= 2),
                 ErrorKind::kModel,
                 cfg_path + (valued ? ": task_head.classes must name the one regression target"
                                    : ": task_head.classes must list at least 2 classes"));
    for (const auto& c : j["classes"]) {
        DNASSM_CHECK(c.is_string(), ErrorKind::kModel,
                     cfg_path + ": task_head.classes must be strings");
        h.classes.push_back(c.get<std::string>());
    }
    auto f = read_safetensors(path);
    const std::int64_t C = h.n_classes();
    auto take = [&](const std::string& name, std::vector<std::int64_t> shape) {
        auto it = f.tensors.find(name);
        DNASSM_CHECK(it != f.tensors.end(), ErrorKind::kModel, path + ": missing " + name);
        DNASSM_CHECK(it->second.shape() == shape, ErrorKind::kModel,
                     path + ": " + name + " has shape " + it->second.shape_str() + ", expected " +
                         Tensor(shape).shape_str() + " (" + std::to_string(C) +
                         " classes, d_model " + std::to_string(d_model) + ")");
        return it->second;
    };
    h.weight = take("head.weight", {C, d_model});
    h.bias = take("head.bias", {C});
    return h;
}

}  // namespace dnassm
