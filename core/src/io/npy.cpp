#include "dnassm/io/npy.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <regex>
#include <string_view>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/io/writers.h"

namespace dnassm {

std::string npy_preamble(const char* descr,
                         const std::vector<std::int64_t>& shape,
                         std::size_t min_size) {
    std::string dims;
    for (const std::int64_t d : shape) dims += std::to_string(d) + ", ";
    if (!dims.empty()) dims.pop_back();
    if (shape.size() > 1) dims.pop_back();  // "(3, 5)", but "(5,)" and "()"
    std::string header = std::string("{'descr': '") + descr +
                         "', 'fortran_order': False, 'shape': (" + dims + "), }";
    std::size_t total = 10 + header.size() + 1;  // magic, version, length, dict, newline
    const std::size_t padded = std::max(min_size, (total + 63) / 64 * 64);
    header.append(padded - total, ' ');
    header += '\n';
    const auto len = static_cast<std::uint16_t>(header.size());
    std::string out("\x93NUMPY\x01\x00", 8);
    out.push_back(static_cast<char>(len & 0xff));
    out.push_back(static_cast<char>(len >> 8));
    return out + header;
}

void write_npy_values(std::ostream& out, const float* values, std::int64_t n, bool half) {
    if (!half) {
        out.write(reinterpret_cast<const char*>(values), static_cast<std::streamsize>(n * 4));
        return;
    }
    std::vector<std::uint16_t> h(static_cast<size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) h[static_cast<size_t>(i)] = float_to_half(values[i]);
    out.write(reinterpret_cast<const char*>(h.data()), static_cast<std::streamsize>(n * 2));
}

void write_npy(const std::string& path, const Tensor& t) {
    std::vector<std::int64_t> shape;
    for (int i = 0; i < t.rank(); ++i) shape.push_back(t.dim(i));
    const std::string preamble = npy_preamble("<f4", shape);
    AtomicFile file(path);
    std::ostream& out = file.stream(std::ios::binary);
    out.write(preamble.data(), static_cast<std::streamsize>(preamble.size()));
    out.write(reinterpret_cast<const char*>(t.f32()), static_cast<std::streamsize>(t.numel() * 4));
    file.commit();
}

namespace {

[[noreturn]] void not_npy(const std::string& path, const std::string& what) {
    throw Error(ErrorKind::kInput, path + ": not a supported .npy file: " + what);
}

/// The header of the .npy file whose first bytes are `head` (of a file of `file_size` bytes).
NpyHeader parse_npy_header(const std::string& path, std::string_view head, std::size_t file_size) {
    auto bad = [&](const std::string& what) { not_npy(path, what); };
    if (head.size() < 10 || head.compare(0, 6, "\x93NUMPY") != 0) bad("missing magic");
    std::size_t hlen = 0, hstart = 0;
    if (head[6] == 1) {
        hlen = static_cast<unsigned char>(head[8]) | (static_cast<unsigned char>(head[9]) << 8);
        hstart = 10;
    } else if (head.size() >= 12) {
        std::uint32_t l;
        std::memcpy(&l, head.data() + 8, 4);
        hlen = l;
        hstart = 12;
    }
    if (hstart == 0 || hstart + hlen > head.size()) bad("truncated header");
    const std::string header(head.substr(hstart, hlen));
    std::smatch m;
    NpyHeader h;
    if (!std::regex_search(header, m, std::regex("'descr':\\s*'([<|][fi][248])'"))) bad("dtype");
    h.descr = m[1];
    if (header.find("'fortran_order': False") == std::string::npos) bad("Fortran order");
    if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([0-9, ]*)\\)"))) bad("shape");
    const std::string dims = m[1];
    std::regex num("[0-9]+");
    for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num);
         it != std::sregex_iterator(); ++it) {
        std::int64_t d = 0;
        const std::string digits = it->str();
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
        if (ec != std::errc() || end != digits.data() + digits.size()) bad("shape");
        h.shape.push_back(d);
    }
    std::int64_t numel = 1;
    for (auto d : h.shape) {
        if (d > 0 && numel > std::numeric_limits<std::int64_t>::max() / d) bad("shape");
        numel *= d;
    }
    h.data_offset = hstart + hlen;
    if (numel > 0 && (file_size - h.data_offset) / h.item_size() < static_cast<std::size_t>(numel))
        bad("truncated data");
    return h;
}

}  // namespace

NpyHeader read_npy_header(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    DNASSM_CHECK(in, ErrorKind::kResource, path + ": cannot open");
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::size_t>(in.tellg());
    in.seekg(0);
    // A version 1.0 header is at most 65,535 bytes; later versions' are as small in practice.
    std::string head(std::min<std::size_t>(size, 12 + 65535 + 1), '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    return parse_npy_header(path, head, size);
}

Tensor read_npy(const std::string& path) {
    const std::string bytes = read_file(path);
    const NpyHeader h = parse_npy_header(path, bytes, bytes.size());
    const std::int64_t numel = h.numel();
    const std::size_t elem = h.item_size();
    const char* data = bytes.data() + h.data_offset;
    if (h.descr[1] == 'f') {
        if (h.descr != "<f4") not_npy(path, "only float32 is supported");
        Tensor t(h.shape, DType::kF32);
        std::memcpy(t.f32(), data, static_cast<std::size_t>(numel) * 4);
        return t;
    }
    if (elem == 2) not_npy(path, "dtype");
    Tensor t(h.shape, DType::kI32);
    auto* out = t.data<std::int32_t>();
    for (std::int64_t i = 0; i < numel; ++i) {
        std::int64_t v = 0;
        if (elem == 8) {
            std::memcpy(&v, data + i * 8, 8);
        } else {
            std::int32_t v32;
            std::memcpy(&v32, data + i * 4, 4);
            v = v32;
        }
        if (v < std::numeric_limits<std::int32_t>::min() ||
            v > std::numeric_limits<std::int32_t>::max())
            not_npy(path, "integer out of int32 range");
        out[i] = static_cast<std::int32_t>(v);
    }
    return t;
}

}  // namespace dnassm
