#include "locus.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "dnassm/error.h"

namespace dnassm::gui {

std::string with_commas(std::int64_t v) {
    std::string s = std::to_string(v), out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (i > 0 && (s.size() - i) % 3 == 0) out += ',';
        out += s[i];
    }
    return out;
}

std::string Locus::label() const {
    return contig + ":" + with_commas(beg + 1) + "-" + with_commas(end);
}

std::string span_label(const std::string& contig, std::int64_t beg, std::int64_t end) {
    return end - beg == 1 ? contig + ":" + with_commas(end) : Locus{contig, beg, end}.label();
}

std::string Locus::region() const {
    Region r;
    r.contig = contig;
    r.beg = beg;
    r.end = end;
    return r.label();
}

std::vector<RulerTick> ruler_ticks(const Locus& l) {
    const double w = static_cast<double>(std::max<std::int64_t>(l.width(), 1));
    auto step =
        static_cast<std::int64_t>(std::pow(10.0, std::floor(std::log10(std::max(w / 8.0, 1.0)))));
    const double per_step = w / static_cast<double>(step);  // 8 to 80
    step *= per_step > 40 ? 10 : per_step > 16 ? 5 : per_step > 8 ? 2 : 1;
    const std::int64_t unit = step >= 1000000 ? 1000000 : step >= 1000 ? 1000 : 1;
    const std::string suffix = unit == 1000000 ? "M" : unit == 1000 ? "k" : "";
    std::vector<RulerTick> ticks;
    for (std::int64_t b = (l.beg + step - 1) / step * step; b <= l.end; b += step)
        ticks.push_back({b, b == 0 ? "0" : with_commas(b / unit) + suffix});
    return ticks;
}

std::string expand_base_suffixes(const std::string& text) {
    // Only the part after the last ':' holds coordinates; contig names may contain anything.
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) return text;
    std::string out = text.substr(0, colon + 1);
    const std::string coords = text.substr(colon + 1);
    for (size_t i = 0; i < coords.size();) {
        if (!std::isdigit(static_cast<unsigned char>(coords[i]))) {
            out += coords[i++];
            continue;
        }
        size_t j = i;
        while (j < coords.size() && (std::isdigit(static_cast<unsigned char>(coords[j])) ||
                                     coords[j] == '.' || coords[j] == ','))
            ++j;
        std::string number = coords.substr(i, j - i);
        double mult = 1;
        if (j < coords.size()) {
            const char c = coords[j];
            mult = c == 'k' || c == 'K'   ? 1e3
                   : c == 'm' || c == 'M' ? 1e6
                   : c == 'g' || c == 'G' ? 1e9
                                          : 1;
            if (mult > 1) ++j;
        }
        if (mult > 1 || number.find('.') != std::string::npos) {
            number.erase(std::remove(number.begin(), number.end(), ','), number.end());
            const double v = std::stod(number) * mult;
            DNASSM_CHECK(std::fabs(v - std::round(v)) < 1e-6, ErrorKind::kInput,
                         "'" + text + "': " + coords.substr(i, j - i) + " is not a whole base");
            out += std::to_string(static_cast<std::int64_t>(std::llround(v)));
        } else {
            out += number;
        }
        i = j;
    }
    return out;
}

Locus parse_locus(const std::string& raw,
                  const std::vector<Contig>& contigs,
                  const std::vector<Region>& features) {
    std::string text = raw;
    text.erase(0, text.find_first_not_of(" \t"));
    text.erase(text.find_last_not_of(" \t") + 1);
    DNASSM_CHECK(!text.empty(), ErrorKind::kInput, "empty locus");
    for (const auto& f : features)
        if (!f.name.empty() && f.name == text) return {f.contig, f.beg, f.end};
    std::vector<Region> r;
    try {
        r = parse_regions({expand_base_suffixes(text)}, contigs);
    } catch (const Error& e) {
        throw Error(ErrorKind::kInput, "locus '" + text + "': " + e.what());
    }
    return {r.at(0).contig, r[0].beg, r[0].end};
}

void check_panel_count(std::size_t count, const std::string& what, const std::string& where) {
    DNASSM_CHECK(count <= static_cast<std::size_t>(kMaxPanels), ErrorKind::kInput,
                 (where.empty() ? "" : where + ": ") + std::to_string(count) + " " + what +
                     ": at most " + std::to_string(kMaxPanels) + " can be shown side by side");
}

