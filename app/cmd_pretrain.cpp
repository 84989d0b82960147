// dnassm pretrain: next-base prediction (Mamba, HyenaDNA) or masked-base prediction (Caduceus)
// on FASTA, from an initial model directory.
#include <cstdio>
#include <iostream>

#include "dnassm/error.h"
#include "dnassm/messages.h"
#include "dnassm/thread_pool.h"

#include "commands.h"
#include "common.h"
#include "train/pretrain.h"

namespace dnassm::app {

int cmd_pretrain(int argc, char** argv) {
    PretrainOptions o;
    std::string progress = "auto";
    int threads = 1;
    po::options_description desc("dnassm pretrain options");
    // clang-format off
    desc.add_options()
        ("help,h", "show this help")
        ("model,m", po::value(&o.init_model)->required(),
         "initial model directory (e.g. from data/models/make_random_mamba.py, make_random_hyena.py "
         "or make_random_caduceus.py, or a model to continue)")
        ("output,o", po::value(&o.out_dir)->required(),
         "output model directory (also checkpoint.safetensors and train_log.jsonl)")
        ("fasta", po::value(&o.fasta)->required()->composing(), "training FASTA; repeatable")
        ("steps", po::value(&o.steps)->default_value(1000), "optimiser steps")
        ("window", po::value(&o.window)->default_value(1024), "bases per training window")
        ("batch", po::value(&o.batch)->default_value(8), "windows per step (gradient accumulation)")
        ("lr", po::value(&o.adam.lr)->default_value(1e-3), "peak learning rate (AdamW)")
        ("weight-decay", po::value(&o.adam.weight_decay)->default_value(0.1, "0.1"),
         "decoupled weight decay (not on norms, biases, A_log, D, Hyena filters)")
        ("warmup", po::value(&o.adam.warmup_steps)->default_value(100), "linear warmup steps, then cosine")
        ("clip", po::value(&o.adam.clip_norm)->default_value(1.0), "gradient-norm clipping (0 = off)")
        ("eval-every", po::value(&o.eval_every)->default_value(100), "validate every N steps")
        ("save-every", po::value(&o.save_every)->default_value(500), "checkpoint every N steps")
        ("val-bases", po::value(&o.val_bases)->default_value(200000),
         "held-out bases scored per contig (from its last 10 %)")
        ("seed", po::value(&o.seed)->default_value(1), "seed of the window sampler")
        ("resume", po::bool_switch(&o.resume), "continue from OUT/checkpoint.safetensors")
        ("force", po::bool_switch(&o.force),
         "start over in an OUT_DIR that holds a model or checkpoint (replaced at the first save)")
        ("mask-prob", po::value(&o.mask_prob),
         "masked LMs (Caduceus): fraction of the A/C/G/T bases of each window chosen for "
         "prediction; of those 80 % become [MASK], 10 % a random base, 10 % stay [0.15]")
        ("recompute", po::bool_switch(&o.recompute),
         "activation checkpointing: keep only each block's input and recompute the block in "
         "backward (long windows in little memory, ~1.3x the compute)")
        ("bf16", po::bool_switch(&o.bf16),
         "autocast: the training steps' matrix products take bfloat16 inputs with fp32 sums and "
         "fp32 master weights (tensor cores on a GPU; emulated, and no faster, on the CPU); "
         "validation and the saved model stay fp32")
        ("stop-at", po::value(&o.stop_at)->default_value(0),
         "stop after step N with a checkpoint (split a run across job slots; then --resume)")
        ("threads,@", po::value(&threads)->default_value(1), "worker threads")
        ("device", po::value(&o.device)->default_value("cpu"),
         "cpu, cpu-ref or cuda[:N] (CUDA training matches the CPU; its activations stay on the GPU)")
        ("progress", po::value(&progress)->default_value("auto"), "auto, bar, json or none");
    // clang-format on
    if (!parse_options(argc, argv,
                       "dnassm pretrain -m INIT_MODEL -o OUT_DIR --fasta GENOME.fa [--fasta ...] "
                       "[options]",
                       desc))
        return 0;
    DNASSM_CHECK(threads >= 1, ErrorKind::kUsage, "-@/--threads must be >= 1");
    DNASSM_CHECK(o.eval_every >= 1 && o.save_every >= 1, ErrorKind::kUsage,
                 "--eval-every and --save-every must be >= 1");
    set_num_threads(threads);
    o.progress = parse_progress_mode(progress);
    o.command = command_line(argc, argv);
    const double bpb = pretrain(o);
    if (o.stop_at > 0 && o.stop_at < o.steps) return 0;  // checkpointed; pretrain said how to go on
    note("dnassm pretrain: wrote %s (validation %.4f bits/base)\n", o.out_dir.c_str(), bpb);
    return 0;
}

}  // namespace dnassm::app
