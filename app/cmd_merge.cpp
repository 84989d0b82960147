// dnassm merge: gathers per-chunk tracks (from `predict -r CHUNK --context N`) into one track,
// the gather step of the pipelines (pipelines/); see track_gather.h.
#include "dnassm/error.h"
#include "dnassm/io/writers.h"
#include "dnassm/messages.h"

#include "commands.h"
#include "common.h"
#include "track_gather.h"

namespace dnassm::app {

int cmd_merge(int argc, char** argv) {
    std::string out;
    std::vector<std::string> inputs;
    bool write_index = false, no_provenance = false;
    po::options_description desc("dnassm merge options");
    desc.add_options()("help,h", "show this help")(
        "output,o", po::value(&out)->required(),
        "merged track (.bw, .bedgraph or .bedgraph.gz; - for bedGraph on standard output)");
    add_write_index_option(desc, write_index);
    add_provenance_option(desc, no_provenance);
    if (!parse_options(argc, argv, "dnassm merge -o OUT.bw CHUNK.bw [CHUNK.bw ...]", desc, &inputs))
        return 0;
    DNASSM_CHECK(!inputs.empty(), ErrorKind::kUsage, "no tracks to merge");
    check_indexable(write_index, {out});
    const GatheredTrack track(inputs);
    DNASSM_CHECK(!track.contigs().empty(), ErrorKind::kInput,
                 "the inputs hold no values and name no contig (empty bedGraphs)");
    auto writer = TrackWriter::create(out, track.contigs(), out == "-" ? ".bedgraph" : "");
    if (!no_provenance) writer->describe(provenance(argc, argv, track));
    track.write_to(*writer);
    writer->commit();
    write_indexes(write_index, {out});
    if (track.empty())
        note("dnassm merge: the inputs hold no values (chunks of N bases?); %s is empty\n",
             out == "-" ? "standard output" : out.c_str());
    note("dnassm merge: wrote %s from %zu chunk(s)\n", out == "-" ? "standard output" : out.c_str(),
         inputs.size());
    return 0;
}

}  // namespace dnassm::app
