#include "dnassm/stream_state.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <vector>

#include "dnassm/error.h"
#include "dnassm/safetensors.h"

#include "fnv1a.h"

namespace dnassm {

namespace {

constexpr const char* kFormat = "dnassm-stream-state";

void check_same_layout(const std::vector<std::pair<std::string, Tensor>>& a,
                       const std::vector<std::pair<std::string, Tensor>>& b) {
    DNASSM_CHECK(a.size() == b.size(), ErrorKind::kInternal, "stream states of different layouts");
    for (size_t i = 0; i < a.size(); ++i)
        DNASSM_CHECK(a[i].first == b[i].first && a[i].second.shape() == b[i].second.shape(),
                     ErrorKind::kInternal, "stream states of different layouts");
}

// FNV-1a (64-bit) over the tensors' bytes in name order: saved with a state and checked on
// loading, since a damaged value would only show up as a track of NaNs further on.
std::string values_hash(const std::map<std::string, Tensor>& tensors) {
    Fnv1a h;
    for (const auto& [name, t] : tensors)
        h.add(t.f32(), static_cast<size_t>(t.numel()) * sizeof(float));
    return h.hex();
}

}  // namespace

std::unique_ptr<ModelState> copy_state(const Model& model,
                                       const ModelState& state,
                                       Backend& backend) {
    std::unique_ptr<ModelState> copy = model.new_state();
    DNASSM_CHECK(copy != nullptr, ErrorKind::kUsage,
                 model.info().path + ": a " + model.info().family + " model has no stream state");
    const auto from = state.tensors(), to = copy->tensors();
    check_same_layout(from, to);
    for (size_t i = 0; i < from.size(); ++i) {
        const Tensor &src = from[i].second, &dst = to[i].second;
        if (src.device() == Device::kCpu)
            std::memcpy(dst.f32(), src.f32(), static_cast<size_t>(src.numel()) * sizeof(float));
        else
            backend.download(src.f32(), dst.f32(), src.numel());
    }
    return copy;
}

std::string model_fingerprint(const Model& model) {
    const std::string path =
        (std::filesystem::path(model.info().path) / "model.safetensors").string();
    // A chained chunk checks the state it continues and stamps the one it saves: hash once.
    static std::mutex mutex;
    static std::map<std::string, std::string> known;
    const std::lock_guard<std::mutex> lock(mutex);
    if (const auto it = known.find(path); it != known.end()) return it->second;
    std::ifstream in(path, std::ios::binary);
    DNASSM_CHECK(in.good(), ErrorKind::kModel, path + ": cannot be read");
    Fnv1a h;
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        h.add(buf.data(), static_cast<size_t>(in.gcount()));
    }
    return known[path] = h.hex();
}

void save_stream_state(const std::string& path,
                       const Model& model,
                       const ModelState& state,
                       const StreamPosition& where) {
    std::map<std::string, Tensor> tensors;
    for (const auto& [name, t] : state.tensors()) {
        DNASSM_CHECK(t.device() == Device::kCpu, ErrorKind::kInternal,
                     "save_stream_state takes a host state (copy_state)");
        tensors.emplace(name, t);
    }
    write_safetensors(path, tensors,
                      {{"format", kFormat},
                       {"dnassm_version", DNASSM_VERSION},
                       {"model", model.info().path},
                       {"model_fingerprint", model_fingerprint(model)},
                       {"contig", where.contig},
                       {"position", std::to_string(where.position)},
                       {"values_hash", values_hash(tensors)}});
}

namespace {

struct StateFile {
    SafetensorsFile file;
    StreamStateInfo info;
};

// Reads a state file and its metadata (not yet checked against a model).
StateFile read_state_file(const std::string& path) {
    StateFile sf;
    try {
        sf.file = read_safetensors(path);
    } catch (const Error& e) {  // a damaged state is bad input, not a bad model
        throw Error(e.kind() == ErrorKind::kModel ? ErrorKind::kInput : e.kind(), e.what());
    }
    const auto meta = [&](const char* key) {
        const auto it = sf.file.metadata.find(key);
        return it == sf.file.metadata.end() ? std::string() : it->second;
    };
    DNASSM_CHECK(meta("format") == kFormat, ErrorKind::kInput,
                 path + ": not a dnassm stream state (written by predict --state-out)");
    StreamStateInfo& info = sf.info;
    info.model = meta("model");
    info.model_fingerprint = meta("model_fingerprint");
    info.dnassm_version = meta("dnassm_version");
    info.where.contig = meta("contig");
    const std::string pos = meta("position");
    size_t used = 0;
    try {
        info.where.position = std::stoll(pos, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    DNASSM_CHECK(
        used > 0 && used == pos.size() && info.where.position >= 0 && !info.where.contig.empty(),
        ErrorKind::kInput, path + ": the contig or position in its metadata is not valid");
    for (const auto& [name, t] : sf.file.tensors) info.values += t.numel();
    // States saved before the hash was kept have none.
    const std::string hash = meta("values_hash");
    DNASSM_CHECK(hash.empty() || hash == values_hash(sf.file.tensors), ErrorKind::kInput,
                 path + ": its values do not match the hash saved with them (a damaged file)");
    return sf;
}

}  // namespace

bool is_stream_state(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::uint64_t len = 0;
    if (!in.read(reinterpret_cast<char*>(&len), 8) || len > (1u << 20)) return false;
    std::string header(len, '\0');
    if (!in.read(header.data(), static_cast<std::streamsize>(len))) return false;
    return header.find(std::string("\"format\":\"") + kFormat + "\"") != std::string::npos;
}

StreamStateInfo read_stream_state_info(const std::string& path) {
    return read_state_file(path).info;
}

SavedStreamState load_stream_state(const std::string& path, const Model& model) {
    StateFile sf = read_state_file(path);
    const SafetensorsFile& file = sf.file;
    DNASSM_CHECK(
        sf.info.model_fingerprint == model_fingerprint(model), ErrorKind::kInput,
        path + ": saved by another model (" + sf.info.model + "), not " + model.info().path);
    SavedStreamState saved;
    saved.where = sf.info.where;
    saved.state = model.new_state();
    DNASSM_CHECK(saved.state != nullptr, ErrorKind::kUsage,
                 model.info().path + ": a " + model.info().family + " model has no stream state");
    const auto to = saved.state->tensors();
    DNASSM_CHECK(file.tensors.size() == to.size(), ErrorKind::kInput,
                 path + ": " + std::to_string(file.tensors.size()) +
                     " tensors, the model's state has " + std::to_string(to.size()));
    for (const auto& [name, dst] : to) {
        const auto it = file.tensors.find(name);
        DNASSM_CHECK(it != file.tensors.end(), ErrorKind::kInput, path + ": no tensor " + name);
        DNASSM_CHECK(it->second.shape() == dst.shape(), ErrorKind::kInput,
                     path + ": " + name + " is " + it->second.shape_str() + ", the model's is " +
                         dst.shape_str());
        std::memcpy(dst.f32(), it->second.f32(), static_cast<size_t>(dst.numel()) * sizeof(float));
    }
    return saved;
}

}  // namespace dnassm
