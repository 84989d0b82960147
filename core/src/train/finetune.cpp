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
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dnassm/backend.h"
#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/io/region.h"
#include "dnassm/io/sequence_input.h"
#include "dnassm/io/text_lines.h"
#include "dnassm/io/writers.h"
#include "dnassm/messages.h"
#include "dnassm/model.h"
#include "dnassm/record_batches.h"
#include "dnassm/sequence_runner.h"
#include "dnassm/text.h"
#include "dnassm/tokenizer.h"

#include "model/window_activations.h"
#include "train/class_folders.h"
#include "train/trainable.h"

namespace dnassm {

namespace fs = std::filesystem;

namespace {

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.pop_back();
    size_t i = 0;
    while (i < s.size() && s[i] == ' ') ++i;
    return s.substr(i);
}

// Class names sorted numerically when they are all integers, else lexically.
std::vector<std::string> sorted_classes(std::vector<std::string> names) {
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    const bool numeric = std::all_of(names.begin(), names.end(), [](const std::string& s) {
        return !s.empty() && s.size() < 18 &&
               std::all_of(s.begin() + (s[0] == '-'), s.end(),
                           [](char c) { return c >= '0' && c <= '9'; }) &&
               s != "-";
    });
    if (numeric)
        std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
            return std::stoll(a) < std::stoll(b);
        });
    return names;
}

std::int32_t class_index(const std::vector<std::string>& classes,
                         const std::string& label,
                         const std::string& where) {
    auto it = std::find(classes.begin(), classes.end(), label);
    DNASSM_CHECK(it != classes.end(), ErrorKind::kInput,
                 where + ": label '" + label + "' does not occur in the training data");
    return static_cast<std::int32_t>(it - classes.begin());
}

struct Example {
    std::string id;
    std::vector<std::int32_t> ids;
    std::int32_t y = 0;  // class index
    float value = 0;     // regress: the target, standardised (Standardiser)
};

// A regression head trains on targets scaled to mean 0 and variance 1 (so one learning rate
// suits any units); its weights are scaled back when it is saved.
struct Standardiser {
    double mean = 0, sd = 1;
    [[nodiscard]] float to_z(double y) const { return static_cast<float>((y - mean) / sd); }
    [[nodiscard]] float from_z(double z) const { return static_cast<float>(z * sd + mean); }
};

// Labeled sequences of a CSV, of BED intervals read from the FASTA, or of a folder of classes.
std::vector<LabeledSequence> load_sequences(const std::string& path,
                                            const std::string& fasta,
                                            int label_column,
                                            bool stranded) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return read_class_folders(path, fasta);
    if (is_csv_path(path)) {
        DNASSM_CHECK(!stranded, ErrorKind::kUsage,
                     path +
                         ": --stranded reads the strand of BED intervals; a CSV holds "
                         "sequences as they are");
        return read_labeled_csv(path);
    }
    DNASSM_CHECK(!fasta.empty(), ErrorKind::kUsage,
                 path + ": BED input needs --fasta REF.fa (or give a sequence,label CSV)");
    InputOptions opts;
    opts.stranded = stranded;
    auto in = SequenceInput::open(fasta, opts);
    DNASSM_CHECK(in->format() == InputFormat::kFasta, ErrorKind::kInput,
                 fasta + ": --fasta must be a FASTA file");
    std::vector<Region> regions = read_bed(path, in->contigs());
    std::vector<std::string> labels = read_bed_column(path, label_column);
    DNASSM_CHECK(labels.size() == regions.size(), ErrorKind::kInput,
                 path + ": every line needs column " + std::to_string(label_column));
    std::vector<LabeledSequence> out;
    size_t i = 0;
    in->for_each(regions, [&](SequenceRecord& r) {
        out.push_back(
            {r.region.name.empty() || label_column == 4 ? r.region.label() : r.region.name,
             std::move(r.seq), labels[i++], r.region});
    });
    return out;
}

