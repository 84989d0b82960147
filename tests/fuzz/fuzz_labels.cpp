// Labeled sets for finetune and classifier predict: `sequence,label` CSV tables (header in any
// order, optional id column, blank lines, ragged rows, empty fields), BED label columns, and
// GenomicBenchmarks interval lists (one class of a folder, read from a small reference).
#include <filesystem>
#include <fstream>

#include "fuzz_target.h"
#include "train/class_folders.h"
#include "train/label_tables.h"

namespace {

// The folder temp_file(..., "_gb/cls.csv") writes the class file into; the reference its
// intervals are read from is ref.fa beside it.
const std::string& class_folder() {
    static const std::string dir = [] {
        const std::string& scratch = dnassm::fuzz::scratch_dir();
        std::filesystem::create_directories(scratch + "/input_gb");
        std::ofstream(scratch + "/ref.fa") << ">chr1\nACGTACGTACGGATTACA\n>chr2\nNNNNACGT\n";
        return scratch + "/input_gb";
    }();
    return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string path = dnassm::fuzz::temp_file(data, size, ".csv");
    dnassm::fuzz::guarded([&] {
        for (const auto& row : dnassm::read_labeled_csv(path, true))
            if (row.seq.empty() || row.label.empty()) std::abort();
    });
    dnassm::fuzz::guarded([&] {
        for (const auto& row : dnassm::read_labeled_csv(path, false))
            if (row.seq.empty()) std::abort();
    });
    dnassm::fuzz::guarded([&] {
        for (int column : {4, 5}) (void)dnassm::read_bed_column(path, column);
    });
    const std::string folder = class_folder();
    (void)dnassm::fuzz::temp_file(data, size, "_gb/cls.csv");
    return dnassm::fuzz::guarded([&] {
        const std::string ref = dnassm::fuzz::scratch_dir() + "/ref.fa";
        for (const auto& row : dnassm::read_class_folders(folder, ref))
            if (row.seq.empty() || row.label != "cls") std::abort();
    });
}
