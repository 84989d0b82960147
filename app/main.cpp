// dnassm: samtools-style subcommand dispatch. Exit codes: 0 success, 1 error, 2 usage error.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <boost/version.hpp>
#include <htslib/hts.h>
#include <nlohmann/json.hpp>

#include "dnassm/allocator.h"
#include "dnassm/backend.h"
#include "dnassm/error.h"
#include "dnassm/io/input_file.h"
#include "dnassm/library_versions.h"

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
        "  score     variant effect scores for a VCF or --variant chr:pos:REF>ALT (log-likelihood\n"
        "            ratio, embedding distance)\n"
        "  merge     gather per-chunk tracks into one (pipelines)\n"
        "  call      thresholded calls (BED) from bigWig/bedGraph tracks\n"
        "  pretrain  train a model on FASTA (Mamba, HyenaDNA: next base; Caduceus: masked bases)\n"
        "  finetune  train a task head (classify, regress, per-base) on labeled data\n"
        "  convert   a published checkpoint (.ckpt/.bin/safetensors) -> a model directory\n"
        "  info      describe a model, a saved stream state, or what produced a track, calls or\n"
        "            embeddings\n\n"
        "Run 'dnassm <command> --help' (or 'dnassm help <command>', 'man dnassm-<command>') for a\n"
        "command's options; 'dnassm --version' names the libraries and devices, 'dnassm\n"
        "--version-only' prints the version alone.\n",
        DNASSM_VERSION);
}

// With --progress json, stderr is read by a program: an error is then one JSON event like the
// progress lines ({"event":"error",...}) instead of the plain line.
bool json_events(int argc, char** argv) {
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--progress=json" ||
            (a == "--progress" && i + 1 < argc && std::strcmp(argv[i + 1], "json") == 0))
            return true;
    }
    return false;
}

int report_error(
    int argc, char** argv, const std::string& kind, const std::string& message, int exit_code) {
    const std::string cmd = argv[1];
    if (json_events(argc, argv)) {
        const nlohmann::ordered_json event = {{"event", "error"},
                                              {"command", cmd},
                                              {"kind", kind},
                                              {"exit_code", exit_code},
                                              {"message", message}};
        std::fprintf(stderr, "%s\n", event.dump().c_str());
    } else {
        std::fprintf(stderr, "dnassm %s: %s\n", cmd.c_str(), message.c_str());
    }
    return exit_code;
}

const char* kind_name(dnassm::ErrorKind kind) {
    switch (kind) {
        case dnassm::ErrorKind::kUsage:
            return "usage";
        case dnassm::ErrorKind::kInput:
            return "input";
        case dnassm::ErrorKind::kModel:
            return "model";
        case dnassm::ErrorKind::kResource:
            return "resource";
        case dnassm::ErrorKind::kInternal:
            return "internal";
    }
    return "internal";
}

// A standard stream the caller closed (`dnassm ... >&-`) would be the descriptor the next open
// gets, and what dnassm then writes to standard output (or /dev/stdout) would land in that file
// (an input opened for reading, appended to). Closed ones are reopened first: standard output on
// /dev/full, so writing there fails and the run says so; the others on /dev/null.
void reopen_closed_standard_streams() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        const int got = open(fd == 1 ? "/dev/full" : "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (got >= 0 && got != fd) {  // (another was closed too and took a lower number)
            dup2(got, fd);
            close(got);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    reopen_closed_standard_streams();
    // OpenBLAS starts its worker threads when it is loaded, before main; they spin in
    // sched_yield and cost a core even after openblas_set_num_threads(1). Our pool does the
    // threading, so restart once with OPENBLAS_NUM_THREADS=1 (the serial OpenBLAS build would
    // avoid this but is not safe to call from several threads at once).
    if (!std::getenv("OPENBLAS_NUM_THREADS")) {
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);  // returns only on failure: then carry on as we are
    }
    dnassm::configure_allocator();
    hts_set_log_level(HTS_LOG_OFF);  // every command reports errors itself, one line each
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    std::string cmd = argv[1];
    if (cmd == "--version-only") {  // machine-readable, as samtools --version-only
        std::printf("%s\n", DNASSM_VERSION);
        return 0;
    }
    if (cmd == "--version" || cmd == "version") {
        std::string backends;
        for (const auto& b : dnassm::available_backends()) backends += " " + b;
        std::printf("dnassm %s\n", DNASSM_VERSION);
        for (const auto& [library, version] : dnassm::library_versions())
            std::printf("%s %s\n", library.c_str(), version.c_str());
        std::printf("boost %d.%d.%d\nbackends:%s\ncuda: %s\n", BOOST_VERSION / 100000,
                    BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100, backends.c_str(),
                    dnassm::cuda_status().c_str());
        return 0;
    }
    if (cmd == "--help" || cmd == "-h" || (cmd == "help" && argc == 2)) {
        print_usage(stdout);
        return 0;
    }
    // "dnassm help embed", as git and bcftools take it: that command's --help.
    std::vector<char*> help_args;
    if (cmd == "help") {
        help_args = {argv[0], argv[2], const_cast<char*>("--help"), nullptr};
        argc = 3;
        argv = help_args.data();
        cmd = argv[1];
    }
    dnassm::protect_input_files();  // a run never writes an output over its own input
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
        return report_error(argc, argv, "usage",
                            std::string(e.what()) + " (see 'dnassm " + cmd + " --help')", 2);
    } catch (const dnassm::Error& e) {
        return report_error(argc, argv, kind_name(e.kind()), e.what(),
                            e.kind() == dnassm::ErrorKind::kUsage ? 2 : 1);
    } catch (const std::bad_alloc&) {
        return report_error(argc, argv, "resource", "out of memory", 1);
    } catch (const std::filesystem::filesystem_error& e) {
        // A folder or file the system refused (permissions, a full disk, a file in the way):
        // the run's surroundings, not a bug; said as "<path>: <reason>" like our own errors.
        // libstdc++ says "filesystem error: <what it did>: <reason> [<path>]".
        std::string what = e.what();
        if (what.rfind("filesystem error: ", 0) == 0) what.erase(0, 18);
        if (const auto bracket = what.rfind(" ["); bracket != std::string::npos)
            what.erase(bracket);
        const std::string where = e.path1().empty() ? std::string() : e.path1().string() + ": ";
        return report_error(argc, argv, "resource", where + what, 1);
    } catch (const std::exception& e) {
        return report_error(argc, argv, "internal", std::string("internal error: ") + e.what(), 1);
    }
}
