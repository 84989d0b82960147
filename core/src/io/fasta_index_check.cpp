#include "dnassm/io/fasta_index_check.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include <htslib/bgzf.h>
#include <htslib/hts.h>
#include <htslib/hts_log.h>

#include "dnassm/error.h"

namespace dnassm {

namespace {

struct FaiRow {
    std::string name;
    std::int64_t len = 0, offset = 0, line_bases = 0, line_width = 0;
    // Where the record's last line of bases starts when it is shorter than the others, else the
    // first byte after its lines. A short line's length in bytes is not known: the bytes a full
    // line holds beside its bases (a line break, or samtools' test of tabs inside lines) need not
    // be in it.
    [[nodiscard]] std::int64_t tail() const {
        if (line_bases <= 0) return offset;
        return offset + len / line_bases * line_width;
    }
    [[nodiscard]] bool short_last_line() const { return line_bases > 0 && len % line_bases != 0; }
};

std::vector<FaiRow> read_fai(const std::string& path) {
    std::ifstream in(path);
    std::vector<FaiRow> rows;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        FaiRow r;
        if (std::getline(f, r.name, '\t') && f >> r.len >> r.offset >> r.line_bases >> r.line_width)
            rows.push_back(std::move(r));
    }
    std::sort(rows.begin(), rows.end(),
              [](const FaiRow& a, const FaiRow& b) { return a.offset < b.offset; });
    return rows;
}

// Reads uncompressed bytes at uncompressed offsets of a plain or BGZF file (.gzi beside it).
class Reader {
  public:
    explicit Reader(const std::string& path) : fp_(bgzf_open(path.c_str(), "r")) {
        if (fp_ && bgzf_compression(fp_) == bgzf &&
            bgzf_index_load(fp_, path.c_str(), ".gzi") < 0) {
            bgzf_close(fp_);
            fp_ = nullptr;
        }
    }
    ~Reader() {
        if (fp_) bgzf_close(fp_);
    }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    [[nodiscard]] bool ok() const { return fp_ != nullptr; }
    // Up to n bytes from `offset` (fewer at the end of the file).
    std::string read(std::int64_t offset, std::int64_t n) {
        std::string out(static_cast<size_t>(n), '\0');
        if (bgzf_useek(fp_, offset, SEEK_SET) < 0) return {};
        // Reading up to the end of the data is how the check finds it, which HTSlib logs as an
        // error when the end falls on a block boundary; the short read says all there is to say.
        const enum htsLogLevel level = hts_get_log_level();
        hts_set_log_level(HTS_LOG_OFF);
        const ssize_t got = bgzf_read(fp_, out.data(), static_cast<size_t>(n));
        hts_set_log_level(level);
        out.resize(got > 0 ? static_cast<size_t>(got) : 0);
        return out;
    }
    // From `offset` to the end of the file, or more than `cap` bytes when it is longer.
    std::string read_to_end(std::int64_t offset, std::int64_t cap) {
        constexpr std::int64_t kChunk = 1 << 16;
        std::string all;
        while (static_cast<std::int64_t>(all.size()) <= cap) {
            const std::string part = read(offset + static_cast<std::int64_t>(all.size()), kChunk);
            all += part;
            if (static_cast<std::int64_t>(part.size()) < kChunk) break;
        }
        return all;
    }

  private:
    BGZF* fp_;
};

// The name on a header line (">name description").
std::string header_name(std::string_view line) {
    const size_t end = line.find_first_of(" \t\r", 1);
    return std::string(line.substr(1, end == std::string_view::npos ? line.npos : end - 1));
}

// The lines between two indexed records' sequences (or before the first, or after the last):
// blank lines and header lines only. When a record follows, the last header is its own; every
// other header is a record with no bases, which faidx leaves out. A line of bases there is a
// record faidx left out: a repeated name or a stale index.
struct Gap {
    std::vector<std::string> empty;  // headers of records with no bases
    std::string unindexed;           // header of a record with bases faidx left out, or "?"
};

Gap read_gap(std::string_view bytes, bool next_follows) {
    std::vector<std::string> headers;
    size_t pos = 0;
    while (pos < bytes.size()) {
        size_t eol = bytes.find('\n', pos);
        if (eol == std::string_view::npos) eol = bytes.size();
        std::string_view line = bytes.substr(pos, eol - pos);
        pos = eol + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        if (line.front() == '>') {
            headers.push_back(header_name(line));
        } else {
            return Gap{{}, headers.empty() ? std::string("?") : headers.back()};
        }
    }
    if (next_follows) {
        if (headers.empty()) return Gap{{}, std::string("?")};
        headers.pop_back();  // the next record's own header
    }
    return Gap{std::move(headers), {}};
}

}  // namespace

EmptyRecords check_fasta_index_covers_file(const std::string& fasta_path,
                                           const std::string& fai_path) {
    const std::vector<FaiRow> rows = read_fai(fai_path);
    Reader in(fasta_path);
    EmptyRecords out;
    if (rows.empty() || !in.ok()) return out;  // faidx itself reports unreadable files
    // Gaps hold header lines only; this bounds what is read of a corrupt or mismatched index.
    constexpr std::int64_t kMaxGap = std::int64_t{1} << 26;
    auto fail = [&](const std::string& after, const std::string& name) {
        throw Error(
            ErrorKind::kInput,
            fasta_path + ": record '" + (name.empty() ? "?" : name) + "' " +
                (after.empty() ? "before the first indexed one" : "after '" + after + "'") +
                " is not in its index " + fai_path +
                " (a sequence name used twice, or an index out of date: delete it to have it "
                "rebuilt)");
    };
    auto check = [&](const FaiRow* prev, const FaiRow* next) {
        const std::string after = prev ? prev->name : std::string();
        const std::int64_t from = prev ? prev->tail() : 0;
        const bool skip_line = prev && prev->short_last_line();
        const bool last = next == nullptr;
        const std::int64_t want = last ? 0 : next->offset - from;
        if (want < 0 || want > kMaxGap) fail(after, last ? "?" : next->name);
        const std::string bytes = last ? in.read_to_end(from, kMaxGap) : in.read(from, want);
        const auto got = static_cast<std::int64_t>(bytes.size());
        if (last ? got > kMaxGap : got != want) fail(after, "?");
        std::string_view rest(bytes);
        if (skip_line) {  // the record's short last line: as many bases as the index says
            const size_t eol = std::min(rest.find('\n'), rest.size());
            const auto bases =
                std::count_if(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(eol),
                              [](char c) { return std::isgraph(static_cast<unsigned char>(c)); });
            if (bases != prev->len % prev->line_bases) fail(after, "?");
            rest.remove_prefix(eol);
        }
        Gap g = read_gap(rest, !last);
        if (!g.unindexed.empty()) fail(after, g.unindexed);
        for (auto& name : g.empty) out.add(std::move(name));
    };
    // Before the first record's sequence: its header, after any records with no bases.
    check(nullptr, &rows[0]);
    for (size_t i = 0; i < rows.size(); ++i)
        check(&rows[i], i + 1 < rows.size() ? &rows[i + 1] : nullptr);
    return out;
}

}  // namespace dnassm
