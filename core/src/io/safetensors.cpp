#include "dnassm/safetensors.h"

#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/text.h"

namespace dnassm {

namespace {

using json = nlohmann::json;

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
    throw Error(ErrorKind::kModel, path + ": not a valid safetensors file: " + what);
}

float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = (h & 0x8000u) << 16;
    std::uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            exp = 127 - 15 + 1;
            while (!(mant & 0x400)) {
                mant <<= 1;
                --exp;
            }
            bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

}  // namespace

SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& path) {
    if (bytes.size() < 8) corrupt(path, "file is shorter than the 8-byte header length");
    std::uint64_t header_len = 0;
    std::memcpy(&header_len, bytes.data(), 8);  // little-endian hosts only (x86-64, aarch64)
    if (header_len > bytes.size() - 8)
        corrupt(path, "header length " + std::to_string(header_len) + " exceeds file size " +
                          std::to_string(bytes.size()) + " (truncated?)");
    json header;
    try {
        header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(header_len));
    } catch (const json::exception& e) {
        corrupt(path, "header is not valid JSON (" + json_message(e.what()) + ")");
    }
    if (!header.is_object()) corrupt(path, "header is not a JSON object");
    const std::uint64_t data_begin = 8 + header_len;
    const std::uint64_t data_len = bytes.size() - data_begin;

    SafetensorsFile out;
    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string& name = it.key();
        const json& v = it.value();
        if (name == "__metadata__") {
            if (!v.is_object()) corrupt(path, "__metadata__ is not an object");
            for (auto m = v.begin(); m != v.end(); ++m)
                if (m.value().is_string()) out.metadata[m.key()] = m.value().get<std::string>();
            continue;
        }
        const std::string where = "tensor '" + name + "': ";
        if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") ||
            !v.contains("data_offsets"))
            corrupt(path, where + "entry lacks dtype, shape or data_offsets");
        if (!v["dtype"].is_string()) corrupt(path, where + "dtype is not a string");
        const std::string dtype = v["dtype"];
        std::size_t elem = 0;
        if (dtype == "F32") {
            elem = 4;
        } else if (dtype == "F16" || dtype == "BF16") {
            elem = 2;
        } else if (dtype == "I64") {
            elem = 8;  // integer buffers (e.g. Caduceus' complement_map), read as int32
        } else if (dtype == "I32") {
            elem = 4;
        } else {
            corrupt(path, where + "unsupported dtype " + dtype +
                              " (expected F32, F16, BF16, I64 or I32)");
        }
        const json& shape_j = v["shape"];
        if (!shape_j.is_array() || shape_j.size() > 8) corrupt(path, where + "bad shape");
        std::vector<std::int64_t> shape;
        std::uint64_t numel = 1;
        for (const auto& d : shape_j) {
            if (!d.is_number_unsigned()) corrupt(path, where + "shape has a non-integer entry");
            const std::uint64_t dim = d.get<std::uint64_t>();
            if (dim != 0 && numel > (std::numeric_limits<std::uint64_t>::max() / 8) / dim)
                corrupt(path, where + "shape overflows");
            numel *= dim;
            shape.push_back(static_cast<std::int64_t>(dim));
        }
        const json& off = v["data_offsets"];
        if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
            !off[1].is_number_unsigned())
            corrupt(path, where + "data_offsets must be two non-negative integers");
        const std::uint64_t b = off[0], e = off[1];
        if (b > e || e > data_len)
            corrupt(path, where + "data_offsets [" + std::to_string(b) + ", " + std::to_string(e) +
                              "] outside the " + std::to_string(data_len) +
                              "-byte data section (truncated?)");
        if (e - b != numel * elem)
            corrupt(path, where + "byte size " + std::to_string(e - b) + " does not match shape (" +
                              std::to_string(numel * elem) + " expected)");
        const char* src = bytes.data() + data_begin + b;
        if (dtype == "I64" || dtype == "I32") {
            Tensor t = Tensor::uninitialized(shape, DType::kI32);  // every element written below
            auto* dst = t.data<std::int32_t>();
            for (std::uint64_t i = 0; i < numel; ++i) {
                std::int64_t v64 = 0;
                if (dtype == "I64") {
                    std::memcpy(&v64, src + 8 * i, 8);
                } else {
                    std::int32_t v32 = 0;
                    std::memcpy(&v32, src + 4 * i, 4);
                    v64 = v32;
                }
                if (v64 < std::numeric_limits<std::int32_t>::min() ||
                    v64 > std::numeric_limits<std::int32_t>::max())
                    corrupt(path, where + "integer value out of the int32 range");
                dst[i] = static_cast<std::int32_t>(v64);
            }
            out.tensors.emplace(name, std::move(t));
            continue;
        }
        Tensor t = Tensor::uninitialized(shape, DType::kF32);  // every element written below
        float* dst = t.f32();
        if (dtype == "F32") {
            if (numel) std::memcpy(dst, src, numel * 4);
        } else {
            for (std::uint64_t i = 0; i < numel; ++i) {
                std::uint16_t h;
                std::memcpy(&h, src + 2 * i, 2);
                if (dtype == "F16") {
                    dst[i] = half_to_float(h);
                } else {
                    const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
                    std::memcpy(dst + i, &bits, 4);
                }
            }
        }
        out.tensors.emplace(name, std::move(t));
    }
    return out;
}

SafetensorsFile read_safetensors(const std::string& path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        if (fd >= 0) close(fd);
        return parse_safetensors(read_file(path), path);  // read_file says what is wrong
    }
    const auto size = static_cast<size_t>(st.st_size);
    void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return parse_safetensors(read_file(path), path);
    std::unique_ptr<void, std::function<void(void*)>> unmap(map,
                                                            [size](void* p) { munmap(p, size); });
    return parse_safetensors(std::string_view(static_cast<const char*>(map), size), path);
}

void write_safetensors(const std::string& path,
                       const std::map<std::string, Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
    json header = json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    for (const auto& [name, t] : tensors) {
        const std::uint64_t n = static_cast<std::uint64_t>(t.numel()) * 4;
        header[name] = {
            {"dtype", "F32"}, {"shape", t.shape()}, {"data_offsets", {offset, offset + n}}};
        offset += n;
    }
    std::string h = header.dump();
    while ((8 + h.size()) % 8) h += ' ';  // align the data section, as the reference writer does
    AtomicFile file(path);
    std::ostream& out = file.stream(std::ios::binary);
    const std::uint64_t len = h.size();
    out.write(reinterpret_cast<const char*>(&len), 8);
    out.write(h.data(), static_cast<std::streamsize>(h.size()));
    for (const auto& [name, t] : tensors)
        out.write(reinterpret_cast<const char*>(t.f32()),
                  static_cast<std::streamsize>(t.numel() * 4));
    file.commit();
}

}  // namespace dnassm
