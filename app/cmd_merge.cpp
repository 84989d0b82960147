// dnassm merge: gathers per-chunk tracks (from `predict -r CHUNK --context N`) into one track,
// the gather step of the pipelines (pipelines/). Chunks must not overlap; their union is
// written in contig order. The contig list (and lengths) is the union of the inputs' headers.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

#include "dnassm/error.h"
#include "dnassm/io/writers.h"

#include "commands.h"
#include "common.h"

namespace dnassm::app {

int cmd_merge(int argc, char** argv) {
    std::string out;
    std::vector<std::string> inputs;
    po::options_description desc("dnassm merge options");
    desc.add_options()("help,h", "show this help")("output,o", po::value(&out)->required(),
                                                   "merged track (.bw or .bedgraph)");
    po::options_description hidden;
    hidden.add_options()("input", po::value(&inputs)->required()->composing());
    po::options_description all;
    all.add(desc).add(hidden);
    po::positional_options_description pos;
    pos.add("input", -1);
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    if (vm.count("help")) {
        std::cout << "Usage: dnassm merge -o OUT.bw CHUNK.bw [CHUNK.bw ...]\n\n" << desc << "\n";
        return 0;
    }
    po::notify(vm);
    std::vector<Contig> contigs;
    std::map<std::string, size_t> index;
    struct Piece {
        size_t contig;
        std::int64_t beg, end;
        float value;
        size_t file;
    };
    std::vector<Piece> pieces;
    for (size_t f = 0; f < inputs.size(); ++f) {
        const Track t = read_track(inputs[f]);
        for (const auto& iv : t.intervals) {
            const Contig& c = t.contigs[static_cast<size_t>(iv.contig)];
            auto it = index.find(c.name);
            if (it == index.end()) {
                it = index.emplace(c.name, contigs.size()).first;
                contigs.push_back(c);
            }
            contigs[it->second].length = std::max(contigs[it->second].length, c.length);
            pieces.push_back({it->second, iv.beg, iv.end, iv.value, f});
        }
    }
    DNASSM_CHECK(!pieces.empty(), ErrorKind::kInput, "the inputs hold no values");
    std::sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) {
        return a.contig != b.contig ? a.contig < b.contig : a.beg < b.beg;
    });
    auto writer = TrackWriter::create(out, contigs);
    std::vector<float> run;
    std::int64_t run_beg = 0;
    size_t run_contig = 0;
    auto flush = [&] {
        if (!run.empty())
            writer->add_run(contigs[run_contig].name, run_beg, run.data(),
                            static_cast<std::int64_t>(run.size()));
        run.clear();
    };
    for (size_t i = 0; i < pieces.size(); ++i) {
        const Piece& p = pieces[i];
        if (i > 0 && pieces[i - 1].contig == p.contig && pieces[i - 1].end > p.beg)
            throw Error(ErrorKind::kInput, inputs[pieces[i - 1].file] + " and " + inputs[p.file] +
                                               " both cover " + contigs[p.contig].name + ":" +
                                               std::to_string(p.beg + 1) +
                                               " (chunks must not overlap)");
        if (run.empty() || p.contig != run_contig ||
            run_beg + static_cast<std::int64_t>(run.size()) != p.beg) {
            flush();
            run_contig = p.contig;
            run_beg = p.beg;
        }
        run.insert(run.end(), static_cast<size_t>(p.end - p.beg), p.value);
    }
    flush();
    writer->commit();
    std::fprintf(stderr, "dnassm merge: wrote %s from %zu chunk(s)\n", out.c_str(), inputs.size());
    return 0;
}

}  // namespace dnassm::app
