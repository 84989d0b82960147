// Fine-tuning: a task head on the final hidden states, trained with AdamW together with the
// Mamba backbone (full) or alone (--freeze-backbone, any model family). Validation after every
// epoch (classify) or every eval_every steps; the best head by the chosen metric is kept, and
// training stops early after `patience` evaluations without improvement.
#include "train/finetune.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "dnassm/backend.h"
#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/messages.h"
#include "dnassm/model.h"
#include "dnassm/record_batches.h"
#include "dnassm/sequence_runner.h"
#include "dnassm/tokenizer.h"

#include "model/window_activations.h"
#include "train/finetune_data.h"
#include "train/output_folder.h"
#include "train/trainable.h"

namespace dnassm {

namespace fs = std::filesystem;

namespace {

// Head loss over rows {n, D}: the sum of the rows' cross-entropies (classes) or squared errors
// (regress); adds head gradients into g_w/g_b and writes d loss / d row into drows (when given),
// all scaled by `scale`.
double head_loss(const TaskHead& head,
                 const float* rows,
                 std::int64_t n,
                 HeadTarget target,
                 double scale,
                 float* g_w,
                 float* g_b,
                 float* drows) {
    const std::int64_t C = head.n_classes(), D = head.weight.dim(1);
    Tensor p = head.logits(rows, n);
    head.activate(p);
    double loss = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        float* pi = p.f32() + i * C;
        // pi becomes d loss / d logits (before scale).
        if (target.values) {  // a base without a value (NaN) adds nothing
            const double r =
                std::isnan(target.values[i]) ? 0.0 : static_cast<double>(pi[0]) - target.values[i];
            loss += r * r * scale;
            pi[0] = static_cast<float>(2.0 * r);
        } else {
            const std::int32_t y = target.labels[i];
            const double w = target.class_weights ? target.class_weights[y] : 1.0;
            loss -= std::log(std::max(static_cast<double>(pi[y]), 1e-30)) * scale * w;
            pi[y] -= 1.0f;
            if (w != 1.0)
                for (std::int64_t c = 0; c < C; ++c) pi[c] = static_cast<float>(pi[c] * w);
        }
        for (std::int64_t c = 0; c < C; ++c) {
            const float dl = static_cast<float>(pi[c] * scale);
            g_b[c] += dl;
            for (std::int64_t d = 0; d < D; ++d) g_w[c * D + d] += dl * rows[i * D + d];
        }
        if (drows)
            for (std::int64_t d = 0; d < D; ++d) {
                double acc = 0;
                for (std::int64_t c = 0; c < C; ++c)
                    acc += static_cast<double>(pi[c]) * head.weight.f32()[c * D + d];
                drows[i * D + d] = static_cast<float>(acc * scale);
            }
    }
    return loss;
}

// The validation figure that picks the kept head: higher is better; an undefined correlation
// (constant predictions) is the worst.
double metric_of(const TaskMetrics& m, const std::string& select) {
    if (select == "loss") return -m.loss;
    if (select == "pearson" || select == "spearman") {
        const double r = select == "pearson" ? m.pearson : m.spearman;
        return std::isnan(r) ? -INFINITY : r;
    }
    if (select == "mcc") return m.mcc;
    if (select == "accuracy") return m.accuracy;
    return std::isnan(m.auroc) ? m.mcc : m.auroc;
}

void write_model_dir(const FinetuneOptions& o,
                     const Model& base,
                     const Trainable* trained_backbone,
                     const TaskHead& head,
                     const nlohmann::json& provenance) {
    fs::create_directories(o.out_dir);
    const fs::path src = base.info().path;
    nlohmann::json cfg;
    if (trained_backbone) {
        trained_backbone->save(o.out_dir, provenance);
        cfg = nlohmann::json::parse(read_file(o.out_dir + "/config.json"));
    } else {
        // Frozen backbone: the base weights and config are carried over unchanged.
        AtomicFile weights(o.out_dir + "/model.safetensors");
        fs::copy_file(src / "model.safetensors", weights.temp_path(),
                      fs::copy_options::overwrite_existing);
        weights.commit();
        cfg = nlohmann::json::parse(read_file((src / "config.json").string()));
        cfg["provenance"] = provenance;
    }
    head.save(o.out_dir);
    cfg["task_head"] = nlohmann::json::parse(head.config_json());
    write_file(o.out_dir + "/config.json", cfg.dump(2) + "\n");
}

}  // namespace

