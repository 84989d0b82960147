// dnassm convert: a published checkpoint -> a dnassm model directory (config.json +
// model.safetensors) that every command loads. Safetensors inputs (a model folder, or a
// .safetensors file with its config.json) are handled here; pickle-based PyTorch files (.ckpt,
// .bin, .pt) go through tools/convert_checkpoint.py (Debian's python3-torch). Either way the
// result is loaded and checked before it appears under OUT_DIR.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "dnassm/error.h"
#include "dnassm/install_paths.h"
#include "dnassm/io/input_file.h"
#include "dnassm/messages.h"
#include "dnassm/model.h"

#include "commands.h"
#include "common.h"

namespace dnassm::app {

namespace fs = std::filesystem;

namespace {

std::string tools_dir() {
    std::error_code ec;
    const fs::path installed = fs::path(executable_dir()) / "../share/dnassm/tools";
    for (const fs::path& p : {installed, fs::path(DNASSM_TOOLS_DIR)})
        if (fs::exists(p / "convert_checkpoint.py", ec)) return p.string();
    throw Error(ErrorKind::kResource, "the checkpoint reader convert_checkpoint.py is not in " +
                                          installed.lexically_normal().string() + " or " +
                                          DNASSM_TOOLS_DIR + " (an incomplete install?)");
}

// Runs argv[0] with argv (no shell); returns its exit status and puts the last line it wrote
// to stderr into `message`.
int run_program(const std::vector<std::string>& args, std::string& message) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int fds[2];
    DNASSM_CHECK(pipe(fds) == 0, ErrorKind::kResource, "pipe failed");
    const pid_t pid = fork();
    DNASSM_CHECK(pid >= 0, ErrorKind::kResource, "fork failed");
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        execv(argv[0], argv.data());
        std::fprintf(stderr, "cannot run %s\n", argv[0]);
        _exit(127);
    }
    close(fds[1]);
    std::string err;
    char buf[4096];
    ssize_t n = 0;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) err.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    const size_t nl = err.find_last_of('\n');
    message = nl == std::string::npos ? err : err.substr(nl + 1);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace

int cmd_convert(int argc, char** argv) {
    std::string out, config, python = "/usr/bin/python3";
    bool trust = false, force = false;
    po::options_description desc("dnassm convert options");
    // clang-format off
    desc.add_options()
        ("help,h", "show this help")
        ("output,o", po::value(&out)->required(), "model directory to create")
        ("config", po::value(&config), "config.json of the checkpoint (default: the one beside it)")
        ("trust-pickle", po::bool_switch(&trust),
         "allow full unpickling of .ckpt/.bin files that store more than tensors (runs code from the file)")
        ("force", po::bool_switch(&force), "replace OUT_DIR if it exists")
        ("python", po::value(&python)->default_value("/usr/bin/python3"),
         "Python with torch, for pickle-based checkpoints");
    // clang-format on
    std::vector<std::string> sources;
    if (!parse_options(argc, argv,
                       "dnassm convert SRC -o OUT_DIR [--config CONFIG.json]\n"
                       "  SRC: a model folder (config.json + model.safetensors), a .safetensors "
                       "file,\n"
                       "       or a PyTorch .ckpt/.bin/.pt (HyenaDNA Lightning, HF, mamba_ssm, "
                       "Caduceus)",
                       desc, &sources, 1))
        return 0;
    DNASSM_CHECK(!sources.empty(), ErrorKind::kUsage, "missing SRC (the checkpoint to convert)");
    const std::string& src = sources.front();
    std::error_code ec;
    DNASSM_CHECK(fs::exists(src, ec), ErrorKind::kInput, src + ": does not exist");
    DNASSM_CHECK(force || !fs::exists(out, ec), ErrorKind::kUsage,
                 out + ": already exists (use --force to replace it)");
    DNASSM_CHECK(!fs::exists(out, ec) || fs::is_directory(out, ec), ErrorKind::kUsage,
                 "-o " + out + ": is a file; --force replaces a model folder, not a file");
    // --force replaces the whole folder: never one holding what is being converted.
    const auto within_out = [&](const std::string& path) {
        const auto rel = resolved_path(path).lexically_relative(resolved_path(out));
        return !rel.empty() && *rel.begin() != "..";
    };
    for (const std::string& input : {src, config})
        DNASSM_CHECK(input.empty() || !within_out(input), ErrorKind::kUsage,
                     "-o " + out + ": --force would replace " + input +
                         ", which is being converted; write the model to another folder");
    const fs::path tmp = fs::path(out).string() + ".converting";
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp);
    try {
        const fs::path s = src;
        if (fs::is_directory(s)) {
            DNASSM_CHECK(fs::exists(s / "model.safetensors") && fs::exists(s / "config.json"),
                         ErrorKind::kInput,
                         src + ": a model folder needs config.json and model.safetensors");
            fs::copy_file(s / "model.safetensors", tmp / "model.safetensors");
            fs::copy_file(config.empty() ? s / "config.json" : fs::path(config),
                          tmp / "config.json");
        } else if (s.extension() == ".safetensors") {
            const fs::path cfg =
                config.empty() ? s.parent_path() / "config.json" : fs::path(config);
            DNASSM_CHECK(fs::exists(cfg), ErrorKind::kInput,
                         src + ": no config.json beside it; give --config CONFIG.json");
            fs::copy_file(s, tmp / "model.safetensors");
            fs::copy_file(cfg, tmp / "config.json");
        } else {
            std::vector<std::string> args = {python, tools_dir() + "/convert_checkpoint.py", src,
                                             tmp.string()};
            if (!config.empty()) args.insert(args.end(), {"--config", config});
            if (trust) args.emplace_back("--trust-pickle");
            std::string message;
            const int rc = run_program(args, message);
            DNASSM_CHECK(rc == 0, ErrorKind::kInput,
                         message.empty() ? src + ": conversion failed" : message);
        }
        const auto model = Model::load(tmp.string());  // refuses what dnassm cannot run
        fs::remove_all(out, ec);
        fs::rename(tmp, out);
        note("dnassm convert: wrote %s (%s, %s, %lld parameters)\n", out.c_str(),
             model->info().family.c_str(), model->info().format.c_str(),
             static_cast<long long>(model->info().n_params));
    } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
    }
    return 0;
}

}  // namespace dnassm::app
