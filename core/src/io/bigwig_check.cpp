// Layout from the bigWig specification (Kent et al. 2010, supplement): a 64-byte header, zoom
// headers, a B+ tree of chromosomes, a data section and R-tree indexes (full and per zoom level).
#include "bigwig_check.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

#include "dnassm/error.h"
#include "dnassm/io/input_file.h"

namespace dnassm {

namespace {

class Bytes {
  public:
    explicit Bytes(const std::string& path) : path_(path) {
        require_readable_file(path, "a bigWig file");
        std::ifstream in(path, std::ios::binary);
        DNASSM_CHECK(in.good(), ErrorKind::kInput, path + ": cannot open");
        data_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    [[nodiscard]] std::uint64_t size() const { return data_.size(); }
    template <typename T>
    [[nodiscard]] T at(std::uint64_t offset, const char* what) const {
        require(offset, sizeof(T), what);
        T v;
        std::memcpy(&v, data_.data() + offset, sizeof(T));
        return v;
    }
    void require(std::uint64_t offset, std::uint64_t length, const char* what) const {
        DNASSM_CHECK(offset <= data_.size() && length <= data_.size() - offset, ErrorKind::kInput,
                     path_ + ": not a valid bigWig file (" + what + " lies outside the file)");
    }
    void fail(const std::string& what) const {
        throw Error(ErrorKind::kInput, path_ + ": not a valid bigWig file (" + what + ")");
    }

  private:
    std::string path_;
    std::string data_;
};

// Leaves hold (name, chromId, length); libBigWig stores name i at chromId, so every id must be
// below the tree's item count and appear once.
void check_chrom_tree_node(const Bytes& b,
                           std::uint64_t offset,
                           std::uint32_t key_size,
                           std::uint32_t block_size,
                           int depth,
                           std::vector<bool>& seen) {
    if (depth > 32) b.fail("chromosome tree too deep");
    const auto is_leaf = b.at<std::uint8_t>(offset, "chromosome tree node");
    const auto count = b.at<std::uint16_t>(offset + 2, "chromosome tree node");
    if (count > block_size) b.fail("chromosome tree node larger than its block size");
    const std::uint64_t item = key_size + 8;
    b.require(offset + 4, count * item, "chromosome tree node");
    for (std::uint16_t i = 0; i < count; ++i) {
        const std::uint64_t at = offset + 4 + i * item + key_size;
        if (is_leaf) {
            const auto id = b.at<std::uint32_t>(at, "chromosome tree leaf");
            if (id >= seen.size() || seen[id]) b.fail("bad or repeated chromosome id");
            seen[id] = true;
        } else {
            const auto child = b.at<std::uint64_t>(at, "chromosome tree child");
            if (child <= offset) b.fail("chromosome tree points backwards");
            check_chrom_tree_node(b, child, key_size, block_size, depth + 1, seen);
        }
    }
}

void check_rtree(const Bytes& b, std::uint64_t offset, const char* what) {
    if (b.at<std::uint32_t>(offset, what) != kBigWigRTreeMagic)
        b.fail(std::string(what) + " has a bad magic number");
    b.require(offset, 48, what);
    // Walk the nodes: leaves hold (range, dataOffset, dataSize) items, others child offsets.
    std::vector<std::pair<std::uint64_t, int>> stack{{offset + 48, 0}};
    std::uint64_t visited = 0;
    while (!stack.empty()) {
        const auto [node, depth] = stack.back();
        stack.pop_back();
        if (depth > 32 || ++visited > b.size() / 4)
            b.fail(std::string(what) + " is cyclic or too deep");
        const auto is_leaf = b.at<std::uint8_t>(node, what);
        const auto count = b.at<std::uint16_t>(node + 2, what);
        const std::uint64_t item = is_leaf ? 32 : 24;
        b.require(node + 4, count * item, what);
        for (std::uint16_t i = 0; i < count; ++i) {
            const std::uint64_t at = node + 4 + i * item + 16;
            const auto target = b.at<std::uint64_t>(at, what);
            if (is_leaf) {
                const auto size = b.at<std::uint64_t>(at + 8, what);
                b.require(target, size, "a data block");
            } else {
                if (target <= node) b.fail(std::string(what) + " points backwards");
                stack.emplace_back(target, depth + 1);
            }
        }
    }
}

}  // namespace

void check_bigwig_structure(const std::string& path) {
    const Bytes b(path);
    if (b.at<std::uint32_t>(0, "the header") != kBigWigMagic) b.fail("bad magic number");
    b.require(0, 64, "the header");
    const auto zoom_levels = b.at<std::uint16_t>(6, "the header");
    const auto chrom_tree = b.at<std::uint64_t>(8, "the header");
    const auto data = b.at<std::uint64_t>(16, "the header");
    const auto index = b.at<std::uint64_t>(24, "the header");
    const auto summary = b.at<std::uint64_t>(44, "the header");
    const auto buffer = b.at<std::uint32_t>(52, "the header");
    if (zoom_levels > 32) b.fail("implausible number of zoom levels");
    if (buffer > (1u << 28)) b.fail("implausible decompression buffer size");
    b.require(64, zoom_levels * 24ULL, "the zoom headers");
    for (std::uint16_t z = 0; z < zoom_levels; ++z) {
        const auto zoom_data = b.at<std::uint64_t>(64 + z * 24 + 8, "a zoom header");
        const auto zoom_index = b.at<std::uint64_t>(64 + z * 24 + 16, "a zoom header");
        b.require(zoom_data, 4, "a zoom level's data");
        check_rtree(b, zoom_index, "a zoom level's index");
    }
    if (summary) b.require(summary, 40, "the total summary");
    if (b.at<std::uint32_t>(chrom_tree, "the chromosome tree") != kBigWigChromTreeMagic)
        b.fail("bad chromosome tree magic number");
    const auto block_size = b.at<std::uint32_t>(chrom_tree + 4, "the chromosome tree");
    const auto key_size = b.at<std::uint32_t>(chrom_tree + 8, "the chromosome tree");
    const auto val_size = b.at<std::uint32_t>(chrom_tree + 12, "the chromosome tree");
    const auto items = b.at<std::uint64_t>(chrom_tree + 16, "the chromosome tree");
    if (key_size == 0 || key_size > 255 || val_size != 8 || block_size == 0 || items > b.size())
        b.fail("bad chromosome tree header");
    std::vector<bool> seen(items, false);
    check_chrom_tree_node(b, chrom_tree + 32, key_size, block_size, 0, seen);
    for (bool s : seen)
        if (!s) b.fail("chromosome tree misses an id");
    b.require(data, 8, "the data section");
    check_rtree(b, index, "the index");
}

}  // namespace dnassm
