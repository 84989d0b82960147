#include "table_input.h"

#include <filesystem>
#include <utility>
#include <vector>

#include "dnassm/error.h"

#include "train/class_folders.h"
#include "train/label_tables.h"

namespace dnassm {

namespace {

class TableInput final : public SequenceInput {
  public:
    TableInput(const std::string& path, std::vector<LabeledSequence> rows)
        : rows_(std::move(rows)) {
        path_ = path;
        for (const LabeledSequence& row : rows_)
            contigs_.push_back(Contig{row.id, static_cast<std::int64_t>(row.seq.size())});
    }
    InputFormat format() const override { return InputFormat::kTable; }
    const std::vector<Contig>& contigs() const override { return contigs_; }

    void for_each(const std::vector<Region>& regions,
                  const std::function<void(SequenceRecord&)>& fn) override {
        DNASSM_CHECK(regions.empty(), ErrorKind::kUsage,
                     path_ + ": -r/-R select regions of a sequence file, not rows of a table");
        for (const LabeledSequence& row : rows_) {
            SequenceRecord rec;
            rec.name = row.id;
            rec.seq = row.seq;
            rec.region = row.region;  // an interval list's row; none for a CSV or .txt row
            rec.region.name.clear();  // the id is the row's name, whatever its coordinates
            rec.label = row.label;
            fn(rec);
        }
    }

  private:
    std::vector<LabeledSequence> rows_;
    std::vector<Contig> contigs_;
};

}  // namespace

bool is_table_path(const std::string& path) {
    std::error_code ec;
    return is_csv_path(path) || std::filesystem::is_directory(path, ec);
}

std::unique_ptr<SequenceInput> open_table(const std::string& path, const InputOptions& opts) {
    DNASSM_CHECK(!opts.stranded, ErrorKind::kUsage,
                 path +
                     ": --stranded reads the strand of -R BED intervals; a table holds sequences "
                     "as they are (a GenomicBenchmarks interval list's '-' rows are read "
                     "reverse-complemented)");
    std::error_code ec;
    std::vector<LabeledSequence> rows =
        std::filesystem::is_directory(path, ec)
            ? read_class_folders(path, opts.reference, "-T/--reference")
            : read_labeled_csv(path, false);
    return std::make_unique<TableInput>(path, std::move(rows));
}

}  // namespace dnassm
