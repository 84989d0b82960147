// bigWig (libBigWig) and bedGraph per-base track writers.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>

#include <bigWig.h>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/io/writers.h"

#include "bigwig_check.h"
#include "comment_lines.h"

namespace dnassm {

namespace {

// libBigWig writes no index for a file without values and leaves the header's index offset at 0,
// which readers take for corruption ("Mismatch in the magic number"). An empty R-tree (its header
// and a leaf of no items) placed before the closing magic makes it a valid bigWig of no data: its
// contigs, and no value anywhere.
void add_empty_index(const std::string& path) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const auto size = static_cast<std::uint64_t>(f.tellg());
    std::uint32_t magic = 0;
    f.seekg(static_cast<std::streamoff>(size - sizeof magic));
    f.read(reinterpret_cast<char*>(&magic), sizeof magic);
    DNASSM_CHECK(f && size >= 64 + sizeof magic && magic == kBigWigMagic, ErrorKind::kInternal,
                 path + ": libBigWig left an unexpected empty bigWig");
    const std::uint64_t at = size - sizeof magic;  // the index goes where the closing magic was
    f.seekp(static_cast<std::streamoff>(at));
    auto put = [&f](auto v) { f.write(reinterpret_cast<const char*>(&v), sizeof v); };
    // The R-tree header (48 bytes): magic, block size, items, first and last chrom/base, end of
    // the data, items per slot, reserved; then a leaf (is_leaf, reserved, children) of none.
    put(kBigWigRTreeMagic);
    put(std::uint32_t{256});
    put(std::uint64_t{0});
    for (int k = 0; k < 4; ++k) put(std::uint32_t{0});
    put(at);
    put(std::uint32_t{1024});
    put(std::uint32_t{0});
    put(std::uint8_t{1});
    put(std::uint8_t{0});
    put(std::uint16_t{0});
    put(magic);
    f.seekp(24);  // the header's fullIndexOffset
    put(at);
    DNASSM_CHECK(f.flush().good(), ErrorKind::kResource, path + ": write failed (disk full?)");
}

class BigWigWriter final : public TrackWriter {
  public:
    BigWigWriter(const std::string& path, const std::vector<Contig>& contigs) : file_(path) {
        static std::once_flag init;
        std::call_once(init, [] { bwInit(1 << 17); });
        fp_ = bwOpen(file_.temp_path().c_str(), nullptr, "w");
        DNASSM_CHECK(fp_, ErrorKind::kResource, path + ": cannot create bigWig file");
        DNASSM_CHECK(bwCreateHdr(fp_, 10) == 0, ErrorKind::kResource,
                     path + ": bigWig header failed");
        std::vector<const char*> names;
        std::vector<std::uint32_t> lengths;
        for (const auto& c : contigs) {
            DNASSM_CHECK(c.length <= UINT32_MAX, ErrorKind::kInput,
                         path + ": contig " + c.name + " is too long for bigWig");
            names.push_back(c.name.c_str());
            lengths.push_back(static_cast<std::uint32_t>(c.length));
        }
        fp_->cl =
            bwCreateChromList(names.data(), lengths.data(), static_cast<int64_t>(names.size()));
        DNASSM_CHECK(fp_->cl && bwWriteHdr(fp_) == 0, ErrorKind::kResource,
                     path + ": cannot write the bigWig header");
    }
    ~BigWigWriter() override {
        if (fp_) bwClose(fp_);
    }
    void add_spans(const std::string& contig,
                   std::int64_t start,
                   std::int64_t span,
                   const float* values,
                   std::int64_t n) override {
        if (n <= 0) return;
        const auto s = static_cast<std::uint32_t>(span);
        DNASSM_CHECK(
            bwAddIntervalSpanSteps(fp_, contig.c_str(), static_cast<std::uint32_t>(start), s, s,
                                   const_cast<float*>(values), static_cast<std::uint32_t>(n)) == 0,
            ErrorKind::kResource, file_.path() + ": bigWig write failed at " + contig);
        any_ = true;
    }
    void commit() override {
        bwClose(fp_);  // writes the index and zoom levels
        fp_ = nullptr;
        if (!any_) add_empty_index(file_.temp_path());
        file_.commit();
    }
    [[nodiscard]] bool empty() const override { return !any_; }

  private:
    AtomicFile file_;
    bigWigFile_t* fp_ = nullptr;
    bool any_ = false;
};

class BedGraphWriter final : public TrackWriter {
  public:
    explicit BedGraphWriter(const std::string& path) : file_(path, true), out_(file_.stream()) {}
    // Adjacent bases with identical values share one line, as bedGraph tools do, also across
    // runs (NaN, equal to nothing, is a line of its own).
    void add_spans(const std::string& contig,
                   std::int64_t start,
                   std::int64_t span,
                   const float* values,
                   std::int64_t n) override {
        for (std::int64_t i = 0; i < n;) {
            std::int64_t j = i + 1;
            while (j < n && values[j] == values[i]) ++j;
            const std::int64_t beg = start + i * span, end = start + j * span;
            if (open_ && end_ == beg && value_ == values[i] && contig_ == contig) {
                end_ = end;
            } else {
                write_line();
                open_ = true;
                contig_ = contig;  // reuses the string's storage
                beg_ = beg;
                end_ = end;
                value_ = values[i];
            }
            i = j;
        }
    }
    void commit() override {
        write_line();
        file_.commit();
    }
    [[nodiscard]] bool empty() const override { return !any_ && !open_; }
    void describe(const FileAttributes& attributes) override {
        DNASSM_CHECK(empty(), ErrorKind::kInternal,
                     file_.path() + ": a bedGraph is described before its values");
        write_comment_lines(out_, attributes);
    }
    [[nodiscard]] bool keeps_description() const override { return true; }

  private:
    void write_line() {
        if (!open_) return;
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.7g", static_cast<double>(value_));
        out_ << contig_ << '\t' << beg_ << '\t' << end_ << '\t' << buf << '\n';
        open_ = false;
        any_ = true;
    }

    AtomicFile file_;
    std::ostream& out_;
    bool open_ = false, any_ = false;  // open_: the line below is not written yet
    std::string contig_;
    std::int64_t beg_ = 0, end_ = 0;
    float value_ = 0;
};

}  // namespace

std::unique_ptr<TrackWriter> TrackWriter::create(const std::string& path,
                                                 const std::vector<Contig>& contigs,
                                                 const std::string& type) {
    const std::string ext = type.empty() ? text_extension(path) : type;
    if (ext == ".bedgraph" || ext == ".bg") return std::make_unique<BedGraphWriter>(path);
    DNASSM_CHECK(
        !gz_name(path), ErrorKind::kUsage,
        path + ": a .gz name compresses text output (.bedgraph.gz); " + ext + " is not text");
    if (is_bigwig_extension(ext)) return std::make_unique<BigWigWriter>(path, contigs);
    throw Error(ErrorKind::kUsage, path + ": unknown track type '" + ext +
                                       "' (use .bw/.bigwig or .bedgraph/.bg, or .bedgraph.gz)");
}

}  // namespace dnassm
