#include "dnassm/io/fasta_index_check.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
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
    // First byte after the record's sequence lines (its last line break included).
    [[nodiscard]] std::int64_t end() const {
        if (line_bases <= 0) return offset;
        const std::int64_t full = len / line_bases, rest = len % line_bases;
        return offset + full * line_width + (rest ? rest + (line_width - line_bases) : 0);
    }
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

  private:
    BGZF* fp_;
};

// The name of the first header line in `bytes` after position `from`, or "" when there is none.
std::string header_name(const std::string& bytes, size_t from) {
    for (size_t i = from; i < bytes.size(); ++i) {
        if (bytes[i] == '>' && (i == 0 || bytes[i - 1] == '\n')) {
            const size_t end = bytes.find_first_of(" \t\r\n", i + 1);
            return bytes.substr(i + 1, (end == std::string::npos ? bytes.size() : end) - i - 1);
        }
    }
    return {};
}

}  // namespace

void check_fasta_index_covers_file(const std::string& fasta_path, const std::string& fai_path) {
    const std::vector<FaiRow> rows = read_fai(fai_path);
    Reader in(fasta_path);
    if (rows.empty() || !in.ok()) return;  // faidx itself reports unreadable files
    constexpr std::int64_t kMaxHeader = 1 << 16;
    auto fail = [&](const std::string& after, const std::string& name) {
        throw Error(ErrorKind::kInput,
                    fasta_path + ": record '" + (name.empty() ? "?" : name) + "' after '" + after +
                        "' is not in its index " + fai_path +
                        " (a sequence name used twice, or an index older than the file)");
    };
    for (size_t i = 0; i < rows.size(); ++i) {
        const std::int64_t from = rows[i].end();
        const bool last = i + 1 == rows.size();
        // Between this record and the next: line breaks, then one header line ending right
        // where the next record's sequence starts. After the last: line breaks only.
        const std::int64_t gap = last ? kMaxHeader : rows[i + 1].offset - from;
        if (gap < 0) fail(rows[i].name, rows[i + 1].name);
        const std::string bytes = in.read(from, std::min(gap, kMaxHeader));
        const size_t k = bytes.find_first_not_of("\r\n");
        if (last) {
            if (k != std::string::npos) fail(rows[i].name, header_name(bytes, k));
            continue;
        }
        const size_t eol = k == std::string::npos ? std::string::npos : bytes.find('\n', k);
        const bool one_header = k != std::string::npos && bytes[k] == '>' &&
                                eol != std::string::npos &&
                                static_cast<std::int64_t>(eol + 1) == gap;
        // The gap's first header is the record faidx left out.
        if (!one_header) fail(rows[i].name, header_name(bytes, k == std::string::npos ? 0 : k));
    }
}

}  // namespace dnassm
