// Labeled sets for finetune and classifier predict: `sequence,label` CSV tables (header in any
// order, optional id column, blank lines, ragged rows, empty fields), BED label columns, and
// GenomicBenchmarks interval lists (one class of a folder, read from a small reference).
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "fuzz_target.h"
#include "train/class_folders.h"
#include "train/label_tables.h"

namespace {

// A per-process folder for the class file, and the reference its intervals are read from.
const std::string& class_folder() {
    static const std::string dir = [] {
        const auto base =
            std::filesystem::temp_directory_path() / ("dnassm_fuzz_" + std::to_string(getpid()));
        std::filesystem::create_directories(base.string() + "_gb");
        std::ofstream(base.string() + "_ref.fa") << ">chr1\nACGTACGTACGGATTACA\n>chr2\nNNNNACGT\n";
        return base.string() + "_gb";
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
        const std::string ref = folder.substr(0, folder.size() - 3) + "_ref.fa";
        for (const auto& row : dnassm::read_class_folders(folder, ref))
            if (row.seq.empty() || row.label != "cls") std::abort();
    });
}
