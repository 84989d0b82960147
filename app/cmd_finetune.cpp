// dnassm finetune: train a task head (classification or per-base segmentation) on labeled data,
// with the backbone (Mamba, HyenaDNA, Caduceus) or with it frozen; writes a model directory that
// `dnassm predict` uses directly.
#include <cstdio>
#include <iostream>

#include "dnassm/error.h"
#include "dnassm/messages.h"
#include "dnassm/thread_pool.h"

#include "commands.h"
#include "common.h"
#include "train/finetune.h"

namespace dnassm::app {

int cmd_finetune(int argc, char** argv) {
    FinetuneOptions o;
    std::string task = "classify", progress = "auto";
    int threads = 1;
    po::options_description desc("dnassm finetune options");
    // clang-format off
    desc.add_options()
        ("help,h", "show this help")
        ("model,m", po::value(&o.base_model)->required(), "base model directory, or a model's name ('dnassm info' lists them)")
        ("output,o", po::value(&o.out_dir)->required(),
         "output model directory (with the task head; also finetune_log.jsonl, metrics.json)")
        ("task", po::value(&task)->default_value("classify"),
         "classify (one label per sequence, mean-pooled head), regress (a number per sequence: "
         "the CSV label, or BED column 5; mean-pooled, squared error), segment (a label per "
         "base) or track (a value per base from a bigWig/bedGraph; squared error)")
        ("train", po::value(&o.train)->required(),
         "training data: a sequence,label CSV; a BED (then --fasta); or a GenomicBenchmarks "
         "folder (its train/: <class>.csv.gz interval lists, then --fasta, or <class>/*.txt "
         "sequences); for segment, a BED of labeled intervals or a GFF3/GTF annotation (bases "
         "labeled intergenic, intron, noncoding_exon or cds); for track, a bigWig or bedGraph "
         "of per-base values (bases it does not cover are left out)")
        ("val", po::value(&o.val),
         "validation data in the same form (default: classify holds out 10 % of each class of "
         "--train, drawn with --seed; segment uses the --train intervals inside --val-region)")
        ("test", po::value(&o.test),
         "classify: test data in the same form, never trained or selected on; the kept head's "
         "metrics on it go to metrics.json (\"test\") and the provenance")
        ("fasta", po::value(&o.fasta), "reference FASTA for BED inputs")
        ("stranded", po::bool_switch(&o.stranded),
         "classify, BED input: read intervals whose strand (column 6) is '-' as their reverse "
         "complement (bedtools getfasta -s); predict the tuned model with -R BED --stranded too")
        ("class-weight", po::value(&o.class_weight)->default_value("none"),
         "none, or balanced: weight each class's cross-entropy by n / (classes x n_class) over the "
         "training examples (segment: bases), as scikit-learn's class_weight='balanced'")
        ("rc-aug", po::bool_switch(&o.rc_aug),
         "classify, regress: train each draw of an example on a random strand (HyenaDNA's rc_aug; "
         "for models that are not RC-equivariant); validation stays forward")
        ("gene-structure", po::bool_switch(&o.gene_structure),
         "segment, BED --train/--val: label bases intergenic, intron, noncoding_exon or cds from "
         "the genes' BED12 blocks (exons) and thickStart/thickEnd (coding part), as a GFF3/GTF "
         "annotation labels them; a line without blocks is one exon, and without thick columns "
         "coding throughout (as genome browsers draw it)")
        ("label-column", po::value(&o.label_column)->default_value(-1),
         "BED column holding the class (default 4 for classify), the value (default 5, the "
         "score, for regress); for segment 0 = inside any interval is class 1, outside 0")
        ("train-region", po::value(&o.train_regions)->composing(),
         "region(s) to train on (samtools syntax, e.g. a whole chromosome; repeatable): segment "
         "draws its windows there; classify (BED --train) keeps the examples overlapping them")
        ("val-region", po::value(&o.val_regions)->composing(),
         "held-out region(s) to validate on (repeatable): segment validates over them; classify "
         "(BED --train) validates on the examples overlapping them and trains on the rest")
        ("freeze-backbone", po::bool_switch(&o.freeze_backbone),
         "train only the head (a linear probe on the frozen model; any model family)")
        ("recompute", po::bool_switch(&o.recompute),
         "activation checkpointing: keep only each block's input and recompute the block in "
         "backward (long windows in little memory; the same weights as without)")
        ("bf16", po::bool_switch(&o.bf16),
         "autocast: the training steps' matrix products take bfloat16 inputs with fp32 sums and "
         "fp32 master weights (tensor cores on a GPU; emulated, and no faster, on the CPU); "
         "validation and the saved model stay fp32")
        ("epochs", po::value(&o.epochs)->default_value(3), "classify: passes over --train")
        ("steps", po::value(&o.steps)->default_value(0),
         "optimiser steps (default: epochs x batches for classify, 500 for segment)")
        ("batch", po::value(&o.batch)->default_value(16), "sequences (or windows) per step")
        ("window", po::value(&o.window)->default_value(1024), "segment: bases per training window")
        ("max-train", po::value(&o.max_train)->default_value(0),
         "train on a random sample of at most N examples (drawn with --seed; 0 = all)")
        ("lr", po::value(&o.adam.lr)->default_value(1e-3), "peak learning rate (AdamW)")
        ("weight-decay", po::value(&o.adam.weight_decay)->default_value(0.01), "decoupled weight decay")
        ("warmup", po::value(&o.adam.warmup_steps)->default_value(50), "linear warmup steps, then cosine")
        ("clip", po::value(&o.adam.clip_norm)->default_value(1.0), "gradient-norm clipping (0 = off)")
        ("eval-every", po::value(&o.eval_every)->default_value(0),
         "validate every N steps (default: every epoch; segment: 10 times per run)")
        ("patience", po::value(&o.patience)->default_value(3),
         "stop after N validations without improvement")
        ("select", po::value(&o.select)->default_value("auto"),
         "validation metric that picks the kept head: auroc (auto for classes), mcc, accuracy or "
         "loss; regress: pearson (auto), spearman or loss")
        ("force", po::bool_switch(&o.force), "replace a model already in OUT_DIR")
        ("seed", po::value(&o.seed)->default_value(1), "seed (head initialisation, shuffling, held-out and --max-train draws)")
        ("threads,@", po::value(&threads)->default_value(1), "worker threads")
        ("device", po::value(&o.device)->default_value("cpu"),
         "cpu, cpu-ref or cuda[:N] (CUDA training matches the CPU; its activations stay on the GPU)")
        ("progress", po::value(&progress)->default_value("auto"), "auto, bar, json or none");
    // clang-format on
    if (!parse_options(argc, argv,
                       "dnassm finetune -m BASE --task classify|regress|segment|track --train FILE "
                       "[--val FILE] [--fasta REF.fa] -o OUT_DIR [options]",
                       desc))
        return 0;
    DNASSM_CHECK(task == "classify" || task == "segment" || task == "regress" || task == "track",
                 ErrorKind::kUsage,
                 "--task: '" + task + "' is not one of classify, regress, segment, track");
    DNASSM_CHECK(threads >= 1, ErrorKind::kUsage, "-@/--threads must be >= 1");
    for (const auto& [option, path] : {std::pair{"--train", o.train},
                                       {"--val", o.val},
                                       {"--test", o.test},
                                       {"--fasta", o.fasta}})
        DNASSM_CHECK(path != "-", ErrorKind::kUsage,
                     std::string(option) +
                         " -: labeled data and its reference are read from files (each is read "
                         "more than once), not standard input");
    o.task = task == "classify"  ? HeadTask::kClassify
             : task == "segment" ? HeadTask::kSegment
             : task == "regress" ? HeadTask::kRegress
                                 : HeadTask::kTrack;
    DNASSM_CHECK(!o.gene_structure || o.task == HeadTask::kSegment, ErrorKind::kUsage,
                 "--gene-structure labels the bases of --task segment");
    set_num_threads(threads);
    o.progress = parse_progress_mode(progress);
    o.command = command_line(argc, argv);
    const TaskMetrics m = finetune(o);
    note("dnassm finetune: wrote %s (validation: %s)\n", o.out_dir.c_str(), m.summary().c_str());
    return 0;
}

}  // namespace dnassm::app
