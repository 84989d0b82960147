#include "train/finetune_data.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>

#include "dnassm/error.h"
#include "dnassm/io/gff.h"
#include "dnassm/io/sequence_input.h"
#include "dnassm/io/writers.h"
#include "dnassm/messages.h"
#include "dnassm/tokenizer.h"

#include "train/class_folders.h"
#include "train/gene_structure.h"
#include "train/label_tables.h"

namespace dnassm {

namespace fs = std::filesystem;

namespace {

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
    require_reference(*in, "a BED's intervals are read from a reference");
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

using LoadRegions = std::function<void(const std::vector<std::string>&,
                                       std::vector<SegmentContig>&,
                                       const std::function<void(SegmentContig&)>&)>;

// --task segment on a GFF3/GTF annotation (or, with --gene-structure, a BED12 of genes): each
// base's gene-structure class (gene_structure.h), the classes kept being those the training
// and validation bases have.
SegmentData gene_structure_segments(const FinetuneOptions& o,
                                    SequenceInput& in,
                                    const LoadRegions& load) {
    DNASSM_CHECK(o.label_column < 0, ErrorKind::kUsage,
                 o.train +
                     ": --label-column reads a BED's column; gene-structure labels come from the "
                     "genes' exons and coding parts");
    DNASSM_CHECK(o.val.empty() || o.gene_structure || looks_like_gff(o.val), ErrorKind::kUsage,
                 o.train + ": a GFF3/GTF annotation, and --val " + o.val +
                     " is not: give both as one kind (or a BED12 of genes with --gene-structure)");
    struct Genes {
        std::vector<Region> regions;
        std::vector<GeneModel> models;
    };
    auto genes_of = [&](const std::string& path) {
        auto g = std::make_shared<Genes>();
        size_t left_out = 0;
        if (looks_like_gff(path)) {
            g->regions = read_gff_regions(path, in.contigs(), true, &left_out, &g->models);
        } else {  // a line without blocks is one exon, as a browser draws it
            g->regions = read_bed(path, in.contigs(), &g->models);
            for (size_t i = 0; i < g->regions.size(); ++i)
                if (g->models[i].exons.empty())
                    g->models[i].exons = {{g->regions[i].beg, g->regions[i].end}};
        }
        if (left_out)
            note("dnassm finetune: %s: %zu gene(s) on contigs %s lacks left out\n", path.c_str(),
                 left_out, o.fasta.c_str());
        return [g](SegmentContig& c) {
            c.labels.assign(c.ids.size(), 0);
            paint_gene_structure(g->regions, g->models, c.region, c.labels);
        };
    };
    SegmentData d;
    const auto train_labels = genes_of(o.train);
    load(o.train_regions, d.train, train_labels);
    load(o.val_regions, d.val, o.val.empty() ? train_labels : genes_of(o.val));
    // Keep the classes that occur (a bacterium has no introns), in kGeneStructureClasses' order.
    std::vector<std::int64_t> count(kGeneStructureClasses.size(), 0);
    for (const auto* part : {&d.train, &d.val})
        for (const auto& c : *part)
            for (const std::int32_t y : c.labels) ++count[static_cast<size_t>(y)];
    std::vector<std::int32_t> index(count.size(), -1);
    for (size_t k = 0; k < count.size(); ++k)
        if (count[k] > 0 || k == 0) {
            index[k] = static_cast<std::int32_t>(d.classes.size());
            d.classes.emplace_back(kGeneStructureClasses[k]);
        }
    DNASSM_CHECK(d.classes.size() > 1, ErrorKind::kInput,
                 o.train +
                     ": no exon or CDS inside the training and validation regions (contig names "
                     "differ from " +
                     o.fasta + "'s?)");
    for (auto* part : {&d.train, &d.val})
        for (auto& c : *part)
            for (std::int32_t& y : c.labels) y = index[static_cast<size_t>(y)];
    return d;
}

SegmentData load_segments(const FinetuneOptions& o) {
    const bool track = o.task == HeadTask::kTrack;
    const std::string task = track ? "--task track" : "--task segment";
    DNASSM_CHECK(!o.fasta.empty(), ErrorKind::kUsage, task + " needs --fasta REF.fa");
    DNASSM_CHECK(!is_csv_path(o.train), ErrorKind::kUsage,
                 o.train + (track ? ": --task track takes a bigWig or bedGraph of per-base values"
                                  : ": --task segment takes a BED of labeled intervals or a "
                                    "GFF3/GTF annotation"));
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
    require_reference(*in, task + " labels the bases of a reference");
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
            auto t = std::make_shared<TrackFile>(path);
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
    if (looks_like_gff(o.train) || o.gene_structure) return gene_structure_segments(o, *in, load);
    DNASSM_CHECK(o.val.empty() || !looks_like_gff(o.val), ErrorKind::kUsage,
                 o.val + ": a GFF3/GTF annotation, and --train " + o.train +
                     " a BED: give both as one kind");
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
                     "--val-region picks the validation examples "
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

}  // namespace

FinetuneData load_finetune_data(const FinetuneOptions& o) {
    const bool regress = o.task == HeadTask::kRegress, track = o.task == HeadTask::kTrack;
    const bool segment = o.task == HeadTask::kSegment || track;  // per base
    FinetuneData d;
    if (segment) {
        d.seg = load_segments(o);
        d.classes = d.seg.classes;
        if (track) {
            std::vector<double> y;
            for (const auto& c : d.seg.train)
                for (float v : c.values)
                    if (!std::isnan(v)) y.push_back(v);
            d.z = fit_standardiser(y, o.train);
            for (auto* part : {&d.seg.train, &d.seg.val})
                for (auto& c : *part)
                    for (float& v : c.values)
                        if (!std::isnan(v)) v = d.z.to_z(v);
        }
    } else {
        const int col = o.label_column >= 0 ? o.label_column : regress ? 5 : 4;
        auto [tr, va] = labeled_examples(o, col);
        const Standardiser* scale = nullptr;
        if (regress) {
            d.classes = {"value"};
            std::vector<double> y;
            for (const auto& s : tr) y.push_back(parse_target(s.label, example_where(o.train, s)));
            d.z = fit_standardiser(y, o.train);
            scale = &d.z;
        } else {
            std::vector<std::string> names;
            for (const auto& s : tr) names.push_back(s.label);
            d.classes = sorted_classes(names);
            DNASSM_CHECK(
                d.classes.size() >= 2, ErrorKind::kInput,
                o.train + ": need at least 2 classes, found " + std::to_string(d.classes.size()));
        }
        d.train = encode(tr, d.classes, o.train, scale);
        d.val = encode(va, d.classes, o.val.empty() ? o.train : o.val, scale);
        if (!o.test.empty())
            d.test =
                encode(load_sequences(o.test, o.fasta, col, o.stranded), d.classes, o.test, scale);
    }
    return d;
}

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

}  // namespace dnassm
