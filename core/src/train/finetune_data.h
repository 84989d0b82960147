// Internal (training, issue B): the examples `finetune` trains, validates and tests on, loaded
// from its options: labeled sequences (classify, regress) or labeled regions (segment, track).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dnassm/io/region.h"

#include "train/finetune.h"

namespace dnassm {

// A per-sequence example (classify, regress), tokenized.
struct Example {
    std::string id;
    std::vector<std::int32_t> ids;
    std::int32_t y = 0;  // class index
    float value = 0;     // regress: the target, standardised (Standardiser)
};

// A regression head trains on targets scaled to mean 0 and variance 1 (so one learning rate
// suits any units); its weights are scaled back when it is saved.
struct Standardiser {
    double mean = 0, sd = 1;
    [[nodiscard]] float to_z(double y) const { return static_cast<float>((y - mean) / sd); }
    [[nodiscard]] float from_z(double z) const { return static_cast<float>(z * sd + mean); }
};

// Per-base targets over one region: the segmentation task's labels (0 = outside every interval,
// else 1 + the class of the (last) covering interval), or the track task's values.
struct SegmentContig {
    Region region;  // the part of the contig windows are drawn from / validated on
    std::vector<std::int32_t> ids, labels;
    std::vector<float> values;  // --task track: per-base targets (NaN: none)
};

struct SegmentData {
    std::vector<std::string> classes;
    std::vector<SegmentContig> train, val;
};

/// What finetune trains and scores on: train, val and test (classify, regress) or seg
/// (segment, track), the classes (or {"value"}), and the targets' scale (regress, track: the
/// targets are stored standardised by it).
struct FinetuneData {
    std::vector<Example> train, val, test;
    SegmentData seg;
    std::vector<std::string> classes;
    Standardiser z;
};

/// Reads and checks the data `o` names (bad options are Error(kUsage); bad files Error(kInput)
/// naming the file and line, row or interval).
FinetuneData load_finetune_data(const FinetuneOptions& o);

/// Where the validation examples came from, for the provenance.
std::string validation_source(const FinetuneOptions& o);

}  // namespace dnassm
