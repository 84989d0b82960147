// Internal (training, issue B): pretraining on FASTA files: next-base prediction for Mamba and
// HyenaDNA LMs, masked-base prediction for Caduceus.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dnassm/progress.h"

#include "train/adamw.h"

namespace dnassm {

struct PretrainOptions {
    std::string init_model;          // model directory to start from
    std::string out_dir;             // trained model (+ checkpoint.safetensors, train_log.jsonl)
    std::vector<std::string> fasta;  // training genomes
    std::int64_t window = 1024, batch = 8, steps = 1000, eval_every = 100, save_every = 500;
    std::int64_t val_bases = 200000;  // validation bases scored per contig (from its held-out tail)
    double val_fraction = 0.1;        // the last 10 % of every contig is never trained on
    std::uint64_t seed = 1;
    bool resume = false;
    bool force = false;      // replace a model or checkpoint already in out_dir
    bool recompute = false;  // activation checkpointing per block (long windows in little memory)
    bool bf16 = false;       // autocast: bfloat16 GEMMs in training steps (Bf16Autocast)
    double mask_prob = 0;    // masked LMs: fraction of bases chosen per window (0: 0.15)
    std::string device = "cpu";  // a make_backend name
    std::int64_t stop_at = 0;    // >0: stop after this step (checkpointed), as if interrupted
    AdamWOptions adam;
    ProgressMode progress = ProgressMode::kAuto;
    std::string command;  // recorded in the provenance
};

/// Trains and writes out_dir; returns the final validation bits per base (for a masked LM, of
/// the masked bases).
double pretrain(const PretrainOptions& o);

/// Bits per base of predicting each base from its left context (A/C/G/T only, like the order-k
/// Markov baseline) over ids, streamed in chunks.
double bits_per_base(const class Model& model,
                     const std::vector<std::int32_t>& ids,
                     class Backend& be);

}  // namespace dnassm