// The mean and standard deviation of the training targets (two passes: targets far from zero
// keep their spread).
Standardiser fit_standardiser(const std::vector<double>& y, const std::string& where) {
    Standardiser z;
    z.mean = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(y.size());
    double ss = 0;
    for (double v : y) ss += (v - z.mean) * (v - z.mean);
    z.sd = std::sqrt(ss / static_cast<double>(y.size()));
    DNASSM_CHECK(z.sd > 0, ErrorKind::kInput,
                 where + ": every training target is " + std::to_string(z.mean) +
                     "; a regression needs targets that vary");
    return z;
}

// An example as its errors name it: a table's row by its id (as `predict` names rows), a BED
// interval by its name or coordinates.
std::string example_where(const std::string& path, const LabeledSequence& s) {
    return path + (s.region.contig.empty() ? ": row " : ": ") + s.id;
}

std::vector<Example> encode(const std::vector<LabeledSequence>& seqs,
                            const std::vector<std::string>& classes,
                            const std::string& where,
                            const Standardiser* regress = nullptr) {
    CharTokenizer tok(true);
    std::vector<Example> out;
    out.reserve(seqs.size());
    for (const auto& s : seqs) {
        Example e;
        e.id = s.id;
        TokenizeStats st;
        tok.encode(s.seq, e.ids, st, example_where(where, s));
        DNASSM_CHECK(!e.ids.empty(), ErrorKind::kInput,
                     example_where(where, s) + ": empty sequence");
        if (regress)
            e.value = regress->to_z(parse_target(s.label, example_where(where, s)));
        else
            e.y = class_index(classes, s.label, where);
        out.push_back(std::move(e));
    }
    return out;
}

// Per-base targets over one region: the segmentation task's labels (0 = outside every interval,
// else 1 + the class of the (last) covering interval), or the track task's values.
struct SegmentContig {
    Region region;  // the part of the contig windows are drawn from / validated on
    std::vector<std::int32_t> ids, labels;
    std::vector<float> values;  // --task track: per-base targets (NaN: none)
};

struct SegmentData {
    std::vector<std::string> classes;
    std::vector<SegmentContig> train, val;
};

