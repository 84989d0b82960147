#include "session.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "dnassm/error.h"
#include "dnassm/io/atomic_file.h"
#include "dnassm/io/input_file.h"
#include "dnassm/per_base_track.h"
#include "dnassm/text.h"

#include "variant.h"

namespace dnassm::gui {

namespace fs = std::filesystem;

namespace {

std::string relative_to(const std::string& path, const fs::path& dir) {
    if (path.empty()) return path;
    const fs::path p = fs::absolute(path).lexically_normal();
    const fs::path rel = p.lexically_relative(dir);
    return rel.empty() ? p.string() : rel.string();
}

std::string absolute_from(const std::string& path, const fs::path& dir) {
    if (path.empty() || fs::path(path).is_absolute()) return path;
    return (dir / path).lexically_normal().string();
}

}  // namespace

SessionData load_session(const std::string& path) {
    require_readable_file(path, "a session file (.json)");
    std::ifstream in(path);
    DNASSM_CHECK(in.good(), ErrorKind::kInput, path + ": cannot open session");
    const fs::path dir = fs::absolute(path).parent_path();
    SessionData s;
    try {
        const auto j = nlohmann::json::parse(in);
        DNASSM_CHECK(j.is_object(), ErrorKind::kInput, path + ": a session is a JSON object");
        auto abs = [&](const std::string& p) { return absolute_from(p, dir); };
        s.fasta = abs(j.value("fasta", std::string()));
        const std::pair<const char*, std::vector<std::string>*> lists[] = {
            {"alignments", &s.alignments},
            {"features", &s.features},
            {"signals", &s.signal_tracks}};
        for (const auto& [key, list] : lists)
            for (const auto& p : j.value(key, std::vector<std::string>{})) list->push_back(abs(p));
        if (j.contains("model")) {
            const auto& m = j["model"];
            s.model = abs(m.value("path", std::string()));
            s.run_model = m.value("run", false);
            s.tracks = m.value("tracks", std::vector<std::string>{});
            s.embedding = m.value("embedding", true);
            s.rc_average = m.value("rc", false);
            s.variant = m.value("variant", std::string());
            s.compare_strands = m.value("compare_strands", false);
            s.call_threshold = m.value("call_threshold", 0.5f);
            DNASSM_CHECK(s.call_threshold >= 0 && s.call_threshold <= 1, ErrorKind::kInput,
                         path + ": model.call_threshold must lie in [0, 1]");
            s.mlm_spacing = m.value("mlm_spacing", s.mlm_spacing);
            s.mlm_context = m.value("mlm_context", s.mlm_context);
            check_masked_lm_settings(s.mlm_context, s.mlm_spacing, ErrorKind::kInput, path + ": ",
                                     "model.mlm_context", "model.mlm_spacing");
            try {
                if (!s.variant.empty()) (void)parse_snv(s.variant);
            } catch (const Error& e) {
                throw Error(ErrorKind::kInput, path + ": " + e.what());
            }
        }
        if (j.contains("locus")) {
            const auto& l = j["locus"];
            s.locus = {l.at("contig").get<std::string>(), l.at("start").get<std::int64_t>() - 1,
                       l.at("end").get<std::int64_t>()};
        }
        for (const auto& l : j.value("panels", nlohmann::json::array()))
            s.panels.push_back(
                {{l.at("contig").get<std::string>(), l.at("start").get<std::int64_t>() - 1,
                  l.at("end").get<std::int64_t>()},
                 l.value("name", std::string())});
        check_panel_count(s.panels.size(), "panels", path);
        for (const auto& r : j.value("regions", nlohmann::json::array())) {
            Region region;
            region.contig = r.at("contig").get<std::string>();
            region.beg = r.at("start").get<std::int64_t>() - 1;
            region.end = r.at("end").get<std::int64_t>();
            region.name = r.value("label", std::string("region"));
            s.regions.push_back(std::move(region));
        }
        if (j.contains("display")) {
            const auto& d = j["display"];
            s.display.reverse_complement = d.value("reverse_complement", false);
            s.display.track_height = d.value("track_height", 60);
            s.display.heatmap_rows = d.value("heatmap_rows", 8);
            s.display.heatmap_dims = d.value("heatmap_dims", std::vector<std::int64_t>{});
            s.display.autoscale = d.value("autoscale", true);
            s.display.cluster_rows = d.value("cluster_rows", false);
        }
    } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorKind::kInput, path + ": bad session: " + json_message(e.what()));
    }
    return s;
}

void save_session(const SessionData& s, const std::string& path) {
    const fs::path dir = fs::absolute(path).parent_path();
    auto rel = [&](const std::string& p) { return relative_to(p, dir); };
    auto rel_list = [&](const std::vector<std::string>& v) {
        std::vector<std::string> out;
        for (const auto& p : v) out.push_back(rel(p));
        return out;
    };
    nlohmann::json j = {
        {"dnassm_session", 1},
        {"fasta", rel(s.fasta)},
        {"alignments", rel_list(s.alignments)},
        {"features", rel_list(s.features)},
        {"signals", rel_list(s.signal_tracks)},
        {"locus", {{"contig", s.locus.contig}, {"start", s.locus.beg + 1}, {"end", s.locus.end}}},
        {"display",
         {{"reverse_complement", s.display.reverse_complement},
          {"track_height", s.display.track_height},
          {"heatmap_rows", s.display.heatmap_rows},
          {"heatmap_dims", s.display.heatmap_dims},
          {"autoscale", s.display.autoscale},
          {"cluster_rows", s.display.cluster_rows}}}};
    if (!s.model.empty())
        j["model"] = {{"path", rel(s.model)},
                      {"run", s.run_model},
                      {"tracks", s.tracks},
                      {"embedding", s.embedding},
                      {"rc", s.rc_average},
                      {"compare_strands", s.compare_strands},
                      {"call_threshold", s.call_threshold},
                      {"mlm_spacing", s.mlm_spacing},
                      {"mlm_context", s.mlm_context}};
    if (!s.model.empty() && !s.variant.empty()) j["model"]["variant"] = s.variant;
    if (s.panels.size() > 1) {
        j["panels"] = nlohmann::json::array();
        for (const Panel& p : s.panels)
            j["panels"].push_back({{"contig", p.locus.contig},
                                   {"start", p.locus.beg + 1},
                                   {"end", p.locus.end},
                                   {"name", p.name}});
    }
    if (!s.regions.empty()) {
        j["regions"] = nlohmann::json::array();
        for (const Region& r : s.regions)
            j["regions"].push_back(
                {{"contig", r.contig}, {"start", r.beg + 1}, {"end", r.end}, {"label", r.name}});
    }
    write_file(path, j.dump(2) + "\n");
}

}  // namespace dnassm::gui
