#include "weights.h"

#include "dnassm/error.h"

namespace dnassm {

static std::string shape_string(const std::vector<std::int64_t>& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

const std::string* WeightStore::find(const std::string& name) const {
    for (const auto& p : prefixes_) {
        auto it = file_.tensors.find(p + name);
        if (it != file_.tensors.end()) return &it->first;
    }
    return nullptr;
}

bool WeightStore::has(const std::string& name) const { return find(name) != nullptr; }

std::vector<std::int64_t> WeightStore::shape_of(const std::string& name) const {
    const std::string* key = find(name);
    DNASSM_CHECK(key, ErrorKind::kModel, path_ + ": missing tensor '" + name + "'");
    return file_.tensors.at(*key).shape();
}

Tensor WeightStore::get(const std::string& name,
                        const std::vector<std::int64_t>& shape,
                        const std::vector<std::string>& alt) {
    const std::string* key = find(name);
    for (size_t i = 0; !key && i < alt.size(); ++i) key = find(alt[i]);
    DNASSM_CHECK(key, ErrorKind::kModel, path_ + ": missing tensor '" + name + "'");
    const Tensor& t = file_.tensors.at(*key);
    std::int64_t want = 1;
    for (auto d : shape) want *= d;
    // Published checkpoints store Conv1d weights as {C, 1, W}: accept any shape with the same
    // non-unit dimensions in order.
    auto squeeze = [](const std::vector<std::int64_t>& s) {
        std::vector<std::int64_t> r;
        for (auto d : s)
            if (d != 1) r.push_back(d);
        return r;
    };
    DNASSM_CHECK(t.numel() == want && squeeze(t.shape()) == squeeze(shape), ErrorKind::kModel,
                 path_ + ": tensor '" + *key + "' has shape " + t.shape_str() + ", expected " +
                     shape_string(shape));
    used_.insert(*key);
    return t.reshape(shape);
}

std::vector<std::string> WeightStore::unused() const {
    std::vector<std::string> r;
    for (const auto& [k, t] : file_.tensors)
        if (!used_.count(k)) r.push_back(k);
    return r;
}

}  // namespace dnassm
