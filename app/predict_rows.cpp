#include "predict_rows.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/io/gff.h"
#include "dnassm/messages.h"
#include "dnassm/record_batches.h"
#include "dnassm/task_head.h"
#include "dnassm/text.h"

#include "train/label_tables.h"
#include "train/metrics.h"

namespace dnassm::app {

namespace {

struct Row {
    std::string id;
    Region region;  // contig empty: no reference interval
    std::vector<std::int32_t> ids;
    std::string label;           // a labeled table row's label, or its -R interval's
    std::vector<float> outputs;  // what compute gave, as numbers
    std::string values;          // the row's cells after its id (and coordinates), tab-separated
};

using Compute = std::function<std::string(
    const std::vector<std::int32_t>&, Progress*, std::vector<float>& outputs)>;
using OnLabeledRow =
    std::function<void(const std::string& label, const std::vector<float>& outputs)>;

// Runs `compute` over every input sequence (side by side when they are short:
// dnassm/record_batches.h) and writes `header`, then a row per sequence in input order;
// `on_labeled`, when given, sees each row in that order with its label: a labeled table's, or
// `region_labels`' for the -R region it was cut from.
int predict_rows(Session& s,
                 const CommonOptions& o,
                 const std::string& header,
                 bool with_coordinates,
                 const std::function<std::int64_t(std::int64_t)>& work_of,
                 const Compute& compute,
                 const OnLabeledRow& on_labeled = {},
                 const std::vector<std::string>& region_labels = {}) {
    AtomicFile file(o.output, true);
    std::vector<std::int32_t> ids;
    std::ostream& out = file.stream();
    out << header << "\n";
    // The work of the records, regions or rows (0 for reads: not known before reading them).
    Progress progress(s.progress_mode, work_of(s.total_bases), "predict");
    RecordBatches<Row> batches(
        *s.backend, &progress,
        [&](Row& r, Progress* p) { r.values = compute(r.ids, p, r.outputs); },
        [&](Row& r) {
            if (on_labeled) on_labeled(r.label, r.outputs);
            out << r.id;
            if (with_coordinates) {
                out << '\t' << r.region.contig << '\t';
                if (!r.region.contig.empty())
                    out << r.region.beg << '\t' << r.region.end;
                else
                    out << '\t';
                out << '\t' << r.ids.size();
            }
            out << '\t' << r.values << '\n';
        });
    std::int64_t rows = 0;
    auto add = [&](Row r) {
        const auto L = static_cast<std::int64_t>(r.ids.size());
        batches.add(std::move(r), L, work_of(L));
        ++rows;
    };
    std::int64_t seen = 0;
    s.input->for_each(s.regions, [&](SequenceRecord& rec) {
        const auto k = static_cast<size_t>(seen);
        if (!s.records.contains(seen++)) return;
        tokenize(s, o, rec, ids);
        add({rec.region.name.empty() ? rec.name : rec.region.name,
             rec.region,
             ids,
             k < region_labels.size() ? region_labels[k] : rec.label,
             {},
             {}});
    });
    batches.finish();
    require_records(s, o, rows);
    file.commit();
    progress.finish();
    report_input_stats(s, o);
    return 0;
}

// A per-sequence head's outputs for one sequence (class probabilities, or the value): the head
// on the mean hidden state (averaged with the reverse complement's with --rc).
std::vector<float> head_outputs(Session& s,
                                const CommonOptions& o,
                                const TaskHead& head,
                                std::vector<std::int32_t> ids,
                                Progress* progress) {
    const std::int64_t C = head.n_classes(), D = s.model->info().d_model;
    std::vector<float> out(static_cast<size_t>(C), 0.0f);
    const int strands = o.rc ? 2 : 1;
    for (int strand = 0; strand < strands; ++strand) {
        if (strand == 1) reverse_complement(ids);
        std::vector<double> sum(static_cast<size_t>(D), 0.0);
        run_sequence(*s.model, *s.backend, ids, run_options(s, o), progress,
                     [&](std::int64_t, const Tensor& h) {
                         for (std::int64_t t = 0; t < h.dim(0); ++t)
                             for (std::int64_t d = 0; d < D; ++d)
                                 sum[static_cast<size_t>(d)] += h.f32()[t * D + d];
                     });
        std::vector<float> pooled(static_cast<size_t>(D));
        for (std::int64_t d = 0; d < D; ++d)
            pooled[static_cast<size_t>(d)] =
                static_cast<float>(sum[static_cast<size_t>(d)] / static_cast<double>(ids.size()));
        Tensor p = head.logits(pooled.data(), 1);
        head.activate(p);
        for (std::int64_t c = 0; c < C; ++c)
            out[static_cast<size_t>(c)] += p.f32()[c] / static_cast<float>(strands);
    }
    return out;
}

// "NA" where a sequence has no value (e.g. a one-base sequence's loglik).
std::string number(double x) {
    if (std::isnan(x)) return "NA";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", x);
    return buf;
}

}  // namespace

int predict_head_rows(Session& s, const CommonOptions& o, const Metrics& metrics) {
    const TaskHead& head = *s.model->task_head();
    // The row's interval as embed's TSV and the summaries give it, the head's outputs, and for a
    // classifier the most probable class.
    std::string header = "id\tchrom\tstart\tend\tlength";
    for (const auto& name : head.output_names()) header += "\t" + name;
    const bool classify = head.task == HeadTask::kClassify;
    if (classify) header += "\tclass";
    // --metrics: the outputs against the labels of a table (a CSV, a GenomicBenchmarks folder) or
    // of the -R BED's intervals, as finetune reports them.
    const bool regress = head.task == HeadTask::kRegress;
    std::vector<float> outputs, values;
    std::vector<std::int32_t> labels;
    std::vector<std::string> region_labels;
    std::int64_t row = 0;
    OnLabeledRow collect;
    const bool table = s.table();
    if (!metrics.path.empty()) {
        const int col = metrics.label_column >= 0 ? metrics.label_column : regress ? 5 : 4;
        DNASSM_CHECK(table || (!o.bed.empty() && o.regions.empty()), ErrorKind::kUsage,
                     o.input +
                         ": --metrics needs labels: a CSV with a 'label' column, a "
                         "GenomicBenchmarks folder, or the intervals of -R BED with theirs in a "
                         "column (--label-column)");
        DNASSM_CHECK(metrics.label_column < 0 || !table, ErrorKind::kUsage,
                     "--label-column names a column of -R BED; a table's labels are its own (a "
                     "CSV's 'label' column, a folder's classes)");
        if (!table) {
            DNASSM_CHECK(!looks_like_gff(o.bed), ErrorKind::kUsage,
                         "--metrics reads labels from a column of -R BED; " + o.bed +
                             " is a GFF/GTF annotation");
            DNASSM_CHECK(col >= 4, ErrorKind::kUsage,
                         "--label-column must be 4 or more (columns 1-3 are the interval)");
            region_labels = read_bed_column(o.bed, col);
            DNASSM_CHECK(region_labels.size() == s.regions.size(), ErrorKind::kInput,
                         o.bed + ": every line needs column " + std::to_string(col));
        }
        const std::string source = table ? o.input + ": row " : o.bed + ": interval ";
        collect = [&, source, col](const std::string& label, const std::vector<float>& out) {
            const std::string where = source + std::to_string(++row);
            DNASSM_CHECK(!label.empty(), ErrorKind::kInput,
                         where + (table ? std::string(": no label (--metrics needs a 'label' "
                                                      "column with a value in every row)")
                                        : ": no label in column " + std::to_string(col)));
            outputs.insert(outputs.end(), out.begin(), out.end());
            if (regress) {
                values.push_back(static_cast<float>(parse_target(label, where)));
                return;
            }
            const auto it = std::find(head.classes.begin(), head.classes.end(), label);
            DNASSM_CHECK(it != head.classes.end(), ErrorKind::kInput,
                         where + ": label '" + label + "' is not one of the model's classes");
            labels.push_back(static_cast<std::int32_t>(it - head.classes.begin()));
        };
    }
    const int status = predict_rows(
        s, o, header, true, [&](std::int64_t L) { return L * (o.rc ? 2 : 1); },
        [&](const std::vector<std::int32_t>& ids, Progress* p, std::vector<float>& out) {
            std::ostringstream cells;
            out = head_outputs(s, o, head, ids, p);
            for (size_t c = 0; c < out.size(); ++c) cells << (c ? "\t" : "") << out[c];
            if (classify)
                cells << '\t'
                      << head.classes[static_cast<size_t>(
                             std::max_element(out.begin(), out.end()) - out.begin())];
            return cells.str();
        },
        collect, region_labels);
    if (metrics.path.empty()) return status;
    const TaskMetrics m = regress ? regression_metrics(outputs, values)
                                  : classification_metrics(outputs, labels, head.n_classes());
    write_file(metrics.path, m.to_json().dump(2) + "\n");
    note("dnassm predict: %lld labeled rows of %s: %s\n", static_cast<long long>(m.n),
         (table ? o.input : o.bed).c_str(), m.summary().c_str());
    return status;
}

int predict_summaries(Session& s,
                      const CommonOptions& o,
                      const std::vector<std::string>& names,
                      const std::vector<TrackSpec>& specs) {
    std::string header = "id\tchrom\tstart\tend\tlength";
    bool loglik = false;
    for (const auto& n : names) {
        header += "\t" + n + "_bases\t" + n + "_sum\t" + n + "_mean";
        loglik = loglik || n == "loglik";
    }
    if (loglik) header += "\tbits_per_base";
    return predict_rows(
        s, o, header, true,
        [&](std::int64_t L) { return per_base_work(*s.model, L, specs, false); },
        [&](const std::vector<std::int32_t>& ids, Progress* p, std::vector<float>&) {
            const auto tracks = per_base_tracks(*s.model, *s.backend, ids, specs, p);
            std::ostringstream cells;
            double bits = std::nan("");
            for (size_t k = 0; k < tracks.size(); ++k) {
                double sum = 0;
                std::int64_t n = 0;
                for (float v : tracks[k])
                    if (!std::isnan(v)) {
                        sum += v;
                        ++n;
                    }
                const double mean = n ? sum / static_cast<double>(n) : std::nan("");
                cells << (k ? "\t" : "") << n << '\t' << number(sum) << '\t' << number(mean);
                if (names[k] == "loglik") bits = -mean / std::log(2.0);
            }
            if (loglik) cells << '\t' << number(bits);
            return cells.str();
        });
}

}  // namespace dnassm::app