std::vector<Panel> parse_loci(const std::string& text,
                              const std::vector<Contig>& contigs,
                              const std::vector<Region>& features) {
    std::vector<std::string> parts;
    for (size_t i = text.find_first_not_of(" \t"); i != std::string::npos;) {
        const size_t j = text.find_first_of(" \t", i);
        parts.push_back(text.substr(i, j == std::string::npos ? j : j - i));
        i = text.find_first_not_of(" \t", j);
    }
    DNASSM_CHECK(!parts.empty(), ErrorKind::kInput, "empty locus");
    check_panel_count(parts.size());
    std::vector<Panel> panels;
    for (const std::string& part : parts) {
        const bool named = std::any_of(features.begin(), features.end(),
                                       [&](const Region& f) { return f.name == part; });
        panels.push_back({parse_locus(part, contigs, features), named ? part : std::string()});
    }
    return panels;
}

std::string loci_text(const std::vector<Panel>& panels) {
    std::string out;
    for (const Panel& p : panels) {
        if (!out.empty()) out += ' ';
        out += p.locus.label();
    }
    return out;
}

std::vector<std::pair<int, int>> panel_columns(int left, int width, int count, int gap) {
    count = std::max(count, 1);
    const int usable = std::max(width - gap * (count - 1), count);
    std::vector<std::pair<int, int>> columns;
    for (int k = 0, x = left; k < count; ++k) {
        const int w = usable / count + (k < usable % count ? 1 : 0);
        columns.emplace_back(x, x + w);
        x += w + gap;
    }
    return columns;
}

Locus zoom(
    const Locus& l, double factor, double anchor, std::int64_t contig_len, std::int64_t min_width) {
    const double w = std::clamp(static_cast<double>(l.width()) * factor,
                                static_cast<double>(std::min(min_width, contig_len)),
                                static_cast<double>(contig_len));
    const double at = static_cast<double>(l.beg) + anchor * static_cast<double>(l.width());
    auto beg = static_cast<std::int64_t>(std::llround(at - anchor * w));
    const auto width = static_cast<std::int64_t>(std::llround(w));
    beg = std::clamp<std::int64_t>(beg, 0, contig_len - width);
    return {l.contig, beg, beg + width};
}

Locus pan(const Locus& l, std::int64_t bases, std::int64_t contig_len) {
    const std::int64_t beg = std::clamp<std::int64_t>(l.beg + bases, 0, contig_len - l.width());
    return {l.contig, beg, beg + l.width()};
}

std::int64_t step_feature(const std::vector<Region>& features,
                          const std::vector<Contig>& contigs,
                          const FeatureCursor& from,
                          int direction) {
    std::unordered_map<std::string_view, std::int64_t> order;
    for (size_t i = 0; i < contigs.size(); ++i)
        order.emplace(contigs[i].name, static_cast<std::int64_t>(i));
    const auto at = order.find(from.contig);
    if (at == order.end()) return -1;
    // Genome order as (contig, midpoint, index). From the view's centre, a feature centred
    // exactly there is neither after nor before it: it is the one in view.
    using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t>;
    const std::int64_t from_index =
        from.index != FeatureCursor::kFromView
            ? from.index
            : (direction > 0 ? std::numeric_limits<std::int64_t>::max() : -1);
    const Key origin{at->second, from.pos, from_index};
    std::int64_t best = -1;
    Key best_key;
    for (size_t i = 0; i < features.size(); ++i) {
        const Region& f = features[i];
        const auto c = order.find(f.contig);
        if (c == order.end()) continue;
        const Key key{c->second, f.beg + (f.end - f.beg) / 2, static_cast<std::int64_t>(i)};
        const bool beyond = direction > 0 ? origin < key : key < origin;
        if (beyond && (best < 0 || (direction > 0 ? key < best_key : best_key < key))) {
            best = static_cast<std::int64_t>(i);
            best_key = key;
        }
    }
    return best;
}

Locus centre_at(const std::string& contig,
                std::int64_t pos,
                std::int64_t width,
                std::int64_t contig_len) {
    width = std::clamp<std::int64_t>(width, 1, contig_len);
    const std::int64_t beg = std::clamp<std::int64_t>(pos - width / 2, 0, contig_len - width);
    return {contig, beg, beg + width};
}

Locus centre_on(const Region& f, std::int64_t width, std::int64_t contig_len) {
    return centre_at(f.contig, f.beg + (f.end - f.beg) / 2, width, contig_len);
}

}  // namespace dnassm::gui
