// dnassm embed: per-base hidden states after the final norm, optionally averaged with the
// reverse complement (--rc), over K-base bins (--stride), or over the region (--pool mean).
#include <algorithm>
#include <functional>
#include <vector>

#include "dnassm/error.h"
#include "dnassm/io/writers.h"
#include "dnassm/messages.h"
#include "dnassm/record_batches.h"

#include "chunk_chain.h"
#include "commands.h"
#include "common.h"

namespace dnassm::app {

namespace {

// Per-base embeddings this large (bytes) get a note with their size and how to shrink them.
constexpr double kEmbeddingSizeNoted = 1e9;

}  // namespace

int cmd_embed(int argc, char** argv) {
    CommonOptions o;
    std::string pool = "none", dtype = "f32";
    std::int64_t stride = 1;
    bool fold_rc = false;
    po::options_description desc("dnassm embed options");
    add_common_options(desc, o);
    // clang-format off
    desc.add_options()
        ("pool", po::value(&pool)->default_value("none"),
         "none (one row per base) or mean (one vector per region/record: .npy [N, D] in input order, "
         ".h5 a dataset each, .tsv a row each)")
        ("stride", po::value(&stride)->default_value(1), "average K consecutive bases into one row")
        ("dtype", po::value(&dtype)->default_value("f32"), "f32 or f16 (half the file size)")
        ("fold-rc", po::bool_switch(&fold_rc),
         "RC-equivariant models (Caduceus-PS): average the forward half and the position-aligned "
         "reverse-complement half into d_model columns (default: the official [fwd | rc] layout)");
    // clang-format on
    std::string state_in, state_out;
    add_state_options(desc, state_in, state_out);
    if (!parse_command_line(
            argc, argv,
            "dnassm embed -m MODEL_DIR [-r REGION]... [-R BED] -o OUT.{npy,h5} IN [REGION]...\n"
            "   or: dnassm embed -m MODEL_DIR --pool mean ... -o OUT.{npy,h5,tsv} IN [REGION]...\n"
            "  IN: FASTA, FASTQ, SAM/BAM/CRAM, a sequence[,label] CSV or a GenomicBenchmarks "
            "folder (a record per row);\n      - reads FASTA, FASTQ, SAM/BAM/CRAM from standard "
            "input",
            desc, o))
        return 0;
    DNASSM_CHECK(pool == "none" || pool == "mean", ErrorKind::kUsage,
                 "--pool: '" + pool + "' is not one of none, mean");
    DNASSM_CHECK(dtype == "f32" || dtype == "f16", ErrorKind::kUsage,
                 "--dtype: '" + dtype + "' is not one of f32, f16");
    DNASSM_CHECK(stride >= 1, ErrorKind::kUsage, "--stride must be >= 1");
    Session s = open_session(o);
    shard_sequence_records(s, o);
    // A chained chunk (--state-in/--state-out) reads its one region from where the state stands
    // (a base before it) and leaves out the rows before the region.
    ChunkChain chain(state_in, state_out);
    std::vector<Region> reads = s.regions;
    RunOptions run = run_options(s, o);
    Region core;
    if (chain.active()) {
        DNASSM_CHECK(!o.stranded, ErrorKind::kUsage,
                     "--stranded: a chained chunk carries a forward-strand stream");
        const std::vector<Region> asked = asked_regions(s);
        chain.check(s, o, false, asked.size());
        core = asked.front();
        Region span = core;
        chain.resume(*s.model, core, span, run);
        chain.save_at_end(core, span, run);
        reads = {span};
    }
    DNASSM_CHECK(!fold_rc || s.model->info().rc_halves, ErrorKind::kUsage,
                 "--fold-rc: " + o.model_dir +
                     " has no [forward | reverse-complement] hidden layout (Caduceus-PS has)");
    const std::int64_t width = s.model->info().d_model, D = fold_rc ? width / 2 : width;
    std::unique_ptr<ArrayWriter> writer;
    std::unique_ptr<VectorWriter> vectors;
    DNASSM_CHECK(pool == "mean" || o.output != "-", ErrorKind::kUsage,
                 "-o -: per-base embeddings are binary (.npy, .h5) and need a file name; "
                 "--pool mean writes a TSV to standard output");
    const std::string type = output_type(o, pool == "mean" ? ".tsv" : "");
    DNASSM_CHECK(pool == "mean" || type != ".tsv", ErrorKind::kUsage,
                 o.output +
                     ": per-base embeddings go to .npy or .h5; .tsv holds pooled "
                     "vectors (--pool mean)");
    // A genome's per-base rows run to hundreds of GB: the size is said before the file is made.
    if (pool != "mean") {
        const std::int64_t rows = (s.total_bases + stride - 1) / stride;
        const double bytes =
            static_cast<double>(rows) * static_cast<double>(D) * (dtype == "f16" ? 2.0 : 4.0);
        std::string smaller = dtype == "f16" ? "" : "--dtype f16 halves it, ";
        if (stride == 1) smaller += "--stride K divides it by K, ";
        if (bytes >= kEmbeddingSizeNoted)
            note(
                "dnassm embed: note: %s will hold about %.1f GB (%lld rows of %lld values); %s"
                "--pool mean writes a vector per region instead\n",
                o.output.c_str(), bytes / 1e9, static_cast<long long>(rows),
                static_cast<long long>(D), smaller.c_str());
    }
    if (pool == "mean")
        vectors = VectorWriter::create(o.output, D, dtype == "f16", type);
    else
        writer = ArrayWriter::create(o.output, dtype == "f16", type);
    auto flag = [](bool on) { return std::string(on ? "true" : "false"); };
    FileAttributes provenance = output_provenance(argc, argv, &s);
    provenance.insert(provenance.end(), {{"pooling", pool},
                                         {"stride", std::to_string(stride)},
                                         {"rc_averaged", flag(o.rc)},
                                         {"stranded", flag(o.stranded)},
                                         {"fold_rc", flag(fold_rc)},
                                         {"bf16", flag(o.bf16)}});
    if (vectors)
        vectors->describe(provenance);
    else
        writer->describe(provenance);
    // Rows as written: the model's, or folded to (fwd + flip_C(rc)) / 2 in `folded`.
    auto rows_of = [&](const float* h, std::int64_t n, std::vector<float>& folded) -> const float* {
        if (!fold_rc) return h;
        folded.resize(static_cast<size_t>(n * D));
        for (std::int64_t t = 0; t < n; ++t)
            for (std::int64_t c = 0; c < D; ++c)
                folded[static_cast<size_t>(t * D + c)] =
                    0.5f * (h[t * width + c] + h[t * width + width - 1 - c]);
        return folded.data();
    };
    // Rows from the `skip`-th on (a chained chunk's re-read base is not its own).
    using OnRows = std::function<void(std::int64_t, const float*, std::int64_t)>;
    auto from_row = [width](std::int64_t skip, OnRows on_rows) -> OnRows {
        return [skip, width, on_rows](std::int64_t off, const float* raw, std::int64_t n) {
            const std::int64_t drop = std::clamp<std::int64_t>(skip - off, 0, n);
            if (drop < n) on_rows(off + drop - skip, raw + drop * width, n - drop);
        };
    };
    Progress progress(s.progress_mode, s.total_bases * (o.rc ? 2 : 1), "embed");
    // --pool mean: one vector per record; short records run side by side (record_batches.h).
    struct Pooled {
        std::string name;
        Region region;
        std::vector<std::int32_t> ids;
        std::int64_t skip = 0;
        std::vector<float> mean;
    };
    RecordBatches<Pooled> pooled(
        *s.backend, &progress,
        [&](Pooled& r, Progress* p) {
            std::vector<double> sum(static_cast<size_t>(D), 0.0);
            std::vector<float> folded;
            const OnRows add = [&](std::int64_t, const float* raw, std::int64_t n) {
                const float* h = rows_of(raw, n, folded);
                for (std::int64_t t = 0; t < n; ++t)
                    for (std::int64_t d = 0; d < D; ++d)
                        sum[static_cast<size_t>(d)] += h[t * D + d];
            };
            run_per_base(s, o, r.ids, p, from_row(r.skip, add), &run);
            const auto rows = static_cast<double>(static_cast<std::int64_t>(r.ids.size()) - r.skip);
            r.mean.resize(static_cast<size_t>(D));
            for (std::int64_t d = 0; d < D; ++d)
                r.mean[static_cast<size_t>(d)] =
                    static_cast<float>(sum[static_cast<size_t>(d)] / rows);
        },
        [&](Pooled& r) { vectors->add(r.name, r.region, r.mean.data()); });
    // A record's rows as written (folded; binned by --stride, the last bin maybe shorter), handed
    // to `emit` a block at a time.
    using OnWritten = std::function<void(const float*, std::int64_t)>;
    auto record_rows = [&](const std::vector<std::int32_t>& rec_ids, std::int64_t skip, Progress* p,
                           const OnWritten& emit) {
        std::vector<float> bin(static_cast<size_t>(D), 0.0f), folded;
        std::int64_t in_bin = 0;
        auto flush_bin = [&] {
            for (auto& v : bin) v /= static_cast<float>(in_bin);
            emit(bin.data(), 1);
            std::fill(bin.begin(), bin.end(), 0.0f);
            in_bin = 0;
        };
        const OnRows write = [&](std::int64_t, const float* raw, std::int64_t n) {
            const float* h = rows_of(raw, n, folded);
            if (stride == 1) {
                emit(h, n);
                return;
            }
            for (std::int64_t t = 0; t < n; ++t) {
                for (std::int64_t d = 0; d < D; ++d) bin[static_cast<size_t>(d)] += h[t * D + d];
                if (++in_bin == stride) flush_bin();
            }
        };
        run_per_base(s, o, rec_ids, p, from_row(skip, write), &run);
        if (in_bin > 0) flush_bin();
    };
    auto rows_written = [&](std::int64_t L, std::int64_t skip) {
        return (L - skip + stride - 1) / stride;
    };
    // Per-base rows of short records (reads, table rows, small regions) run side by side too,
    // each kept until its turn to be written (batches of ~64 MB of rows); a long record streams
    // its rows to the file as they come.
    struct Rows {
        std::string name;
        Region region;
        std::vector<std::int32_t> ids;
        std::vector<float> rows;
    };
    RecordBatches<Rows> short_rows(
        *s.backend, &progress,
        [&](Rows& r, Progress* p) {
            r.rows.reserve(static_cast<size_t>(rows_written(std::ssize(r.ids), 0) * D));
            record_rows(r.ids, 0, p, [&](const float* h, std::int64_t n) {
                r.rows.insert(r.rows.end(), h, h + n * D);
            });
        },
        [&](Rows& r) {
            writer->begin(r.name, r.region, rows_written(std::ssize(r.ids), 0), D);
            writer->write_rows(r.rows.data(), std::ssize(r.rows) / D);
            writer->end();
        },
        std::max<std::int64_t>(RecordBatches<Rows>::kShortRecord,
                               (std::int64_t{64} << 20) / (D * 4)));
    std::vector<std::int32_t> ids;
    std::int64_t records = 0, seen = 0;
    s.input->for_each(reads, [&](SequenceRecord& rec) {
        if (!s.records.contains(seen++)) return;
        tokenize(s, o, rec, ids);
        const auto L = static_cast<std::int64_t>(ids.size());
        note_plan(s, o, L);
        ++records;
        const std::int64_t skip = chain.active() ? core.beg - rec.region.beg : 0;
        if (chain.active()) {  // written as the region asked for
            rec.region = core;
            rec.name = core.label();
        }
        if (pool == "mean") {
            pooled.add({rec.name, rec.region, ids, skip, {}}, L, L * (o.rc ? 2 : 1));
            return;
        }
        if (skip == 0 && L <= RecordBatches<Rows>::kShortRecord) {
            short_rows.add({rec.name, rec.region, ids, {}}, L, L * (o.rc ? 2 : 1));
            return;
        }
        short_rows.finish();  // the records before it are written first
        writer->begin(rec.name, rec.region, rows_written(L, skip), D);
        record_rows(ids, skip, &progress,
                    [&](const float* h, std::int64_t n) { writer->write_rows(h, n); });
        writer->end();
    });
    short_rows.finish();
    pooled.finish();
    require_records(s, o, records);
    progress.finish();
    chain.commit_with(*s.model, core, [&] {
        if (vectors)
            vectors->commit();
        else
            writer->commit();
    });
    report_input_stats(s, o);
    return 0;
}

}  // namespace dnassm::app
