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

namespace dnassm {

namespace {

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
    void add_run(const std::string& contig,
                 std::int64_t start,
                 const float* values,
                 std::int64_t n) override {
        if (n <= 0) return;
        DNASSM_CHECK(
            bwAddIntervalSpanSteps(fp_, contig.c_str(), static_cast<std::uint32_t>(start), 1, 1,
                                   const_cast<float*>(values), static_cast<std::uint32_t>(n)) == 0,
            ErrorKind::kResource, file_.path() + ": bigWig write failed at " + contig);
        any_ = true;
    }
    void commit() override {
        DNASSM_CHECK(any_, ErrorKind::kInput, file_.path() + ": no values to write");
        bwClose(fp_);  // writes the index and zoom levels
        fp_ = nullptr;
        file_.commit();
    }

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
    void add_run(const std::string& contig,
                 std::int64_t start,
                 const float* values,
                 std::int64_t n) override {
        for (std::int64_t i = 0; i < n;) {
            std::int64_t j = i + 1;
            while (j < n && values[j] == values[i]) ++j;
            if (open_ && end_ == start + i && value_ == values[i] && contig_ == contig) {
                end_ = start + j;
            } else {
                write_line();
                open_ = true;
                contig_ = contig;  // reuses the string's storage
                beg_ = start + i;
                end_ = start + j;
                value_ = values[i];
            }
            i = j;
        }
    }
    void commit() override {
        DNASSM_CHECK(any_ || open_, ErrorKind::kInput, file_.path() + ": no values to write");
        write_line();
        file_.commit();
    }

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
    if (ext == ".bw" || ext == ".bigwig") return std::make_unique<BigWigWriter>(path, contigs);
    throw Error(ErrorKind::kUsage, path + ": unknown track type '" + ext +
                                       "' (use .bw/.bigwig or .bedgraph/.bg, or .bedgraph.gz)");
}

}  // namespace dnassm
