// dnassm: samtools-style subcommand dispatch. Exit codes: 0 success, 1 error, 2 usage error.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include <unistd.h>

#include <boost/program_options.hpp>
#include <htslib/hts.h>

#include "dnassm/allocator.h"
#include "dnassm/backend.h"
#include "dnassm/error.h"

#include "commands.h"

namespace {

void print_usage(std::FILE* out) {
    std::fprintf(
        out,
        "Program: dnassm (state-space DNA language models)\n"
        "Version: %s\n\n"
        "Usage:   dnassm <command> [options]\n\n"
        "Commands:\n"
        "  embed     per-base embeddings (NPY/HDF5), or pooled vectors (NPY/HDF5/TSV)\n"
        "  predict   per-base tracks (bigWig/bedGraph): loglik, entropy, task-head classes;\n"
        "            or their thresholded calls (BED)\n"
        "  score     variant effect scores for a VCF (log-likelihood ratio, embedding distance)\n"
        "  merge     gather per-chunk tracks into one (pipelines)\n"
        "  call      thresholded calls (BED) from bigWig/bedGraph tracks\n"
        "  pretrain  train a Mamba or HyenaDNA LM on FASTA (next-base prediction)\n"
        "  finetune  train a classification or per-base task head on labeled data\n"
        "  convert   a published checkpoint (.ckpt/.bin/safetensors) -> a model directory\n"
        "  info      describe a model directory\n\n"
        "Run 'dnassm <command> --help' for a command's options.\n",
        DNASSM_VERSION);
}

}  // namespace

int main(int argc, char** argv) {
    // OpenBLAS starts its worker threads when it is loaded, before main; they spin in
    // sched_yield and cost a core even after openblas_set_num_threads(1). Our pool does the
    // threading, so restart once with OPENBLAS_NUM_THREADS=1 (the serial OpenBLAS build would
    // avoid this but is not safe to call from several threads at once).
    if (!std::getenv("OPENBLAS_NUM_THREADS")) {
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);  // returns only on failure: then carry on as we are
    }
    dnassm::configure_allocator();
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const std::string cmd = argv[1];
    if (cmd == "--version" || cmd == "version") {
        std::string backends;
        for (const auto& b : dnassm::available_backends()) backends += " " + b;
        std::printf("dnassm %s\nhtslib %s\nbackends:%s\ncuda: %s\n", DNASSM_VERSION, hts_version(),
                    backends.c_str(), dnassm::cuda_status().c_str());
        return 0;
    }
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
        print_usage(stdout);
        return 0;
    }
    try {
        if (cmd == "embed") return dnassm::app::cmd_embed(argc - 1, argv + 1);
        if (cmd == "predict") return dnassm::app::cmd_predict(argc - 1, argv + 1);
        if (cmd == "info") return dnassm::app::cmd_info(argc - 1, argv + 1);
        if (cmd == "pretrain") return dnassm::app::cmd_pretrain(argc - 1, argv + 1);
        if (cmd == "finetune") return dnassm::app::cmd_finetune(argc - 1, argv + 1);
        if (cmd == "score") return dnassm::app::cmd_score(argc - 1, argv + 1);
        if (cmd == "convert") return dnassm::app::cmd_convert(argc - 1, argv + 1);
        if (cmd == "merge") return dnassm::app::cmd_merge(argc - 1, argv + 1);
        if (cmd == "call") return dnassm::app::cmd_call(argc - 1, argv + 1);
        std::fprintf(stderr, "dnassm: unknown command '%s' (try 'dnassm --help')\n", cmd.c_str());
        return 2;
    } catch (const boost::program_options::error& e) {
        std::fprintf(stderr, "dnassm %s: %s (see 'dnassm %s --help')\n", cmd.c_str(), e.what(),
                     cmd.c_str());
        return 2;
    } catch (const dnassm::Error& e) {
        std::fprintf(stderr, "dnassm %s: %s\n", cmd.c_str(), e.what());
        return e.kind() == dnassm::ErrorKind::kUsage ? 2 : 1;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "dnassm %s: out of memory\n", cmd.c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dnassm %s: internal error: %s\n", cmd.c_str(), e.what());
        return 1;
    }
}
