#include "train/class_folders.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "dnassm/error.h"
#include "dnassm/io/sequence_input.h"
#include "dnassm/io/text_lines.h"
#include "dnassm/text.h"

namespace dnassm {

namespace {

namespace fs = std::filesystem;

// The class an interval list names: "promoter.csv.gz" -> "promoter".
std::string class_of_list(const std::string& file) {
    for (const std::string_view ext : {".csv.gz", ".csv"})
        if (file.size() > ext.size() && file.ends_with(ext))
            return file.substr(0, file.size() - ext.size());
    return {};
}

// One interval list: its rows as regions named by their id (or row number).
std::vector<Region> read_interval_list(const std::string& path,
                                       const std::vector<Contig>& contigs) {
    TextLines lines(path);
    DNASSM_CHECK(lines.is_open(), ErrorKind::kInput, path + ": cannot open");
    std::string_view text;
    DNASSM_CHECK(lines.next(text), ErrorKind::kInput, path + ": empty file");
    const auto header = split_csv(text, path + ": line 1");
    std::map<std::string, size_t> col;
    for (size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
    for (const char* need : {"region", "start", "end"})
        DNASSM_CHECK(col.count(need), ErrorKind::kInput,
                     path +
                         ": line 1: expected a header with region, start, end (and id, "
                         "strand) columns, as GenomicBenchmarks' interval lists have");
    std::vector<Region> out;
    while (lines.next(text)) {
        if (is_blank(text)) continue;
        const std::string where = path + ": line " + std::to_string(lines.line_no());
        const auto f = split_csv(text, where);
        DNASSM_CHECK(f.size() == header.size(), ErrorKind::kInput,
                     where + ": expected " + std::to_string(header.size()) + " fields, found " +
                         std::to_string(f.size()));
        Region r;
        r.contig = f[col["region"]];
        r.beg = parse_coordinate(f[col["start"]], where, "start");
        r.end = parse_coordinate(f[col["end"]], where, "end");
        r.name = col.count("id") ? f[col["id"]] : std::to_string(out.size() + 1);
        if (col.count("strand")) {
            const std::string& s = f[col["strand"]];
            DNASSM_CHECK(s == "+" || s == "-" || s == ".", ErrorKind::kInput,
                         where + ": strand '" + s + "' is not +, - or .");
            r.strand = s[0];
        }
        resolve_region(r, contigs, where);
        out.push_back(std::move(r));
    }
    lines.check_read(path);
    // (An empty list would ask SequenceInput::for_each for every whole contig.)
    DNASSM_CHECK(!out.empty(), ErrorKind::kInput, path + ": no intervals after the header");
    return out;
}

// A folder's entries sorted by name; an unreadable folder is Error(kInput).
std::vector<fs::directory_entry> entries_of(const fs::path& dir) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    DNASSM_CHECK(!ec, ErrorKind::kInput,
                 dir.string() + ": cannot read the folder (" + ec.message() + ")");
    std::vector<fs::directory_entry> out(it, {});
    std::sort(out.begin(), out.end());
    return out;
}

std::string read_text_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    DNASSM_CHECK(in.good(), ErrorKind::kInput, path.string() + ": cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }),
            s.end());
    return s;
}

}  // namespace

std::vector<LabeledSequence> read_class_folders(const std::string& dir,
                                                const std::string& fasta,
                                                const std::string& fasta_option) {
    const std::vector<fs::directory_entry> entries = entries_of(dir);
    std::vector<LabeledSequence> out;
    std::unique_ptr<SequenceInput> reference;
    int classes = 0;
    for (const auto& e : entries) {
        const std::string name = e.path().filename().string();
        std::error_code ec;
        if (e.is_directory(ec)) {  // full sequences, one file each
            std::vector<fs::path> files;
            for (const auto& f : entries_of(e.path()))
                if (f.is_regular_file(ec) && f.path().extension() == ".txt")
                    files.push_back(f.path());
            if (files.empty()) continue;
            ++classes;
            for (const auto& f : files)
                out.push_back({f.stem().string(), read_text_file(f), name, {}});
            continue;
        }
        const std::string label = class_of_list(name);
        if (label.empty() || !e.is_regular_file(ec)) continue;
        DNASSM_CHECK(!fasta.empty(), ErrorKind::kUsage,
                     e.path().string() + ": an interval list needs " + fasta_option + " REF.fa");
        if (!reference) {
            InputOptions stranded;
            stranded.stranded = true;  // loc2seq reads '-' intervals reverse-complemented
            reference = SequenceInput::open(fasta, stranded);
            DNASSM_CHECK(reference->format() == InputFormat::kFasta, ErrorKind::kInput,
                         fasta + ": " + fasta_option + " must be a FASTA file");
            require_reference(*reference, "interval lists are read from a reference");
        }
        const auto regions = read_interval_list(e.path().string(), reference->contigs());
        ++classes;
        size_t i = 0;
        reference->for_each(regions, [&](SequenceRecord& r) {
            out.push_back({regions[i++].name, std::move(r.seq), label, r.region});
        });
    }
    DNASSM_CHECK(classes > 0 && !out.empty(), ErrorKind::kInput,
                 dir +
                     ": no classes (expected <class>.csv[.gz] interval lists or <class>/ "
                     "folders of .txt sequences, as GenomicBenchmarks' train/ and test/)");
    return out;
}

}  // namespace dnassm