double task_loss(const Trainable& model,
                 const TaskHead& head,
                 std::span<const std::int32_t> ids,
                 HeadTarget target,
                 double scale,
                 std::map<std::string, Tensor>& grads,
                 Backend& be,
                 bool recompute) {
    const std::int64_t L = static_cast<std::int64_t>(ids.size()), D = head.weight.dim(1);
    // The head's gradients are computed on the host: host tensors (the backbone's may be the
    // backend's).
    grads.try_emplace("head.weight", head.weight.shape());
    grads.try_emplace("head.bias", head.bias.shape());
    float* gw = grads.at("head.weight").f32();
    float* gb = grads.at("head.bias").f32();
    const auto tape = model.forward(ids, be, recompute);
    // The head runs on the host: hidden {L, D} comes down, its gradient goes back up.
    const Tensor hidden = WindowActivations(be, L).to_host(tape->hidden);
    Tensor dh({L, D});
    double loss = 0;
    if (!head.per_sequence()) {
        loss = head_loss(head, hidden.f32(), L, target, scale / static_cast<double>(L), gw, gb,
                         dh.f32());
    } else {
        const std::vector<float> pooled = mean_pool(hidden);
        std::vector<float> dp(static_cast<size_t>(D));
        loss = head_loss(head, pooled.data(), 1, target, scale, gw, gb, dp.data());
        for (std::int64_t t = 0; t < L; ++t)
            for (std::int64_t d = 0; d < D; ++d)
                dh.f32()[t * D + d] = dp[static_cast<size_t>(d)] / static_cast<float>(L);
    }
    model.backward(*tape, ids, dh.f32(), grads);
    return loss;
}