SegmentData load_segments(const FinetuneOptions& o) {
    const bool track = o.task == HeadTask::kTrack;
    const std::string task = track ? "finetune --task track" : "finetune --task segment";
    DNASSM_CHECK(!o.fasta.empty(), ErrorKind::kUsage, task + " needs --fasta REF.fa");
    DNASSM_CHECK(!is_csv_path(o.train), ErrorKind::kUsage,
                 o.train + (track ? ": --task track takes a bigWig or bedGraph of per-base values"
                                  : ": --task segment takes a BED of labeled intervals"));
    DNASSM_CHECK(o.test.empty(), ErrorKind::kUsage,
                 task +
                     ": --test applies to classify and regress (hold out part of the genome "
                     "with --val-region)");
    DNASSM_CHECK(!o.rc_aug, ErrorKind::kUsage,
                 task +
                     ": --rc-aug is what it always does (training windows are drawn from both "
                     "strands)");
    DNASSM_CHECK(!o.stranded, ErrorKind::kUsage,
                 task +
                     ": --stranded does not apply (targets are per base in forward "
                     "coordinates; training windows are drawn from both strands)");
    DNASSM_CHECK(!o.val_regions.empty() || !o.val.empty(), ErrorKind::kUsage,
                 task + ": give --val-region (held-out part of the genome) or --val " +
                     (track ? "TRACK" : "BED"));
    auto in = SequenceInput::open(o.fasta);
    DNASSM_CHECK(in->format() == InputFormat::kFasta, ErrorKind::kInput,
                 o.fasta + ": --fasta must be a FASTA file");
    SegmentData d;
    // The bases of each region, with their targets filled in by `fill`.
    CharTokenizer tok(true);
    auto load = [&](const std::vector<std::string>& specs, std::vector<SegmentContig>& out,
                    const std::function<void(SegmentContig&)>& fill) {
        const auto regions =
            specs.empty() ? whole_contigs(in->contigs()) : parse_regions(specs, in->contigs());
        in->for_each(regions, [&](SequenceRecord& r) {
            SegmentContig c;
            c.region = r.region;
            TokenizeStats st;
            tok.encode(r.seq, c.ids, st, o.fasta + ":" + r.name);
            fill(c);
            out.push_back(std::move(c));
        });
    };
    if (track) {
        // Per-base values; bases the track does not cover have none (NaN: left out of the loss).
        auto values_of = [&](const std::string& path) {
            auto t = std::make_shared<TrackValues>(path);
            return [t](SegmentContig& c) {
                c.values = t->values(c.region.contig, c.region.beg, c.region.end);
            };
        };
        d.classes = {"value"};
        const auto train_values = values_of(o.train);
        load(o.train_regions, d.train, train_values);
        load(o.val_regions, d.val, o.val.empty() ? train_values : values_of(o.val));
        std::int64_t covered = 0;
        for (const auto& c : d.train)
            for (float v : c.values) covered += std::isnan(v) ? 0 : 1;
        DNASSM_CHECK(covered > 0, ErrorKind::kInput,
                     o.train +
                         ": no values inside the training regions (contig names differ "
                         "from " +
                         o.fasta + "'s?)");
        return d;
    }
    const int col = o.label_column < 0 ? 0 : o.label_column;
    auto annotate = [&](const std::string& bed, std::vector<std::string>* classes) {
        std::vector<Region> iv = read_bed(bed, in->contigs());
        std::vector<std::string> names =
            col == 0 ? std::vector<std::string>(iv.size(), "1") : read_bed_column(bed, col);
        DNASSM_CHECK(names.size() == iv.size(), ErrorKind::kInput,
                     bed + ": every line needs column " + std::to_string(col));
        if (classes->empty()) {
            *classes = sorted_classes(names);
            classes->insert(classes->begin(), col == 0 ? "0" : "background");
        }
        return std::make_pair(iv, names);
    };
    auto train_iv = annotate(o.train, &d.classes);
    auto val_iv = o.val.empty() ? train_iv : annotate(o.val, &d.classes);
    auto labels_of = [&](const std::pair<std::vector<Region>, std::vector<std::string>>& iv,
                         const std::string& bed) {
        return [&, bed](SegmentContig& c) {
            c.labels.assign(c.ids.size(), 0);
            for (size_t i = 0; i < iv.first.size(); ++i) {
                const Region& g = iv.first[i];
                if (g.contig != c.region.contig) continue;
                const std::int32_t y = class_index(d.classes, col == 0 ? "1" : iv.second[i], bed);
                for (std::int64_t p = std::max(g.beg, c.region.beg);
                     p < std::min(g.end, c.region.end); ++p)
                    c.labels[static_cast<size_t>(p - c.region.beg)] = y;
            }
        };
    };
    load(o.train_regions, d.train, labels_of(train_iv, o.train));
    load(o.val_regions, d.val, labels_of(val_iv, o.val.empty() ? o.train : o.val));
    return d;
}

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

