#include "train/label_tables.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "dnassm/error.h"
#include "dnassm/io/region.h"
#include "dnassm/io/text_lines.h"
#include "dnassm/io/writers.h"
#include "dnassm/text.h"

namespace dnassm {

namespace {

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.pop_back();
    size_t i = 0;
    while (i < s.size() && s[i] == ' ') ++i;
    return s.substr(i);
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
    // Fields as spreadsheets and R's write.csv write them: quoted, or not.
    const auto header = split_csv(text, path + ": line 1");
    int seq_col = -1, label_col = -1, id_col = -1;
    for (size_t i = 0; i < header.size(); ++i) {
        // "Sequence, Label" as a spreadsheet may write it.
        std::string h = header[i];
        std::erase_if(h, [](unsigned char c) { return std::isspace(c); });
        std::transform(h.begin(), h.end(), h.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (h == "sequence") seq_col = static_cast<int>(i);
        if (h == "label") label_col = static_cast<int>(i);
        if (h == "id" || h == "name") id_col = static_cast<int>(i);
    }
    DNASSM_CHECK(seq_col >= 0 && (label_col >= 0 || !need_label), ErrorKind::kInput,
                 path + ": line 1: expected a header with 'sequence'" +
                     (need_label ? std::string(" and 'label' columns") : std::string(" column")) +
                     (header.size() == 1 && text.find('\t') != std::string_view::npos
                          ? " (this one is tab-separated; a CSV table's fields are separated by "
                            "commas)"
                          : ""));
    std::vector<LabeledSequence> out;
    while (lines.next(text)) {
        const std::int64_t line_no = lines.line_no();
        if (is_blank(text)) continue;
        const std::string where = path + ": line " + std::to_string(line_no);
        const auto f = split_csv(text, where);
        DNASSM_CHECK(f.size() == header.size(), ErrorKind::kInput,
                     where + ": expected " + std::to_string(header.size()) + " fields, found " +
                         std::to_string(f.size()));
        LabeledSequence s;
        s.seq = f[static_cast<size_t>(seq_col)];
        if (label_col >= 0) s.label = f[static_cast<size_t>(label_col)];
        s.id = id_col >= 0 ? f[static_cast<size_t>(id_col)] : std::to_string(out.size() + 1);
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
        if (is_bed_header_line(s)) continue;
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

}  // namespace dnassm
