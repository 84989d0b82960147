#include "track_gather.h"

#include <algorithm>
#include <map>
#include <queue>

#include "dnassm/error.h"

namespace dnassm::app {

GatheredTrack::GatheredTrack(const std::vector<std::string>& inputs) : inputs_(inputs) {
    std::map<std::string, size_t> index, in_header;
    for (size_t f = 0; f < inputs.size(); ++f) {
        auto file = std::make_unique<TrackFile>(inputs[f]);
        for (const Contig& c : file->contigs()) {
            const auto h = in_header.emplace(c.name, header_.size()).first;
            if (h->second == header_.size()) header_.push_back(c);
            header_[h->second].length = std::max(header_[h->second].length, c.length);
            TrackInterval first;
            if (!file->intervals(c.name)->next(first)) continue;  // no values there
            auto it = index.find(c.name);
            if (it == index.end()) {
                it = index.emplace(c.name, contigs_.size()).first;
                contigs_.push_back(c);
                starts_.emplace_back();
            }
            contigs_[it->second].length = std::max(contigs_[it->second].length, c.length);
            starts_[it->second].push_back({f, first.beg});
        }
        held_.push_back(file->held_in_memory() ? std::move(file) : nullptr);
    }
    // Written in the header's order (a bigWig's intervals follow its contig list).
    std::vector<size_t> order(contigs_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return in_header.at(contigs_[a].name) < in_header.at(contigs_[b].name);
    });
    std::vector<Contig> sorted_contigs;
    std::vector<std::vector<Start>> sorted_starts;
    for (const size_t i : order) {
        sorted_contigs.push_back(contigs_[i]);
        sorted_starts.push_back(std::move(starts_[i]));
    }
    contigs_ = std::move(sorted_contigs);
    starts_ = std::move(sorted_starts);
    for (auto& s : starts_)
        std::stable_sort(s.begin(), s.end(),
                         [](const Start& a, const Start& b) { return a.beg < b.beg; });
}

GatheredTrack::~GatheredTrack() = default;

void GatheredTrack::write_to(TrackWriter& writer) const {
    // Runs are handed over in pieces of at most kMaxRun bases, so one long interval of a
    // bedGraph (a whole contig at one value) costs no more memory than a short one.
    constexpr std::int64_t kMaxRun = std::int64_t{1} << 20;
    std::vector<float> run;
    std::int64_t run_beg = 0;
    const std::string* run_contig = nullptr;
    auto flush = [&] {
        if (!run.empty())
            writer.add_run(*run_contig, run_beg, run.data(), static_cast<std::int64_t>(run.size()));
        run.clear();
    };
    // An input being read: its file (a bigWig opened for this contig) and its next interval.
    struct Source {
        std::unique_ptr<TrackFile> opened;
        std::unique_ptr<TrackFile::Cursor> cursor;
        TrackInterval next;
        size_t file;
    };
    for (size_t ci = 0; ci < contigs_.size(); ++ci) {
        const std::string& contig = contigs_[ci].name;
        std::vector<Source> sources;
        sources.reserve(starts_[ci].size());
        // The inputs merged by position: a min-heap of sources by their next interval's start,
        // each input joining when the merge reaches its first value.
        auto later = [&](size_t a, size_t b) {
            const Source &x = sources[a], &y = sources[b];
            return x.next.beg != y.next.beg ? x.next.beg > y.next.beg : x.file > y.file;
        };
        std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
        size_t joined = 0;
        auto join = [&] {
            const size_t f = starts_[ci][joined++].file;
            Source s;
            if (!held_[f]) s.opened = std::make_unique<TrackFile>(inputs_[f]);
            const TrackFile& file = held_[f] ? *held_[f] : *s.opened;
            s.cursor = file.intervals(contig);
            s.file = f;
            if (!s.cursor->next(s.next)) return;
            sources.push_back(std::move(s));
            heap.push(sources.size() - 1);
        };
        std::int64_t covered_to = -1;  // the end of the last interval written
        size_t covered_by = 0;
        while (true) {
            while (heap.empty() && joined < starts_[ci].size()) join();
            while (joined < starts_[ci].size() && !heap.empty() &&
                   starts_[ci][joined].beg <= sources[heap.top()].next.beg)
                join();
            if (heap.empty()) break;
            const size_t k = heap.top();
            heap.pop();
            Source& s = sources[k];
            const TrackInterval iv = s.next;
            if (iv.beg < covered_to) {
                const std::string at = contig + ":" + std::to_string(iv.beg + 1);
                if (covered_by == s.file)  // one file's own intervals
                    throw Error(ErrorKind::kInput, inputs_[s.file] + ": two intervals cover " + at +
                                                       " (a track's intervals must not overlap)");
                throw Error(ErrorKind::kInput, inputs_[covered_by] + " and " + inputs_[s.file] +
                                                   " both cover " + at +
                                                   " (chunks must not overlap)");
            }
            covered_to = iv.end;
            covered_by = s.file;
            if (!run.empty() && run_beg + static_cast<std::int64_t>(run.size()) != iv.beg) flush();
            for (std::int64_t pos = iv.beg; pos < iv.end;) {
                if (run.empty()) {
                    run_contig = &contig;
                    run_beg = pos;
                }
                const std::int64_t n =
                    std::min(iv.end - pos, kMaxRun - static_cast<std::int64_t>(run.size()));
                run.insert(run.end(), static_cast<size_t>(n), iv.value);
                pos += n;
                if (static_cast<std::int64_t>(run.size()) == kMaxRun) flush();
            }
            if (s.cursor->next(s.next)) {
                heap.push(k);
            } else {  // this input's last value on the contig: close it
                s.cursor.reset();
                s.opened.reset();
            }
        }
        flush();
    }
}

}  // namespace dnassm::app