// The per-sequence training and validation examples (classify, regress): --train and --val; or the
// --train examples inside --val-region validating (the rest, within --train-region, training); or,
// without either, a held-out part of every class. --max-train samples the training part.
LabeledSplit labeled_examples(const FinetuneOptions& o, int col) {
    const bool by_region = !o.val_regions.empty() || !o.train_regions.empty();
    if (by_region) {
        DNASSM_CHECK(!is_csv_path(o.train), ErrorKind::kUsage,
                     o.train +
                         ": --val-region/--train-region need a BED of labeled intervals "
                         "(a CSV's sequences have no coordinates)");
        DNASSM_CHECK(o.val.empty() && !o.val_regions.empty(), ErrorKind::kUsage,
                     "finetune: --val-region picks the validation examples "
                     "out of --train (give it, and no --val; --train-region alone has nothing "
                     "to validate on)");
    }
    // A regression's targets are checked before any split, so a bad one is found wherever it
    // would land.
    auto load = [&](const std::string& path) {
        auto examples = load_sequences(path, o.fasta, col, o.stranded);
        if (o.task == HeadTask::kRegress)
            for (const auto& e : examples) (void)parse_target(e.label, example_where(path, e));
        return examples;
    };
    auto tr = load(o.train);
    std::vector<LabeledSequence> va;
    if (by_region) {
        auto in = SequenceInput::open(o.fasta);
        auto split = split_by_regions(std::move(tr), parse_regions(o.val_regions, in->contigs()),
                                      o.train_regions.empty()
                                          ? std::vector<Region>{}
                                          : parse_regions(o.train_regions, in->contigs()));
        tr = std::move(split.train);
        va = std::move(split.val);
        DNASSM_CHECK(!va.empty() && !tr.empty(), ErrorKind::kInput,
                     o.train + ": " + std::to_string(va.size()) + " examples in --val-region, " +
                         std::to_string(tr.size()) + " for training; both parts need examples");
        note("dnassm finetune: %zu examples of %s in --val-region validate, %zu train\n", va.size(),
             o.train.c_str(), tr.size());
    } else if (!o.val.empty()) {
        va = load(o.val);
    }
    if (o.max_train > 0 && static_cast<std::int64_t>(tr.size()) > o.max_train)
        tr = random_sample(std::move(tr), static_cast<size_t>(o.max_train), o.seed);
    if (!by_region && o.val.empty()) {
        const bool per_class = o.task != HeadTask::kRegress;
        auto split = hold_out(std::move(tr), o.val_fraction, o.seed, per_class);
        tr = std::move(split.train);
        va = std::move(split.val);
        DNASSM_CHECK(!va.empty() && !tr.empty(), ErrorKind::kInput,
                     o.train + ": too few examples to hold out a validation part; give --val");
        note(
            "dnassm finetune: no --val; validating on %zu examples of %s (%g %%%s, drawn with "
            "--seed %llu)\n",
            va.size(), o.train.c_str(), 100.0 * o.val_fraction, per_class ? " of each class" : "",
            static_cast<unsigned long long>(o.seed));
    }
    return {std::move(tr), std::move(va)};
}

