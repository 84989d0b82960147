// dnassm embed: per-base hidden states after the final norm (or one pooled vector per region).
#include <algorithm>
#include <vector>

#include "dnassm/error.h"
#include "dnassm/io/writers.h"
#include "dnassm/sequence_runner.h"

#include "commands.h"
#include "common.h"

namespace dnassm::app {

int cmd_embed(int argc, char** argv) {
    CommonOptions o;
    std::string pool = "none";
    po::options_description desc("dnassm embed options");
    add_common_options(desc, o);
    desc.add_options()("pool", po::value(&pool)->default_value("none"),
                       "none (one row per base) or mean (one vector per region)");
    if (!parse_command_line(argc, argv,
                            "dnassm embed -m MODEL_DIR [-r REGION]... [-R BED] -o OUT.{npy,h5} IN",
                            desc, o))
        return 0;
    DNASSM_CHECK(pool == "none" || pool == "mean", ErrorKind::kUsage,
                 "--pool: '" + pool + "' is not one of none, mean");
    Session s = open_session(o);
    auto writer = ArrayWriter::create(o.output);
    const std::int64_t D = s.model->info().d_model;
    Progress progress(s.progress_mode, s.total_bases, "embed");
    std::vector<std::int32_t> ids;
    std::int64_t records = 0;
    s.input->for_each(s.regions, [&](SequenceRecord& rec) {
        tokenize(s, o, rec, ids, s.stats);
        const auto L = static_cast<std::int64_t>(ids.size());
        ++records;
        if (pool == "mean") {
            std::vector<double> sum(static_cast<size_t>(D), 0.0);
            run_sequence(*s.model, *s.backend, ids, o.chunk, &progress,
                         [&](std::int64_t, const Tensor& h) {
                             for (std::int64_t t = 0; t < h.dim(0); ++t)
                                 for (std::int64_t d = 0; d < D; ++d)
                                     sum[static_cast<size_t>(d)] += h.f32()[t * D + d];
                         });
            std::vector<float> mean(static_cast<size_t>(D));
            for (std::int64_t d = 0; d < D; ++d)
                mean[static_cast<size_t>(d)] =
                    static_cast<float>(sum[static_cast<size_t>(d)] / static_cast<double>(L));
            writer->begin(rec.name, rec.region, 0, D);
            writer->write_rows(mean.data(), 1);
        } else {
            writer->begin(rec.name, rec.region, L, D);
            run_sequence(
                *s.model, *s.backend, ids, o.chunk, &progress,
                [&](std::int64_t, const Tensor& h) { writer->write_rows(h.f32(), h.dim(0)); });
        }
        writer->end();
    });
    DNASSM_CHECK(records > 0, ErrorKind::kInput,
                 o.input + ": no sequences to embed (no reads passed the filters?)");
    progress.finish();
    writer->commit();
    report_base_stats(s.stats, o);
    return 0;
}

}  // namespace dnassm::app
