// Pretraining loop: random windows (either strand) from the first 90 % of every contig, AdamW,
// validation bits/base on the held-out last 10 %, checkpoints that resume bit for bit (the
// sampler, and the masks of a masked LM, are pure functions of (seed, step), so only parameters,
// optimiser state and the step count need saving). Causal LMs learn next-base prediction,
// Caduceus masked-base prediction (train/masked_lm.h).
#include "train/pretrain.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "dnassm/backend.h"
#include "dnassm/error.h"
#include "dnassm/io/input_file.h"
#include "dnassm/io/sequence_input.h"
#include "dnassm/messages.h"
#include "dnassm/safetensors.h"
#include "dnassm/tokenizer.h"

#include "train/masked_lm.h"
#include "train/output_folder.h"
#include "train/splitmix.h"
#include "train/trainable.h"

namespace dnassm {

namespace {

struct TrainContig {
    std::string name;
    std::vector<std::int32_t> ids;
    std::int64_t train_len = 0;
};

std::string masked_objective(double mask_prob) {
    char what[160];
    std::snprintf(what, sizeof what,
                  "masked bases: %g of A/C/G/T chosen per window; 80 %% [MASK], 10 %% a random "
                  "base, 10 %% kept; validation bits/base at chosen bases",
                  mask_prob);
    return what;
}

std::string percent(double fraction) {
    char text[32];
    std::snprintf(text, sizeof text, "%g %%", 100.0 * fraction);
    return text;
}

}  // namespace

double bits_per_base(const Model& model, const std::vector<std::int32_t>& ids, Backend& be) {
    // Streaming models carry their state across chunks (exact); the others score chunks of at
    // most their maximum length independently.
    auto state = model.streams() ? model.new_state() : nullptr;
    const std::int64_t L = static_cast<std::int64_t>(ids.size());
    const std::int64_t chunk = model.max_length() > 0 && !model.streams()
                                   ? std::min<std::int64_t>(65536, model.max_length())
                                   : 65536;
    double nats = 0.0;
    std::int64_t n = 0;
    for (std::int64_t t = 0; t < L; t += chunk) {
        const std::int64_t m = std::min(chunk, L - t);
        const Tensor h =
            model.forward(be, {ids.data() + t, static_cast<size_t>(m)}, state.get(), nullptr);
        const Tensor lg = model.logits(be, h);
        const std::int64_t V = lg.dim(1);
        for (std::int64_t i = 0; i < m && t + i + 1 < L; ++i) {
            const std::int32_t next = ids[static_cast<size_t>(t + i + 1)];
            if (next < token::kA || next > token::kT) continue;
            nats -= acgt_log_prob(lg.f32() + i * V, next);
            ++n;
        }
    }
    return n ? nats / static_cast<double>(n) / std::log(2.0) : 0.0;
}

double pretrain(const PretrainOptions& o) {
    DNASSM_CHECK(!o.fasta.empty(), ErrorKind::kUsage, "give at least one --fasta");
    // A genome given twice would be sampled (and validated) twice as often as the others.
    require_distinct_files(o.fasta, "--fasta ");
    DNASSM_CHECK(o.window >= 2 && o.batch >= 1 && o.steps >= 1, ErrorKind::kUsage,
                 "--window >= 2, --batch >= 1, --steps >= 1");
    auto be = make_backend(o.device);
    auto model = Model::load(o.init_model);
    check_output_folder(o.out_dir, model->info().path, o.init_model, o.force, o.resume);
    auto trainable = make_trainable(*model);
    const bool causal = trainable->causal_lm();
    DNASSM_CHECK(!causal || o.mask_prob == 0, ErrorKind::kUsage,
                 "--mask-prob applies to masked LMs (Caduceus); " + o.init_model +
                     " is a causal LM, trained on next-base prediction");
    DNASSM_CHECK(o.mask_prob >= 0 && o.mask_prob < 1, ErrorKind::kUsage,
                 "--mask-prob must be in (0, 1)");
    const double mask_prob = causal ? 0.0 : (o.mask_prob > 0 ? o.mask_prob : 0.15);
    retain_freed_memory();
    DNASSM_CHECK(model->max_length() == 0 || o.window <= model->max_length(), ErrorKind::kUsage,
                 "--window " + std::to_string(o.window) + " is longer than the model's " +
                     std::to_string(model->max_length()) + " bases");

    // Data: every contig of every FASTA; the tail (val_fraction) is held out.
    std::vector<TrainContig> contigs;
    std::int64_t longest = 0;  // training part of the longest contig
    CharTokenizer tok(true);
    for (const auto& path : o.fasta) {
        auto in = SequenceInput::open(path);
        DNASSM_CHECK(in->format() == InputFormat::kFasta, ErrorKind::kInput,
                     path + ": pretrain needs FASTA");
        in->for_each({}, [&](SequenceRecord& r) {
            TrainContig c;
            c.name = path + ":" + r.name;
            TokenizeStats st;
            tok.encode(r.seq, c.ids, st, c.name);
            c.train_len = static_cast<std::int64_t>(static_cast<double>(c.ids.size()) *
                                                    (1.0 - o.val_fraction));
            longest = std::max(longest, c.train_len);
            if (c.train_len >= o.window + 1) contigs.push_back(std::move(c));
        });
    }
    DNASSM_CHECK(!contigs.empty(), ErrorKind::kInput,
                 "no contig's training part (all but the last " + percent(o.val_fraction) +
                     ") is longer than --window " + std::to_string(o.window) + " (the longest is " +
                     std::to_string(longest) + " bases)");
    std::int64_t total_train = 0;
    for (const auto& c : contigs) total_train += c.train_len;

    auto params = trainable->parameters();
    AdamWOptions adam = o.adam;
    adam.total_steps = o.steps;
    AdamW opt(adam);
    std::filesystem::create_directories(o.out_dir);
    const std::string ckpt = o.out_dir + "/checkpoint.safetensors";
    std::int64_t start = 0;
    if (o.resume) {
        DNASSM_CHECK(std::filesystem::exists(ckpt), ErrorKind::kResource,
                     ckpt + ": no checkpoint to resume");
        auto f = read_safetensors(ckpt);
        for (auto& [name, t] : params) {
            auto it = f.tensors.find("param." + name);
            DNASSM_CHECK(it != f.tensors.end() && it->second.numel() == t.numel(),
                         ErrorKind::kModel, ckpt + ": missing or mis-shaped " + name);
            std::copy(it->second.f32(), it->second.f32() + t.numel(), t.f32());
        }
        opt.load_state(f.tensors);
        start = opt.steps_done();
        trainable->refresh_derived();
        be->weights_changed();
    }
    auto save_checkpoint = [&] {
        std::map<std::string, Tensor> all = opt.state();
        for (const auto& [name, t] : params) all.emplace("param." + name, t);
        write_safetensors(ckpt, all, {{"seed", std::to_string(o.seed)}});
    };
    std::ofstream log(o.out_dir + "/train_log.jsonl", o.resume ? std::ios::app : std::ios::trunc);
    auto validate = [&] {
        std::vector<std::int32_t> val;
        double bits = 0.0, bases = 0.0;
        for (const auto& c : contigs) {
            const auto b = c.ids.begin() + c.train_len;
            val.assign(b,
                       b + std::min<std::int64_t>(
                               o.val_bases, static_cast<std::int64_t>(c.ids.size()) - c.train_len));
            const double w = static_cast<double>(val.size());
            bits += (causal ? bits_per_base(*model, val, *be)
                            : masked_bits_per_base(*model, val, o.window, mask_prob, *be)) *
                    w;
            bases += w;
        }
        return bases > 0 ? bits / bases : 0.0;
    };

    Progress progress(o.progress, (o.steps - start) * o.batch * o.window, "pretrain");
    std::vector<std::int32_t> window(static_cast<size_t>(o.window));
    double train_loss = 0.0, val_bpb = 0.0;
    std::int64_t since_log = 0;
    const std::int64_t end = o.stop_at > 0 ? std::min(o.stop_at, o.steps) : o.steps;
    for (std::int64_t step = start; step < end; ++step) {
        std::map<std::string, Tensor> grads;
        double loss = 0.0;
        {  // the forwards and backwards in bfloat16 with --bf16; AdamW and validation in fp32
            const Bf16Autocast autocast(*be, o.bf16);
            for (std::int64_t b = 0; b < o.batch; ++b) {
                const std::uint64_t r = splitmix64(o.seed * 0x100000001b3ULL +
                                                   static_cast<std::uint64_t>(step * o.batch + b));
                std::int64_t pick =
                    static_cast<std::int64_t>(r % static_cast<std::uint64_t>(total_train));
                size_t ci = 0;
                while (pick >= contigs[ci].train_len) pick -= contigs[ci++].train_len;
                const TrainContig& c = contigs[ci];
                const std::int64_t beg = static_cast<std::int64_t>(
                    splitmix64(r) % static_cast<std::uint64_t>(c.train_len - o.window));
                std::copy(c.ids.begin() + beg, c.ids.begin() + beg + o.window, window.begin());
                if (splitmix64(r + 1) & 1) reverse_complement(window);  // both strands
                if (causal) {
                    loss += lm_loss(*trainable, window, &grads, *be, o.recompute);
                } else {
                    const MaskedWindow m = mask_window(window, splitmix64(r + 2), mask_prob);
                    loss +=
                        masked_lm_loss(*trainable, m.input, m.targets, &grads, *be, o.recompute);
                }
            }
        }
        // The batch mean: the sums are scaled in the update, so the gradients stay on the device.
        auto pgrads = trainable->parameter_grads(std::move(grads), *be);
        const double gnorm = opt.step(params, pgrads, *be, 1.0 / static_cast<double>(o.batch));
        trainable->refresh_derived();
        train_loss += loss / static_cast<double>(o.batch);
        ++since_log;
        progress.advance(o.batch * o.window);
        const bool last = step + 1 == o.steps;
        if ((step + 1) % o.eval_every == 0 || last) {
            val_bpb = validate();
            nlohmann::json j = {{"step", step + 1},
                                {"train_loss", train_loss / static_cast<double>(since_log)},
                                {"val_bits_per_base", val_bpb},
                                {"lr", learning_rate(adam, step)},
                                {"grad_norm", gnorm}};
            log << j.dump() << "\n";
            log.flush();
            note("dnassm pretrain: step %lld  train loss %.4f nats  val %.4f bits/base%s\n",
                 static_cast<long long>(step + 1), train_loss / static_cast<double>(since_log),
                 val_bpb, causal ? "" : " (masked bases)");
            train_loss = 0.0;
            since_log = 0;
        }
        if ((step + 1) % o.save_every == 0 || last || step + 1 == end) save_checkpoint();
    }
    progress.finish();
    if (end < o.steps) {
        note("dnassm pretrain: stopped after step %lld; continue with --resume\n",
             static_cast<long long>(end));
        return val_bpb;
    }
    if (start >= o.steps) val_bpb = validate();
    nlohmann::json prov = {
        {"trained_by", "dnassm pretrain"},
        {"command", o.command},
        {"init_model", o.init_model},
        {"data", o.fasta},
        {"held_out", "last " + percent(o.val_fraction) + " of every contig"},
        {"steps", o.steps},
        {"window", o.window},
        {"batch", o.batch},
        {"seed", o.seed},
        {"bf16_autocast", o.bf16},
        {"objective", causal ? "next-base prediction" : masked_objective(mask_prob)},
        {"val_bits_per_base", val_bpb}};
    trainable->save(o.out_dir, prov);
    return val_bpb;
}

}  // namespace dnassm