// Where the validation examples came from, for the provenance.
std::string validation_source(const FinetuneOptions& o) {
    if (!o.val.empty()) return o.val;
    std::ostringstream w;
    const bool per_sequence = o.task == HeadTask::kClassify || o.task == HeadTask::kRegress;
    if (per_sequence && o.val_regions.empty()) {
        w << o.train << " (" << 100.0 * o.val_fraction << " %"
          << (o.task == HeadTask::kClassify ? " of each class" : "") << ", seed " << o.seed << ")";
        return w.str();
    }
    w << o.train << " inside --val-region";
    for (const auto& r : o.val_regions) w << " " << r;
    return w.str();
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

bool is_csv_path(const std::string& path) { return text_extension(path) == ".csv"; }

double parse_target(const std::string& label, const std::string& where) {
    char* end = nullptr;
    const double v = std::strtod(label.c_str(), &end);
    DNASSM_CHECK(!label.empty() && end == label.c_str() + label.size() && std::isfinite(v),
                 ErrorKind::kInput,
                 where + ": label '" + label + "' is not a number (--task regress)");
    return v;
}

std::vector<LabeledSequence> read_labeled_csv(const std::string& path, bool need_label) {
    // Plain or gzip/BGZF, through HTSlib.
    TextLines lines(path);
    DNASSM_CHECK(lines.is_open(), ErrorKind::kInput, path + ": cannot open");
    std::string_view text;
    DNASSM_CHECK(
        lines.next(text), ErrorKind::kInput,
        path + (lines.failed() ? ": cannot read (corrupt compressed file?)" : ": empty file"));
    std::string line(text);
    const auto header = split(trim(line), ',');
    int seq_col = -1, label_col = -1, id_col = -1;
    for (size_t i = 0; i < header.size(); ++i) {
        const std::string h = trim(header[i]);
        if (h == "sequence") seq_col = static_cast<int>(i);
        if (h == "label") label_col = static_cast<int>(i);
        if (h == "id" || h == "name") id_col = static_cast<int>(i);
    }
    DNASSM_CHECK(seq_col >= 0 && (label_col >= 0 || !need_label), ErrorKind::kInput,
                 path + ": line 1: expected a header with 'sequence'" +
                     (need_label ? std::string(" and 'label' columns") : std::string(" column")));
    std::vector<LabeledSequence> out;
    while (lines.next(text)) {
        const std::int64_t line_no = lines.line_no();
        line = trim(std::string(text));
        if (line.empty()) continue;
        const auto f = split(line, ',');
        const std::string where = path + ": line " + std::to_string(line_no);
        DNASSM_CHECK(f.size() == header.size(), ErrorKind::kInput,
                     where + ": expected " + std::to_string(header.size()) + " fields, found " +
                         std::to_string(f.size()));
        LabeledSequence s;
        s.seq = trim(f[static_cast<size_t>(seq_col)]);
        if (label_col >= 0) s.label = trim(f[static_cast<size_t>(label_col)]);
        s.id = id_col >= 0 ? trim(f[static_cast<size_t>(id_col)]) : std::to_string(out.size() + 1);
        DNASSM_CHECK(!s.seq.empty(), ErrorKind::kInput, where + ": empty sequence");
        DNASSM_CHECK(!s.label.empty() || !need_label, ErrorKind::kInput, where + ": empty label");
        out.push_back(std::move(s));
    }
    lines.check_read(path);
    DNASSM_CHECK(!out.empty(), ErrorKind::kInput, path + ": no data rows");
    return out;
}

std::vector<std::string> read_bed_column(const std::string& path, int column) {
    DNASSM_CHECK(column >= 4, ErrorKind::kUsage,
                 "--label-column must be 4 or more (BED columns 1-3 are coordinates)");
    TextLines lines(path);
    DNASSM_CHECK(lines.is_open(), ErrorKind::kInput, path + ": cannot open");
    std::vector<std::string> out;
    std::string_view text;
    while (lines.next(text)) {
        std::string s = trim(std::string(text));
        if (s.empty() || s[0] == '#' || s.rfind("track", 0) == 0 || s.rfind("browser", 0) == 0)
            continue;
        const auto f = split(s, '\t');
        if (static_cast<int>(f.size()) < column) {
            throw Error(ErrorKind::kInput, path + ": line " + std::to_string(lines.line_no()) +
                                               ": no column " + std::to_string(column) +
                                               " (the label)");
        }
        out.push_back(f[static_cast<size_t>(column - 1)]);
    }
    lines.check_read(path);
    return out;
}

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

TaskMetrics finetune(const FinetuneOptions& o) {
    DNASSM_CHECK(o.batch >= 1 && o.epochs >= 1 && o.patience >= 1, ErrorKind::kUsage,
                 "finetune: --batch, --epochs and --patience must be >= 1");
    DNASSM_CHECK(!(o.recompute && o.freeze_backbone), ErrorKind::kUsage,
                 "finetune: --recompute has nothing to recompute with --freeze-backbone (no "
                 "backward pass runs through the backbone)");
    const bool regress = o.task == HeadTask::kRegress, track = o.task == HeadTask::kTrack;
    const bool valued = regress || track;  // the head predicts values, not classes
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
    auto base = Model::load(o.base_model);
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
    std::vector<Example> train, val, test;
    Standardiser z;  // regress, track: the training targets' scale
    SegmentData seg;
    std::vector<std::string> classes;
    if (segment) {
        seg = load_segments(o);
        classes = seg.classes;
        if (track) {
            std::vector<double> y;
            for (const auto& c : seg.train)
                for (float v : c.values)
                    if (!std::isnan(v)) y.push_back(v);
            z = fit_standardiser(y, o.train);
            for (auto* part : {&seg.train, &seg.val})
                for (auto& c : *part)
                    for (float& v : c.values)
                        if (!std::isnan(v)) v = z.to_z(v);
        }
    } else {
        const int col = o.label_column >= 0 ? o.label_column : regress ? 5 : 4;
        auto [tr, va] = labeled_examples(o, col);
        const Standardiser* scale = nullptr;
        if (regress) {
            classes = {"value"};
            std::vector<double> y;
            for (const auto& s : tr) y.push_back(parse_target(s.label, example_where(o.train, s)));
            z = fit_standardiser(y, o.train);
            scale = &z;
        } else {
            std::vector<std::string> names;
            for (const auto& s : tr) names.push_back(s.label);
            classes = sorted_classes(names);
            DNASSM_CHECK(
                classes.size() >= 2, ErrorKind::kInput,
                o.train + ": need at least 2 classes, found " + std::to_string(classes.size()));
        }
        train = encode(tr, classes, o.train, scale);
        val = encode(va, classes, o.val.empty() ? o.train : o.val, scale);
        if (!o.test.empty())
            test = encode(load_sequences(o.test, o.fasta, col, o.stranded), classes, o.test, scale);
    }
    const std::int64_t C = static_cast<std::int64_t>(classes.size());
    // --class-weight balanced: each class's share of the training loss as if the classes were
    // equally frequent (segment: counted per base of the training regions).
    std::vector<float> class_weights;
    if (o.class_weight == "balanced") {
        std::vector<double> count(static_cast<size_t>(C), 0.0);
        for (const auto& e : train) count[static_cast<size_t>(e.y)] += 1;
        for (const auto& c : seg.train)
            for (std::int32_t y : c.labels) count[static_cast<size_t>(y)] += 1;
        const double n = std::accumulate(count.begin(), count.end(), 0.0);
        std::string shown;
        for (std::int64_t c = 0; c < C; ++c) {
            const double k = count[static_cast<size_t>(c)];
            class_weights.push_back(k > 0 ? static_cast<float>(n / (static_cast<double>(C) * k))
                                          : 1.0f);
            char w[64];
            std::snprintf(w, sizeof w, "%s%s %.4g", c ? ", " : "", classes[c].c_str(),
                          class_weights.back());
            shown += w;
        }
        note("dnassm finetune: class weights (balanced): %s\n", shown.c_str());
    }
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
    std::vector<std::vector<float>> train_feats, val_feats, test_feats, train_feats_rc;
    if (o.freeze_backbone && !segment) {
        const size_t n_train = train.size() * (o.rc_aug ? 2 : 1);
        Progress pf(o.progress, static_cast<std::int64_t>(n_train + val.size() + test.size()),
                    "features");
        // Short examples run side by side (dnassm/record_batches.h).
        auto feats = [&](const std::vector<Example>& ex, std::vector<std::vector<float>>& out,
                         bool rc = false) {
            out.resize(ex.size());
            RecordBatches<size_t> batches(
                *be, &pf,
                [&](size_t& i, Progress* p) {
                    auto st = base->new_state();
                    std::vector<std::int32_t> flipped;  // --rc-aug's reverse strand only
                    if (rc) {
                        flipped = ex[i].ids;
                        reverse_complement(flipped);
                    }
                    out[i] =
                        mean_pool(base->forward(*be, rc ? flipped : ex[i].ids, st.get(), nullptr));
                    if (p) p->advance(1);
                },
                [](size_t&) {});
            for (size_t i = 0; i < ex.size(); ++i)
                batches.add(i, static_cast<std::int64_t>(ex[i].ids.size()), 1);
            batches.finish();
        };
        feats(train, train_feats);
        if (o.rc_aug) feats(train, train_feats_rc, true);
        feats(val, val_feats);
        feats(test, test_feats);
        pf.finish();
    }

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
                     "finetune --task track: no values inside the validation regions");
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
                    // A random window of a random training region (weighted by length), either
                    // strand.
                    std::int64_t total = 0;
                    for (const auto& c : seg.train)
                        total += static_cast<std::int64_t>(c.ids.size());
                    std::int64_t pick =
                        static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(total));
                    size_t ci = 0;
                    while (pick >= static_cast<std::int64_t>(seg.train[ci].ids.size()))
                        pick -= static_cast<std::int64_t>(seg.train[ci++].ids.size());
                    const SegmentContig& c = seg.train[ci];
                    const std::int64_t len =
                        std::min<std::int64_t>(o.window, static_cast<std::int64_t>(c.ids.size()));
                    const std::int64_t beg = static_cast<std::int64_t>(
                        rng() % static_cast<std::uint64_t>(static_cast<std::int64_t>(c.ids.size()) -
                                                           len + 1));
                    window.assign(c.ids.begin() + beg, c.ids.begin() + beg + len);
                    if (track)
                        wvalues.assign(c.values.begin() + beg, c.values.begin() + beg + len);
                    else
                        wlabels.assign(c.labels.begin() + beg, c.labels.begin() + beg + len);
                    if (rng() & 1) {
                        reverse_complement(window);
                        std::reverse(wlabels.begin(), wlabels.end());
                        std::reverse(wvalues.begin(), wvalues.end());
                    }
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