namespace {

// Checks the options that need no data and returns the metric that picks the kept head.
std::string checked_select(const FinetuneOptions& o) {
    DNASSM_CHECK(o.batch >= 1 && o.epochs >= 1 && o.patience >= 1, ErrorKind::kUsage,
                 "--batch, --epochs and --patience must be >= 1");
    DNASSM_CHECK(!(o.recompute && o.freeze_backbone), ErrorKind::kUsage,
                 "--recompute has nothing to recompute with --freeze-backbone (no "
                 "backward pass runs through the backbone)");
    const bool regress = o.task == HeadTask::kRegress;
    const bool valued = regress || o.task == HeadTask::kTrack;  // values, not classes
    DNASSM_CHECK(o.class_weight == "none" || o.class_weight == "balanced", ErrorKind::kUsage,
                 "--class-weight: '" + o.class_weight + "' is not one of none, balanced");
    DNASSM_CHECK(!(valued && o.class_weight != "none"), ErrorKind::kUsage,
                 "--class-weight applies to classes (classify, segment), not to values (regress, "
                 "track)");
    const std::string select = o.select != "auto" ? o.select : valued ? "pearson" : "auroc";
    if (valued)
        DNASSM_CHECK(select == "pearson" || select == "spearman" || select == "loss",
                     ErrorKind::kUsage,
                     "--select: one of pearson, spearman, loss for --task " +
                         std::string(regress ? "regress" : "track") + " (not '" + select + "')");
    else
        DNASSM_CHECK(
            select == "auroc" || select == "mcc" || select == "accuracy" || select == "loss",
            ErrorKind::kUsage,
            "--select: one of auroc, mcc, accuracy, loss for classes (not '" + select + "')");
    return select;
}

// --class-weight balanced: each class's share of the training loss as if the classes were
// equally frequent (segment: counted per base of the training regions).
std::vector<float> balanced_class_weights(const FinetuneData& d) {
    const std::int64_t C = static_cast<std::int64_t>(d.classes.size());
    std::vector<double> count(static_cast<size_t>(C), 0.0);
    for (const auto& e : d.train) count[static_cast<size_t>(e.y)] += 1;
    for (const auto& c : d.seg.train)
        for (std::int32_t y : c.labels) count[static_cast<size_t>(y)] += 1;
    const double n = std::accumulate(count.begin(), count.end(), 0.0);
    std::vector<float> class_weights;
    std::string shown;
    for (std::int64_t c = 0; c < C; ++c) {
        const double k = count[static_cast<size_t>(c)];
        class_weights.push_back(k > 0 ? static_cast<float>(n / (static_cast<double>(C) * k))
                                      : 1.0f);
        char w[64];
        std::snprintf(w, sizeof w, "%s%s %.4g", c ? ", " : "", d.classes[c].c_str(),
                      class_weights.back());
        shown += w;
    }
    note("dnassm finetune: class weights (balanced): %s\n", shown.c_str());
    return class_weights;
}

// Mean-pooled final hidden states of every example, for a head on a frozen backbone: training
// (both strands with --rc-aug), validation and test examples. Short examples run side by side
// (dnassm/record_batches.h).
struct PooledFeatures {
    std::vector<std::vector<float>> train, train_rc, val, test;
};

PooledFeatures pooled_features(const Model& base,
                               Backend& be,
                               const FinetuneData& d,
                               const FinetuneOptions& o) {
    const size_t n_train = d.train.size() * (o.rc_aug ? 2 : 1);
    Progress pf(o.progress, static_cast<std::int64_t>(n_train + d.val.size() + d.test.size()),
                "features");
    auto feats = [&](const std::vector<Example>& ex, std::vector<std::vector<float>>& out,
                     bool rc = false) {
        out.resize(ex.size());
        RecordBatches<size_t> batches(
            be, &pf,
            [&](size_t& i, Progress* p) {
                auto st = base.new_state();
                std::vector<std::int32_t> flipped;  // --rc-aug's reverse strand only
                if (rc) {
                    flipped = ex[i].ids;
                    reverse_complement(flipped);
                }
                out[i] = mean_pool(base.forward(be, rc ? flipped : ex[i].ids, st.get(), nullptr));
                if (p) p->advance(1);
            },
            [](size_t&) {});
        for (size_t i = 0; i < ex.size(); ++i)
            batches.add(i, static_cast<std::int64_t>(ex[i].ids.size()), 1);
        batches.finish();
    };
    PooledFeatures f;
    feats(d.train, f.train);
    if (o.rc_aug) feats(d.train, f.train_rc, true);
    feats(d.val, f.val);
    feats(d.test, f.test);
    pf.finish();
    return f;
}

// A random window of a random training region (weighted by length), either strand: its bases
// and their labels (segment) or values (track).
void draw_window(std::mt19937_64& rng,
                 const std::vector<SegmentContig>& regions,
                 std::int64_t window,
                 bool track,
                 std::vector<std::int32_t>& ids,
                 std::vector<std::int32_t>& labels,
                 std::vector<float>& values) {
    std::int64_t total = 0;
    for (const auto& c : regions) total += static_cast<std::int64_t>(c.ids.size());
    std::int64_t pick = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(total));
    size_t ci = 0;
    while (pick >= static_cast<std::int64_t>(regions[ci].ids.size()))
        pick -= static_cast<std::int64_t>(regions[ci++].ids.size());
    const SegmentContig& c = regions[ci];
    const std::int64_t len =
        std::min<std::int64_t>(window, static_cast<std::int64_t>(c.ids.size()));
    const std::int64_t beg = static_cast<std::int64_t>(
        rng() % static_cast<std::uint64_t>(static_cast<std::int64_t>(c.ids.size()) - len + 1));
    ids.assign(c.ids.begin() + beg, c.ids.begin() + beg + len);
    if (track)
        values.assign(c.values.begin() + beg, c.values.begin() + beg + len);
    else
        labels.assign(c.labels.begin() + beg, c.labels.begin() + beg + len);
    if (rng() & 1) {
        reverse_complement(ids);
        std::reverse(labels.begin(), labels.end());
        std::reverse(values.begin(), values.end());
    }
}

}  // namespace

