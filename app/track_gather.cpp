#include "track_gather.h"

#include <algorithm>
#include <map>
#include <queue>

#include "dnassm/error.h"
#include "dnassm/io/input_file.h"

#include "common.h"

namespace dnassm::app {

GatheredTrack::GatheredTrack(const std::vector<std::string>& inputs) : inputs_(inputs) {
    DNASSM_CHECK(std::count(inputs.begin(), inputs.end(), "-") <= 1, ErrorKind::kUsage,
                 "- (standard input) is given more than once; it can be read once");
    require_distinct_files(inputs, "");
    std::map<std::string, size_t> index;  // contig -> its place in header_
    for (size_t f = 0; f < inputs.size(); ++f) {
        auto file = std::make_unique<TrackFile>(inputs[f]);
        for (const Contig& c : file->contigs()) {
            const auto [it, added] = index.emplace(c.name, header_.size());
            if (added) {
                header_.push_back(c);
                starts_.emplace_back();
            }
            header_[it->second].length = std::max(header_[it->second].length, c.length);
            TrackInterval first;
            if (file->intervals(c.name)->next(first)) starts_[it->second].push_back({f, first.beg});
        }
        keep_shared(file->description(), f == 0);
        held_.push_back(file->held_in_memory() ? std::move(file) : nullptr);
    }
    for (auto& s : starts_)
        std::stable_sort(s.begin(), s.end(),
                         [](const Start& a, const Start& b) { return a.beg < b.beg; });
}

void GatheredTrack::keep_shared(const FileAttributes& description, bool first) {
    if (first) {
        for (const auto& entry : description)
            if (entry.first != "dnassm_version" && entry.first != "command")
                shared_.push_back(entry);
        return;
    }
    std::erase_if(shared_, [&](const auto& entry) {
        return std::find(description.begin(), description.end(), entry) == description.end();
    });
}

bool GatheredTrack::empty() const {
    return std::all_of(starts_.begin(), starts_.end(), [](const auto& s) { return s.empty(); });
}

GatheredTrack::~GatheredTrack() = default;

void GatheredTrack::write_to(TrackWriter& writer) const {
    // Intervals are handed over as runs of equal spans: contiguous intervals of one length (the
    // bases of a per-base track, the bins of a binned one) are one run, so a binned track stays
    // binned. A short interval inside a per-base run (a bedGraph's two equal neighbours as one
    // line) joins it as bases; a long one is a run of its own, handed over in pieces of at most
    // kMaxRun bases, so a whole contig at one value costs no more memory than a short interval.
    constexpr std::int64_t kMaxRun = std::int64_t{1} << 20, kShort = 8;
    std::vector<float> run;
    std::int64_t run_beg = 0, span = 1;
    const std::string* run_contig = nullptr;
    auto flush = [&] {
        if (!run.empty())
            writer.add_spans(*run_contig, run_beg, span, run.data(),
                             static_cast<std::int64_t>(run.size()));
        run.clear();
    };
    auto add = [&](const std::string& contig, const TrackInterval& iv) {
        const std::int64_t length = iv.end - iv.beg;
        const bool follows =
            !run.empty() && run_beg + static_cast<std::int64_t>(run.size()) * span == iv.beg;
        if (follows && length == span && static_cast<std::int64_t>(run.size()) < kMaxRun) {
            run.push_back(iv.value);
            return;
        }
        if (follows && span == 1 && length <= kShort &&
            static_cast<std::int64_t>(run.size()) + length <= kMaxRun) {
            run.insert(run.end(), static_cast<size_t>(length), iv.value);
            return;
        }
        flush();
        run_contig = &contig;
        if (length <= kMaxRun) {  // one span of its length, that the next may continue
            run_beg = iv.beg;
            span = length;
            run.push_back(iv.value);
            return;
        }
        for (std::int64_t pos = iv.beg; pos < iv.end; pos += kMaxRun) {  // pieces of one span each
            run_beg = pos;
            span = std::min(kMaxRun, iv.end - pos);
            run.push_back(iv.value);
            flush();
        }
    };
    // An input being read: its file (a bigWig opened for this contig) and its next interval.
    struct Source {
        std::unique_ptr<TrackFile> opened;
        std::unique_ptr<TrackFile::Cursor> cursor;
        TrackInterval next;
        size_t file;
    };
    // In the header's order (a bigWig's intervals follow its contig list).
    for (size_t ci = 0; ci < header_.size(); ++ci) {
        if (starts_[ci].empty()) continue;  // no values on this contig
        const std::string& contig = header_[ci].name;
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
            add(contig, iv);
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

FileAttributes provenance(int argc, char** argv, const GatheredTrack& track) {
    FileAttributes a = output_provenance(argc, argv);
    a.insert(a.end(), track.shared_description().begin(), track.shared_description().end());
    return a;
}

}  // namespace dnassm::app
