#include "track_gather.h"

#include <algorithm>
#include <map>

#include "dnassm/error.h"

namespace dnassm::app {

GatheredTrack::GatheredTrack(const std::vector<std::string>& inputs) {
    std::map<std::string, size_t> index;
    for (size_t f = 0; f < inputs.size(); ++f) {
        const Track t = read_track(inputs[f]);
        for (const auto& iv : t.intervals) {
            const Contig& c = t.contigs[static_cast<size_t>(iv.contig)];
            auto it = index.find(c.name);
            if (it == index.end()) {
                it = index.emplace(c.name, contigs_.size()).first;
                contigs_.push_back(c);
            }
            contigs_[it->second].length = std::max(contigs_[it->second].length, c.length);
            pieces_.push_back({it->second, iv.beg, iv.end, iv.value, f});
        }
    }
    DNASSM_CHECK(!pieces_.empty(), ErrorKind::kInput, "the inputs hold no values");
    std::sort(pieces_.begin(), pieces_.end(), [](const Piece& a, const Piece& b) {
        return a.contig != b.contig ? a.contig < b.contig : a.beg < b.beg;
    });
    for (size_t i = 1; i < pieces_.size(); ++i) {
        const Piece &prev = pieces_[i - 1], &p = pieces_[i];
        if (prev.contig != p.contig || prev.end <= p.beg) continue;
        const std::string at = contigs_[p.contig].name + ":" + std::to_string(p.beg + 1);
        if (prev.file == p.file)  // one file's own intervals
            throw Error(ErrorKind::kInput, inputs[p.file] + ": two intervals cover " + at +
                                               " (a track's intervals must not overlap)");
        throw Error(ErrorKind::kInput, inputs[prev.file] + " and " + inputs[p.file] +
                                           " both cover " + at + " (chunks must not overlap)");
    }
}

void GatheredTrack::write_to(TrackWriter& writer) const {
    std::vector<float> run;
    std::int64_t run_beg = 0;
    size_t run_contig = 0;
    auto flush = [&] {
        if (!run.empty())
            writer.add_run(contigs_[run_contig].name, run_beg, run.data(),
                           static_cast<std::int64_t>(run.size()));
        run.clear();
    };
    // Runs are handed over in pieces of at most kMaxRun bases, so one long interval of a
    // bedGraph (a whole contig at one value) costs no more memory than a short one.
    constexpr std::int64_t kMaxRun = std::int64_t{1} << 20;
    for (const Piece& p : pieces_) {
        if (!run.empty() &&
            (p.contig != run_contig || run_beg + static_cast<std::int64_t>(run.size()) != p.beg))
            flush();
        for (std::int64_t pos = p.beg; pos < p.end;) {
            if (run.empty()) {
                run_contig = p.contig;
                run_beg = pos;
            }
            const std::int64_t n =
                std::min(p.end - pos, kMaxRun - static_cast<std::int64_t>(run.size()));
            run.insert(run.end(), static_cast<size_t>(n), p.value);
            pos += n;
            if (static_cast<std::int64_t>(run.size()) == kMaxRun) flush();
        }
    }
    flush();
}

}  // namespace dnassm::app
