// Labeled sets for finetune and classifier predict: `sequence,label` CSV tables (header in any
// order, optional id column, blank lines, ragged rows, empty fields) and BED label columns.
#include "fuzz_target.h"
#include "train/finetune.h"

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
    return dnassm::fuzz::guarded([&] {
        for (int column : {4, 5}) (void)dnassm::read_bed_column(path, column);
    });
}