TaskMetrics finetune(const FinetuneOptions& o) {
    const std::string select = checked_select(o);
    const bool regress = o.task == HeadTask::kRegress, track = o.task == HeadTask::kTrack;
    const bool valued = regress || track;  // the head predicts values, not classes
    auto base = Model::load(o.base_model);
    check_output_folder(o.out_dir, base->info().path, o.base_model, o.force, false);
    std::unique_ptr<Trainable> backbone;  // null: frozen
    retain_freed_memory();
    if (!o.freeze_backbone) {
        try {
            backbone = make_trainable(*base);
        } catch (const Error& e) {
            throw Error(ErrorKind::kUsage,
                        std::string(e.what()) + "; use --freeze-backbone to train a head on it");
        }
    }
    auto be = make_backend(o.device);
    const std::int64_t D = base->info().d_model;
    const bool segment = o.task == HeadTask::kSegment || track;  // per base

    // ---- data
    FinetuneData data = load_finetune_data(o);
    std::vector<Example>&train = data.train, &val = data.val, &test = data.test;
    const SegmentData& seg = data.seg;
    const std::vector<std::string>& classes = data.classes;
    Standardiser& z = data.z;
    const std::int64_t C = static_cast<std::int64_t>(classes.size());
    const std::vector<float> class_weights =
        o.class_weight == "balanced" ? balanced_class_weights(data) : std::vector<float>{};
    TaskHead head = TaskHead::create(o.task, classes, D, o.seed);

    // ---- parameters and optimiser
    std::map<std::string, Tensor> params;
    if (backbone) params = backbone->parameters();
    params["head.weight"] = head.weight;
    params["head.bias"] = head.bias;
    const std::int64_t steps_per_epoch =
        segment ? 0 : (static_cast<std::int64_t>(train.size()) + o.batch - 1) / o.batch;
    const std::int64_t total_steps =
        o.steps > 0 ? o.steps : (segment ? 500 : o.epochs * steps_per_epoch);
    const std::int64_t eval_every =
        o.eval_every > 0
            ? o.eval_every
            : (segment ? std::max<std::int64_t>(1, total_steps / 10) : steps_per_epoch);
    AdamWOptions adam = o.adam;
    adam.total_steps = total_steps;
    AdamW opt(adam);

    // Frozen classification: the pooled features never change, so compute them once.
    PooledFeatures frozen;
    if (o.freeze_backbone && !segment) frozen = pooled_features(*base, *be, data, o);
    const auto &train_feats = frozen.train, &train_feats_rc = frozen.train_rc,
               &val_feats = frozen.val, &test_feats = frozen.test;

    // Hidden states of a whole sequence (streamed/tiled as for inference).
    auto hidden_of = [&](const std::vector<std::int32_t>& ids,
                         const std::function<void(std::int64_t, const Tensor&)>& fn) {
        run_sequence(*base, *be, ids, RunOptions{}, nullptr, fn);
    };
    // Metrics of the head (and backbone) as they stand on labeled examples (their pooled
    // features when the backbone is frozen).
    auto evaluate = [&](const std::vector<Example>& ex,
                        const std::vector<std::vector<float>>& feats) {
        std::vector<float> outputs(ex.size() * static_cast<size_t>(C));
        std::vector<std::int32_t> labels;
        RecordBatches<size_t> batches(
            *be, nullptr,
            [&](size_t& i, Progress*) {
                Tensor p;
                if (!feats.empty()) {
                    p = head.logits(feats[i].data(), 1);
                    head.activate(p);
                } else {
                    auto st = base->new_state();
                    p = head.outputs(base->forward(*be, ex[i].ids, st.get(), nullptr));
                }
                std::copy(p.f32(), p.f32() + C,
                          outputs.begin() + static_cast<std::ptrdiff_t>(i * C));
            },
            [&](size_t& i) { labels.push_back(ex[i].y); });
        for (size_t i = 0; i < ex.size(); ++i)
            batches.add(i, static_cast<std::int64_t>(ex[i].ids.size()), 0);
        batches.finish();
        if (!regress) return classification_metrics(outputs, labels, C);
        std::vector<float> predicted, target;  // in the targets' units
        for (size_t i = 0; i < ex.size(); ++i) {
            predicted.push_back(z.from_z(outputs[i]));
            target.push_back(z.from_z(ex[i].value));
        }
        return regression_metrics(predicted, target);
    };
    auto validate = [&] {
        if (!segment) return evaluate(val, val_feats);
        std::vector<float> probs, predicted, target;
        std::vector<std::int32_t> labels;
        for (const auto& c : seg.val) {
            hidden_of(c.ids, [&](std::int64_t off, const Tensor& h) {
                const Tensor p = head.outputs(h);
                if (!track) {
                    probs.insert(probs.end(), p.f32(), p.f32() + p.numel());
                    labels.insert(labels.end(), c.labels.begin() + off,
                                  c.labels.begin() + off + h.dim(0));
                    return;
                }
                for (std::int64_t i = 0; i < h.dim(0); ++i) {  // the bases with a value
                    const float v = c.values[static_cast<size_t>(off + i)];
                    if (std::isnan(v)) continue;
                    predicted.push_back(z.from_z(p.f32()[i]));
                    target.push_back(z.from_z(v));
                }
            });
        }
        if (!track) return classification_metrics(probs, labels, C);
        DNASSM_CHECK(!target.empty(), ErrorKind::kInput,
                     "--task track: no values inside the validation regions");
        return regression_metrics(predicted, target);
    };

    fs::create_directories(o.out_dir);
    std::ofstream log(o.out_dir + "/finetune_log.jsonl", std::ios::trunc);
    std::mt19937_64 rng(o.seed);
    std::vector<size_t> order(train.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::optional<TaskMetrics> best;
    std::map<std::string, Tensor> best_params;
    std::int64_t best_step = 0, since_best = 0, pos = 0;
    double train_loss = 0;
    std::int64_t since_log = 0;
    const std::int64_t work_per_step = segment ? o.batch * o.window : o.batch;
    Progress progress(o.progress, total_steps * work_per_step, "finetune");
    std::vector<std::int32_t> window, wlabels;
    std::vector<float> wvalues;
    for (std::int64_t step = 0; step < total_steps; ++step) {
        std::map<std::string, Tensor> grads;
        grads["head.weight"] = Tensor(head.weight.shape());
        grads["head.bias"] = Tensor(head.bias.shape());
        float* gw = grads["head.weight"].f32();
        float* gb = grads["head.bias"].f32();
        double loss = 0;
        const double per_item = 1.0 / static_cast<double>(o.batch);
        {  // the backbone's forwards and backwards in bfloat16 with --bf16
            const Bf16Autocast autocast(*be, o.bf16);
            for (std::int64_t b = 0; b < o.batch; ++b) {
                const std::vector<std::int32_t>* ids = nullptr;
                HeadTarget target(static_cast<const std::int32_t*>(nullptr));
                size_t ex = 0;
                bool flip = false;  // --rc-aug: this draw on the reverse strand
                if (segment) {
                    draw_window(rng, seg.train, o.window, track, window, wlabels, wvalues);
                    ids = &window;
                    if (track) {
                        target = wvalues.data();
                    } else {
                        target = wlabels.data();
                        target.class_weights =
                            class_weights.empty() ? nullptr : class_weights.data();
                    }
                } else {
                    if (pos == 0) std::shuffle(order.begin(), order.end(), rng);
                    ex = order[static_cast<size_t>(pos)];
                    pos = (pos + 1) % static_cast<std::int64_t>(order.size());
                    ids = &train[ex].ids;
                    if (regress) {
                        target = &train[ex].value;
                    } else {
                        target = &train[ex].y;
                        target.class_weights =
                            class_weights.empty() ? nullptr : class_weights.data();
                    }
                    flip = o.rc_aug && (rng() & 1);
                    if (flip && !o.freeze_backbone) {
                        window = train[ex].ids;
                        reverse_complement(window);
                        ids = &window;
                    }
                }
                const std::int64_t L = static_cast<std::int64_t>(ids->size());
                if (o.freeze_backbone && !segment) {
                    const auto& f = flip ? train_feats_rc[ex] : train_feats[ex];
                    loss += head_loss(head, f.data(), 1, target, per_item, gw, gb, nullptr);
                } else if (o.freeze_backbone) {
                    auto st = base->new_state();
                    const Tensor h = base->forward(*be, *ids, st.get(), nullptr);
                    loss += head_loss(head, h.f32(), L, target, per_item / static_cast<double>(L),
                                      gw, gb, nullptr);
                } else {
                    loss +=
                        task_loss(*backbone, head, *ids, target, per_item, grads, *be, o.recompute);
                }
            }
        }
        auto pgrads =
            backbone ? backbone->parameter_grads(std::move(grads), *be) : std::move(grads);
        for (auto it = pgrads.begin(); it != pgrads.end();)  // frozen: only the head trains
            it = params.count(it->first) ? std::next(it) : pgrads.erase(it);
        const double gnorm = opt.step(params, pgrads, *be);
        if (backbone) backbone->refresh_derived();
        train_loss += loss;
        ++since_log;
        progress.advance(work_per_step);
        const bool last = step + 1 == total_steps;
        if ((step + 1) % eval_every != 0 && !last) continue;
        const TaskMetrics m = validate();
        nlohmann::json j = {{"step", step + 1},
                            {"train_loss", train_loss / static_cast<double>(since_log)},
                            {"lr", learning_rate(adam, step)},
                            {"grad_norm", gnorm},
                            {"val", m.to_json()}};
        log << j.dump() << "\n";
        log.flush();
        note("dnassm finetune: step %lld  train loss %.4f  val loss %.4f  %s\n",
             static_cast<long long>(step + 1), train_loss / static_cast<double>(since_log), m.loss,
             m.summary().c_str());
        train_loss = 0;
        since_log = 0;
        // A tie (an AUROC of 1 reached early, say) goes to the lower validation loss.
        const double now = metric_of(m, select), kept = best ? metric_of(*best, select) : 0;
        if (!best || now > kept || (now == kept && m.loss < best->loss)) {
            best = m;
            best_step = step + 1;
            since_best = 0;
            best_params.clear();
            for (const auto& [name, t] : params) best_params[name] = t.clone();
        } else if (++since_best >= o.patience) {
            note(
                "dnassm finetune: no improvement of val %s in %lld evaluations; stopping "
                "early (best at step %lld)\n",
                select.c_str(), static_cast<long long>(o.patience),
                static_cast<long long>(best_step));
            break;
        }
    }
    progress.finish();
    for (auto& [name, t] : params)  // restore the best parameters (storage is shared with model)
        std::copy(best_params[name].f32(), best_params[name].f32() + t.numel(), t.f32());
    if (backbone) backbone->refresh_derived();
    be->weights_changed();
    if (valued) {  // the head predicts in the targets' units from here on
        for (float& w : head.weight.span_f32()) w = static_cast<float>(w * z.sd);
        head.bias.f32()[0] = z.from_z(head.bias.f32()[0]);
        for (auto& e : test) e.value = z.from_z(e.value);  // and the targets
        z = Standardiser{};
    }
    std::optional<TaskMetrics> tested;
    if (!test.empty()) {
        tested = evaluate(test, test_feats);
        note("dnassm finetune: test (%zu examples of %s): %s\n", test.size(), o.test.c_str(),
             tested->summary().c_str());
    }

    nlohmann::json prov = {
        {"trained_by", "dnassm finetune"}, {"command", o.command},
        {"base_model", o.base_model},      {"base_provenance", base->info().provenance},
        {"task", head.task_name()},        {"train", o.train},
        {"val", validation_source(o)},     {"freeze_backbone", o.freeze_backbone},
        {"stranded", o.stranded},          {"rc_aug", o.rc_aug},
        {"class_weight", o.class_weight},  {"bf16_autocast", o.bf16},
        {"best_step", best_step},          {"val_metrics", best->to_json()}};
    nlohmann::json summary = {{"best_step", best_step}, {"val", best->to_json()}};
    if (o.gene_structure) prov["gene_structure"] = true;
    if (tested) {
        prov["test"] = o.test;
        prov["test_metrics"] = summary["test"] = tested->to_json();
    }
    write_model_dir(o, *base, backbone.get(), head, prov);
    AtomicFile metrics(o.out_dir + "/metrics.json");
    metrics.stream() << summary.dump(2) << "\n";
    metrics.commit();
    return *best;
}

}  // namespace dnassm
